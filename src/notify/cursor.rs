//! The durable delivery state of every webhook, one JSON file (`webhooks.json` in the data
//! directory): how far each webhook's messages are acknowledged and which reminders it was
//! sent. It is replaced atomically (write a `.tmp` beside it, sync, rename, sync the
//! directory), so a crash leaves the old state or the new one, never a torn file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Every webhook's cursor, by webhook id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursors {
    #[serde(default)]
    pub webhooks: BTreeMap<String, Cursor>,
}

/// How far one webhook's deliveries have come.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The highest message sequence number acknowledged, delivered or given up: nothing at or
    /// below it is sent again.
    pub acked: u64,
    /// The keys of the due-reminders already sent (or given up).
    #[serde(default)]
    pub reminders: BTreeSet<String>,
}

impl Cursors {
    /// Reads the cursor file at `path`; a missing file is no cursors yet. A file that does
    /// not parse is an error naming it: its cursors are not guessed, since guessing would
    /// resend or skip messages.
    pub fn load(path: &Path) -> io::Result<Cursors> {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Cursors::default()),
            Err(e) => {
                let message = format!("cannot read {}: {e}", path.display());
                return Err(io::Error::new(e.kind(), message));
            }
        };
        serde_json::from_slice(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is not a webhook cursor file ({e}); restore it from a backup, or move it \
                     aside to start the cursors afresh (messages not known to be delivered are \
                     then sent again)",
                    path.display()
                ),
            )
        })
    }

    /// Replaces the file at `path` with these cursors, durably: once this returns, a crash
    /// cannot lose them. One writer at a time (the `.tmp` file is shared).
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let tmp = tmp_path(path);
        let mut bytes = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        bytes.push(b'\n');
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
}

/// `path` with `.tmp` appended: `webhooks.json` → `webhooks.json.tmp`.
fn tmp_path(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    PathBuf::from(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Cursors {
        let mut cursors = Cursors::default();
        cursors.webhooks.insert(
            "wh-0a1b2c3d".into(),
            Cursor {
                acked: 41,
                reminders: ["check-in-due:web:visits:1767225600:week".to_owned()].into(),
            },
        );
        cursors
            .webhooks
            .insert("wh-ffffffff".into(), Cursor::default());
        cursors
    }

    #[test]
    fn a_missing_file_is_no_cursors_yet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhooks.json");
        assert_eq!(Cursors::load(&path).unwrap(), Cursors::default());
    }

    #[test]
    fn saved_cursors_load_back_the_same_and_leave_no_tmp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhooks.json");
        sample().save(&path).unwrap();
        assert_eq!(Cursors::load(&path).unwrap(), sample());
        assert!(!dir.path().join("webhooks.json.tmp").exists());

        let mut moved = sample();
        moved.webhooks.get_mut("wh-ffffffff").unwrap().acked = 7;
        moved.save(&path).unwrap();
        assert_eq!(Cursors::load(&path).unwrap(), moved);
    }

    #[test]
    fn a_leftover_tmp_file_from_a_crash_is_ignored_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhooks.json");
        sample().save(&path).unwrap();
        std::fs::write(
            dir.path().join("webhooks.json.tmp"),
            "{\"webhooks\": {\"wh-",
        )
        .unwrap();
        assert_eq!(Cursors::load(&path).unwrap(), sample());
        Cursors::default().save(&path).unwrap();
        assert_eq!(Cursors::load(&path).unwrap(), Cursors::default());
        assert!(!dir.path().join("webhooks.json.tmp").exists());
    }

    #[test]
    fn a_corrupt_file_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhooks.json");
        std::fs::write(
            &path,
            "{\"webhooks\": {\"wh-0a1b2c3d\": {\"acked\": \"many\"",
        )
        .unwrap();
        let e = Cursors::load(&path).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let message = e.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("not a webhook cursor file"), "{message}");
    }

    #[test]
    fn a_file_without_reminders_reads_as_none_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("webhooks.json");
        std::fs::write(&path, r#"{"webhooks":{"wh-0a1b2c3d":{"acked":3}}}"#).unwrap();
        let cursors = Cursors::load(&path).unwrap();
        assert_eq!(
            cursors.webhooks["wh-0a1b2c3d"],
            Cursor {
                acked: 3,
                ..Cursor::default()
            }
        );
    }
}
