pub mod domain;
pub mod record;
pub mod store;
pub mod ledger;
pub mod projections;
pub mod cli;
