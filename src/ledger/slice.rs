//! Checking a slice of the log (records A..B, written by `export --from A --to B`) and a proof
//! of one record against a signed checkpoint: record B is in the checkpoint's tree (its
//! inclusion proof), and the chain from A to B is intact, so every record of the slice is the
//! one the checkpoint covers. `events/verify.py` applies the same rules and names the same
//! record.

use std::io::BufRead;

use super::audit::split_lines;
use super::tree_check::Expected;
use crate::proofs::{check, leaf_hash, ProofFile};
use crate::record::{read_link, BadRecord, ChainCheck, VerifyReport};

/// Checks that `record` is leaf `proof.index` of the checkpoint `signed` (whose signature the
/// caller checked); names the record when it is not.
pub fn check_inclusion(record: &[u8], proof: &ProofFile, signed: &Expected) -> Option<BadRecord> {
    let at = proof.index + 1;
    // The record is named by its own seq when it has one.
    let seq = match read_link(record) {
        Ok((seq, _)) => seq,
        Err(e) => {
            return Some(BadRecord {
                seq: at,
                reason: format!("record {at} is unreadable: {e}"),
            })
        }
    };
    let bad = |reason: String| Some(BadRecord { seq, reason });
    if proof.extra.as_deref().is_some_and(|extra| extra != record) {
        return bad(format!(
            "the proof is for other bytes than record {seq}: it proves another record"
        ));
    }
    if seq != at {
        return bad(format!(
            "the proof is for record {at} (index {}) but the record is seq {seq}",
            proof.index
        ));
    }
    let leaf = leaf_hash(record);
    match check::inclusion(proof.index, signed.size, &leaf, &proof.hashes, &signed.root) {
        Ok(()) => None,
        Err(e) => bad(format!(
            "record {seq} is not in {} of {} records: {e}",
            signed.what, signed.size
        )),
    }
}

/// Verifies a slice whose last record `proof` proves in the checkpoint `signed`. The report's
/// `head` is the slice's last record; `records` counts the slice's records that verify.
pub fn verify_slice(
    input: impl BufRead,
    proof: &ProofFile,
    signed: &Expected,
) -> std::io::Result<VerifyReport> {
    let mut lines = split_lines(input);
    let Some(first) = lines.next().transpose()? else {
        return Ok(failed(1, "the slice holds no records".to_owned()));
    };
    let first_seq = read_link(&first).map_or(1, |(seq, _)| seq.max(1));
    let mut check = ChainCheck::resume_at(&first);
    let mut last = first.clone();
    let mut count = 1u64;
    check.push(None, &first);
    for line in lines.by_ref() {
        if check.failed() {
            break;
        }
        last = line?;
        count += 1;
        check.push(None, &last);
    }
    let mut report = check.finish(None);
    report.records = report.records.min(count);
    if let Some(bad) = lines.cut_short_from(first_seq) {
        report.fail_at(bad);
    }
    if report.head.seq != proof.index + 1 && report.ok() {
        report.fail_at(BadRecord {
            seq: report.head.seq,
            reason: format!(
                "the slice ends at record {} but its proof is for record {}",
                report.head.seq,
                proof.index + 1
            ),
        });
    }
    if let Some(bad) = check_inclusion(&last, proof, signed) {
        report.fail_at(bad);
    }
    Ok(report)
}

fn failed(seq: u64, reason: String) -> VerifyReport {
    VerifyReport {
        records: 0,
        head: crate::record::Digest::EMPTY,
        first_bad: Some(BadRecord { seq, reason }),
        root: None,
    }
}
