pub mod cli;
pub mod domain;
pub mod ledger;
pub mod projections;
pub mod record;
pub mod store;
