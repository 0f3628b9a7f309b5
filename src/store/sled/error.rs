//! How sled's errors become `StoreError`s: a held lock, a full disk, another I/O failure, or
//! anything else sled reports (which means its files are not what it wrote).

use std::path::Path;

use crate::store::StoreError;

pub fn sled_error(dir: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            StoreError::Locked {
                dir: dir.to_owned(),
            }
        }
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::StorageFull
                || io.to_string().contains("No space left on device") =>
        {
            StoreError::DiskFull {
                dir: dir.to_owned(),
            }
        }
        sled::Error::Io(io) => StoreError::Io(io),
        other => StoreError::Corrupt(other.to_string()),
    }
}
