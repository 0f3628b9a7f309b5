//! Settings: the only reader of the environment and of settings. Everything below takes what it
//! needs as arguments, so the store and the ledger never read the environment themselves.

/// The size at which the store starts the next write-ahead log file:
/// `GOAL_LEDGER_WAL_FILE_BYTES` if it is set to a number of bytes, else the store's default.
/// (The crash tests set a small size to land kills around log checkpoints.)
pub fn wal_file_bytes() -> u64 {
    std::env::var("GOAL_LEDGER_WAL_FILE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(crate::store::Options::WAL_FILE_BYTES)
}

/// How to open the store in a data directory, from the settings.
pub fn store_options(create: bool) -> crate::store::Options {
    crate::store::Options {
        create,
        wal_file_bytes: wal_file_bytes(),
    }
}
