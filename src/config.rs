//! Settings from the environment, read here and nowhere else (besides `main.rs`, which hands
//! clap its `env` fallbacks): every other module takes what it needs as an argument, so what a
//! run depends on is visible in one file.

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

/// Where temporary ledgers (`serve --demo`) are made.
pub fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir()
}
