//! Property-based fuzzing of everything that reads outside input: record decoding and chain
//! verification over arbitrary bytes, the import path over arbitrary files, and the parsers of
//! ids, rules, digests, key-result specs and dates. None may panic; each answers with an error.

use goal_ledger::domain::{Actor, EventId, GoalId, KrName, Rule, StreamId, TeamId, TokenHash};
use goal_ledger::ledger::Ledger;
use goal_ledger::record::{decode, read_link, ChainCheck, Digest};
use proptest::prelude::*;

use crate::support::*;

/// Arbitrary bytes and near-records: real records with bytes changed, cut or spliced.
fn record_like() -> impl Strategy<Value = Vec<u8>> {
    let sample =
        std::fs::read_to_string(crate::golden::path("events/samples/quarterly-goals.jsonl"))
            .unwrap();
    let lines: Vec<Vec<u8>> = sample.lines().map(|l| l.as_bytes().to_vec()).collect();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        (
            prop::sample::select(lines.clone()),
            any::<prop::sample::Index>(),
            any::<u8>()
        )
            .prop_map(|(mut l, i, b)| {
                let at = i.index(l.len());
                l[at] = b;
                l
            }),
        (
            prop::sample::select(lines.clone()),
            any::<prop::sample::Index>()
        )
            .prop_map(|(l, i)| l[..i.index(l.len())].to_vec()),
        (
            prop::sample::select(lines.clone()),
            prop::sample::select(lines),
            any::<prop::sample::Index>()
        )
            .prop_map(|(a, b, i)| {
                let at = i.index(a.len());
                [&a[..at], &b[at.min(b.len())..]].concat()
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoding_and_verifying_arbitrary_bytes_never_panics(records in prop::collection::vec(record_like(), 0..8)) {
        let mut check = ChainCheck::new(None);
        for (i, bytes) in records.iter().enumerate() {
            let _ = decode(bytes);
            let _ = read_link(bytes);
            check.push(Some(i as u64 + 1), bytes);
        }
        let _ = check.finish(None);
    }

    /// `read_link` reads the two ends of a record in place; whenever the bytes are also a JSON
    /// record, it must read what the parser reads.
    #[test]
    fn reading_the_link_in_place_agrees_with_the_json_parser(bytes in record_like()) {
        let parsed = serde_json::from_slice::<serde_json::Value>(&bytes);
        if let (Ok((seq, prev)), Ok(value)) = (read_link(&bytes), parsed) {
            prop_assert_eq!(value["seq"].as_u64(), Some(seq));
            let prev = prev.to_string();
            prop_assert_eq!(value["prev"].as_str(), Some(prev.as_str()));
        }
    }

    #[test]
    fn parsers_of_outside_text_never_panic(text in ".{0,80}") {
        let _ = GoalId::parse(&text);
        let _ = TeamId::parse(&text);
        let _ = Actor::parse(&text);
        let _ = KrName::parse(&text);
        let _ = EventId::parse(&text);
        let _ = StreamId::parse(&text);
        let _ = TokenHash::parse(&text);
        let _ = Rule::parse(&text);
        let _ = Digest::parse(&text);
        let _ = goal_ledger::input::key_result(&text);
        let _ = goal_ledger::input::kr_value(&text);
        let _ = goal_ledger::input::date(&text);
        let _ = goal_ledger::input::time(&text, true);
    }

    #[test]
    fn rule_text_round_trips(share in 1u32..=100, quorum in prop::option::of(1u32..=100)) {
        let text = match quorum {
            Some(q) => format!("quorum:{},threshold:{}", q as f64 / 100.0, share as f64 / 100.0),
            None => format!("threshold:{}", share as f64 / 100.0),
        };
        let rule = Rule::parse(&text).unwrap();
        prop_assert_eq!(Rule::parse(&rule.to_string()).unwrap(), rule);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// An arbitrary import file is either imported whole (it was a valid ledger) or refused with
    /// nothing appended; it never panics or half-imports.
    #[test]
    fn importing_an_arbitrary_file_appends_all_of_it_or_nothing(records in prop::collection::vec(record_like(), 0..6)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = temp_dir();
        let file = dir.path().join("in.jsonl");
        let mut text = Vec::new();
        for r in &records {
            text.extend_from_slice(r);
            text.push(b'\n');
        }
        std::fs::write(&file, &text).unwrap();
        let ledger = Ledger::open(&dir.path().join("data"), Default::default()).unwrap();
        let result = rt.block_on(ledger.import(&file, &mut |_| {}));
        match result {
            Ok(summary) => prop_assert_eq!(summary.appended, ledger.digest().seq),
            Err(_) => prop_assert_eq!(ledger.digest().seq, 0),
        }
    }
}
