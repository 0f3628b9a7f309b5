//! The data directory's webhook key, from which every webhook's signing secret is derived (so
//! no secret is stored, and none is on the record), and the ids new webhooks get.

use std::io;
use std::path::{Path, PathBuf};

use crate::domain::WebhookId;

/// Where the key lives: `webhook-key` in the data directory, 64 hex digits, mode 0600.
pub fn key_path(dir: &Path) -> PathBuf {
    dir.join("webhook-key")
}

/// The data directory's webhook key, made (and synced to disk) on first use.
pub fn webhook_key(dir: &Path) -> io::Result<[u8; 32]> {
    let path = key_path(dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => read(&path, &text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => create(&path),
        Err(e) => Err(e),
    }
}

/// The key `text` (the file at `path`) holds, or why it is no key.
fn read(path: &Path, text: &str) -> io::Result<[u8; 32]> {
    parse(text.trim()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not a webhook key (64 hex digits); restore it from a backup, or delete it to make a new one (every webhook's secret changes)",
                path.display()
            ),
        )
    })
}

fn parse(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

fn create(path: &Path) -> io::Result<[u8; 32]> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| io::Error::other(e.to_string()))?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(file) => file,
        // Made by another process in the meantime: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return read(path, &std::fs::read_to_string(path)?)
        }
        Err(e) => return Err(e),
    };
    file.write_all(format!("{hex}\n").as_bytes())?;
    file.sync_all()?;
    if let Some(parent) = path.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(key)
}

/// A fresh webhook id: `wh-` and 8 random hex digits.
pub fn new_webhook_id() -> WebhookId {
    let mut bytes = [0u8; 4];
    // A failed read of the system's randomness leaves zeros; the domain refuses a reused id.
    let _ = getrandom::fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    WebhookId::parse(&format!("wh-{hex}")).expect("wh- and hex digits make a webhook id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let first = webhook_key(dir.path()).unwrap();
        assert_eq!(webhook_key(dir.path()).unwrap(), first);
        let mode = std::fs::metadata(key_path(dir.path())).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
    }

    #[test]
    fn a_damaged_key_is_refused_with_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(key_path(dir.path()), "not hex").unwrap();
        let e = webhook_key(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("64 hex digits") && e.contains("delete it"),
            "{e}"
        );
    }

    #[test]
    fn webhook_ids_are_fresh_and_valid() {
        let (a, b) = (new_webhook_id(), new_webhook_id());
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("wh-") && a.as_str().len() == 11);
    }
}
