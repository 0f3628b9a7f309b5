//! Finding a time on the log without an index: `recorded_at` never decreases along the log (the
//! writer stamps `max(clock, last)`, import refuses records that go back), so the records
//! recorded before a time are a prefix, found by binary search over sequence numbers. Works
//! over any reader of records by sequence number.

use super::StoreError;
use crate::record::read_recorded_at;

/// Reads one record's stored bytes by sequence number.
pub type ReadRecord<'a> = dyn FnMut(u64) -> Result<Option<Vec<u8>>, StoreError> + 'a;

/// The last sequence number among records `1..=head` recorded at or before `micros`.
pub fn last_seq_at(
    head: u64,
    micros: i64,
    record: &mut ReadRecord<'_>,
) -> Result<Option<u64>, StoreError> {
    let k = count_recorded(head, record, |at| at <= micros)?;
    Ok((k > 0).then_some(k))
}

/// The first sequence number among records `1..=head` recorded at or after `micros`.
pub fn first_seq_from(
    head: u64,
    micros: i64,
    record: &mut ReadRecord<'_>,
) -> Result<Option<u64>, StoreError> {
    let k = count_recorded(head, record, |at| at < micros)?;
    Ok((k < head).then_some(k + 1))
}

/// How many of the first `n` records were recorded at a time satisfying `before`, which
/// holds for a prefix of the log since its times never decrease.
fn count_recorded(
    n: u64,
    record: &mut ReadRecord<'_>,
    before: impl Fn(i64) -> bool,
) -> Result<u64, StoreError> {
    let (mut lo, mut hi) = (0u64, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let seq = mid + 1;
        let bytes = record(seq)?.ok_or_else(|| {
            StoreError::Corrupt(format!("record {seq} is missing; run `goal-ledger verify`"))
        })?;
        let at = read_recorded_at(&bytes)
            .map_err(|e| StoreError::Corrupt(format!("record {seq}: {e}")))?;
        if before(at.timestamp_micros()) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}
