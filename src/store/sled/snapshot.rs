//! The projection snapshot in a sled tree, shared by the stores that keep it in sled (the sled
//! layout, and the segment layout's index): `p`+key → entry, `mcheckpoint` → its mark.

use std::collections::HashSet;
use std::path::Path;

use super::error::sled_error;
use super::keys::{
    projection_key, read_snapshot_mark, snapshot_mark_value, PROJECTION, SNAPSHOT_MARK_KEY,
};
use crate::store::{EntryIter, ProjectionEntry, StoreError};

/// The snapshot's mark: the sequence it covers and its format.
pub fn mark(dir: &Path, db: &sled::Db) -> Result<Option<(u64, u32)>, StoreError> {
    match db.get(SNAPSHOT_MARK_KEY).map_err(|e| sled_error(dir, e))? {
        None => Ok(None),
        Some(v) => read_snapshot_mark(&v).map(Some),
    }
}

/// Every projection entry, by key.
pub fn entries<'a>(dir: &'a Path, db: &sled::Db) -> EntryIter<'a> {
    Box::new(db.scan_prefix([PROJECTION]).map(move |item| {
        let (k, v) = item.map_err(|e| sled_error(dir, e))?;
        Ok((k[1..].to_vec(), v.to_vec()))
    }))
}

/// Writes `entries` and the mark in one batch; with `replace`, every other projection entry is
/// removed in the same batch.
pub fn save(
    dir: &Path,
    db: &sled::Db,
    entries: Vec<ProjectionEntry>,
    mark: (u64, u32),
    replace: bool,
) -> Result<(), StoreError> {
    let mut b = sled::Batch::default();
    let mut written = HashSet::new();
    for (key, value) in entries {
        let k = projection_key(&key);
        match value {
            Some(v) => b.insert(k.clone(), v),
            None => b.remove(k.clone()),
        }
        written.insert(k);
    }
    if replace {
        for item in db.scan_prefix([PROJECTION]).keys() {
            let k = item.map_err(|e| sled_error(dir, e))?;
            if !written.contains(k.as_ref()) {
                b.remove(k);
            }
        }
    }
    b.insert(SNAPSHOT_MARK_KEY, &snapshot_mark_value(mark.0, mark.1)[..]);
    db.apply_batch(b).map_err(|e| sled_error(dir, e))
}
