//! The integration tests: one crate, one module per face or concern.

mod domain;
mod ledger;
mod support;
mod tamper;
