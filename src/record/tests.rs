//! Unit tests of the record format: hashes and digests as text, the limits a record is read
//! within, links read in place, and the chain check's verdicts.

use super::*;

#[test]
fn a_hash_parses_from_lowercase_hex_only_wherever_the_bad_digit_is() {
    let hex = "0123456789abcdef".repeat(4);
    let hash = RecordHash::parse(&hex).expect("64 lowercase hex digits");
    assert_eq!(hash.to_string(), hex);
    assert_eq!(format!("{hash:?}"), format!("RecordHash({hex})"));
    for at in [0, 1, 31, 62, 63] {
        for bad in ['g', 'A', 'z', ' '] {
            let mut text: Vec<char> = hex.chars().collect();
            text[at] = bad;
            let text: String = text.into_iter().collect();
            assert_eq!(RecordHash::parse(&text), None, "{bad:?} at {at}");
        }
    }
    // Both digits of one byte bad at once.
    let both = format!("zz{}", &hex[2..]);
    assert_eq!(RecordHash::parse(&both), None);
    assert_eq!(RecordHash::parse(&hex[..63]), None);
}

#[test]
fn a_record_up_to_the_size_limit_is_read_and_a_larger_one_is_refused() {
    let envelope = Envelope {
        seq: 1,
        stream: StreamId::Access,
        version: 1,
        id: "r-1".to_owned(),
        actor: Actor::parse("olivia").unwrap(),
        auth: Auth::System,
        recorded_at: DateTime::parse_from_rfc3339("2026-07-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
        prev: RecordHash::ZERO,
    };
    let revoked = |reason_bytes: usize| {
        let event = Event::from(crate::domain::event::TokenRevoked {
            token: crate::domain::TokenHash::of("t"),
            reason: "x".repeat(reason_bytes),
        });
        encode(&envelope, &event)
    };
    let base = revoked(0).len();
    let largest = revoked(MAX_RECORD_BYTES - base);
    assert_eq!(largest.len(), MAX_RECORD_BYTES);
    assert!(decode(&largest).is_ok(), "a record of exactly the limit");
    let over = revoked(MAX_RECORD_BYTES - base + 1);
    let err = decode(&over).unwrap_err();
    assert!(err.0.contains("the limit is 32768"), "{err}");
}

/// Record `seq` of a chain, revoking a token with `reason`, linked to `prev`.
fn record(seq: u64, version: u64, id: &str, prev: RecordHash) -> Vec<u8> {
    let envelope = Envelope {
        seq,
        stream: StreamId::Access,
        version,
        id: id.to_owned(),
        actor: Actor::parse("olivia").unwrap(),
        auth: Auth::System,
        recorded_at: DateTime::parse_from_rfc3339("2026-07-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
        prev,
    };
    let event = Event::from(crate::domain::event::TokenRevoked {
        token: crate::domain::TokenHash::of("t"),
        reason: format!("reason {seq}"),
    });
    encode(&envelope, &event)
}

#[test]
fn a_digest_reads_back_as_it_prints_and_nonsense_is_refused_with_the_form_to_use() {
    let hash = RecordHash::of(b"x");
    let text = format!("12:{hash}");
    let digest = Digest::parse(&text).unwrap();
    assert_eq!(digest, Digest { seq: 12, hash });
    assert_eq!(digest.to_string(), text);
    for bad in ["12", "x:00", &format!("12:{}", &hash.to_string()[1..])] {
        let err = Digest::parse(bad).unwrap_err();
        assert!(err.contains("invalid digest"), "{bad}: {err}");
    }
}

#[test]
fn a_record_needs_seq_and_version_from_one_and_an_id_of_one_to_eighty_characters() {
    let long = "i".repeat(80);
    assert!(decode(&record(1, 1, &long, RecordHash::ZERO)).is_ok());
    for (seq, version, id) in [
        (0, 1, "a"),
        (1, 0, "a"),
        (1, 1, ""),
        (1, 1, &*"i".repeat(81)),
    ] {
        let err = decode(&record(seq, version, id, RecordHash::ZERO)).unwrap_err();
        assert!(
            err.0.contains("start at 1"),
            "{seq} {version} {id:?}: {err}"
        );
    }
}

#[test]
fn a_link_is_read_in_place_only_from_a_plain_sequence_number() {
    let bytes = record(7, 1, "a", RecordHash::ZERO);
    assert_eq!(read_link(&bytes).unwrap(), (7, RecordHash::ZERO));
    let text = String::from_utf8(bytes).unwrap();
    // JSON allows neither, so the link is unreadable, in place or not.
    for seq in ["07", "7.5"] {
        let odd = text.replacen("\"seq\":7,", &format!("\"seq\":{seq},"), 1);
        assert!(read_link(odd.as_bytes()).is_err(), "seq {seq}");
    }
}

#[test]
fn a_chain_check_stops_reading_at_the_first_bad_record() {
    let mut records = chain();
    records[4] = String::from_utf8(records[4].clone())
        .unwrap()
        .replace("reason 5", "reason 6")
        .into_bytes();
    let mut check = ChainCheck::new(None);
    for bytes in &records {
        check.push(None, bytes);
    }
    assert!(check.failed());
    let report = check.finish(None);
    assert_eq!(report.first_bad.as_ref().map(|b| b.seq), Some(5));
    assert_eq!(report.records, 4);
    assert!(report.head.seq < 10, "reading went on: {:?}", report.head);
}

/// Ten chained records.
fn chain() -> Vec<Vec<u8>> {
    let mut records = vec![];
    let mut prev = RecordHash::ZERO;
    for seq in 1..=10 {
        let bytes = record(seq, seq, &format!("r{seq}"), prev);
        prev = RecordHash::of(&bytes);
        records.push(bytes);
    }
    records
}

#[test]
fn records_behind_the_stores_head_are_named_from_the_first_one_added() {
    let records = chain();
    let mut check = ChainCheck::new(None);
    for bytes in &records {
        check.push(None, bytes);
    }
    let head = Digest {
        seq: 8,
        hash: RecordHash::of(&records[7]),
    };
    let bad = check.finish(Some(head)).first_bad.unwrap();
    assert_eq!(bad.seq, 9);
    assert!(bad.reason.contains("added behind"), "{}", bad.reason);
}

#[test]
fn a_chain_check_takes_a_record_of_exactly_the_limit_and_refuses_one_byte_more() {
    let padded = |extra: usize| {
        let text = String::from_utf8(record(1, 1, "a", RecordHash::ZERO)).unwrap();
        let pad = "x".repeat(MAX_RECORD_BYTES - text.len() + extra);
        text.replacen("reason 1", &format!("reason 1{pad}"), 1)
            .into_bytes()
    };
    let mut check = ChainCheck::new(None);
    check.push(None, &padded(0));
    assert!(!check.failed(), "exactly {MAX_RECORD_BYTES} bytes");
    let mut check = ChainCheck::new(None);
    check.push(None, &padded(1));
    let bad = check.finish(None).first_bad.unwrap();
    assert!(bad.reason.contains("the limit is 32768"), "{}", bad.reason);
}
