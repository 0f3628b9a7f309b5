//! The integration tests: one crate, one module per face or concern.

mod architecture;
mod browser;
mod catalog;
mod cli;
mod crash;
mod cycles;
mod diskfull;
mod domain;
mod fuzz;
mod golden;
mod http;
mod ledger;
mod promises;
mod proofs;
mod replay;
mod retro;
mod samples;
mod samples_q4;
mod segments;
mod soak;
mod store;
mod support;
mod tamper;
mod trust;
mod verifiers;
mod webhooks;
