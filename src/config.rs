//! Settings from the environment, read here and nowhere else (besides `main.rs`, which hands
//! clap its `env` fallbacks): every other module takes what it needs as an argument, so the
//! store, the ledger and the faces never read the environment themselves.

/// The size at which the store starts the next write-ahead log file:
/// `GOAL_LEDGER_WAL_FILE_BYTES` if it is set to a number of bytes, else the store's default.
/// (The crash tests set a small size to land kills around log checkpoints.)
pub fn wal_file_bytes() -> u64 {
    std::env::var("GOAL_LEDGER_WAL_FILE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(crate::store::Options::WAL_FILE_BYTES)
}

/// The size at which the store seals a segment of the log and starts the next:
/// `GOAL_LEDGER_SEGMENT_BYTES` if it is set to a number of bytes, else the store's default.
/// (The crash tests set a small size to land kills around seals.)
pub fn segment_bytes() -> u64 {
    std::env::var("GOAL_LEDGER_SEGMENT_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(crate::store::Options::SEGMENT_BYTES)
}

/// How to open the store in a data directory, from the settings.
pub fn store_options(create: bool) -> crate::store::Options {
    crate::store::Options {
        create,
        wal_file_bytes: wal_file_bytes(),
        segment_bytes: segment_bytes(),
    }
}

/// The name of the user running this process (`USER`, else `LOGNAME`), if the OS says.
pub fn login_user() -> Option<String> {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
}

/// The user named by `USER` alone (who records a token grant made on this machine).
pub fn user() -> Option<String> {
    std::env::var("USER").ok()
}

/// This machine's host name (`/proc/sys/kernel/hostname`, else `/etc/hostname`), if the OS
/// says: who made a local write is recorded as the login user at this host.
pub fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|text| text.trim().to_owned())
        .find(|name| !name.is_empty())
}

/// Where temporary ledgers (`serve --demo`) are made.
pub fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir()
}
