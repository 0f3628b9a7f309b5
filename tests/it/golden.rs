//! Golden files: compared byte for byte, refreshed with `UPDATE_GOLDEN=1 cargo test`. A
//! mismatch fails with a line diff, never by editing expectations by hand.

use std::path::{Path, PathBuf};

pub fn path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Asserts that `relative` holds exactly `actual`, or rewrites it under `UPDATE_GOLDEN=1`.
pub fn check(relative: &str, actual: &str) {
    let file = path(relative);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&file, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!("{relative}: {e}; run `UPDATE_GOLDEN=1 cargo test` to create it")
    });
    if expected != actual {
        let mut diff = String::new();
        for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
            if e != a {
                diff += &format!("line {}:\n- {e}\n+ {a}\n", i + 1);
                if diff.len() > 4000 {
                    break;
                }
            }
        }
        let (el, al) = (expected.lines().count(), actual.lines().count());
        if el != al {
            diff += &format!("expected {el} lines, got {al}\n");
        }
        panic!("{relative} differs from what the code produces (UPDATE_GOLDEN=1 refreshes it):\n{diff}");
    }
}
