//! The integration tests: one crate, one module per face or concern.

mod domain;
mod ledger;
mod replay;
mod support;
mod tamper;
