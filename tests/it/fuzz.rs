//! Property-based fuzzing of everything that reads outside input: record decoding and chain
//! verification over arbitrary bytes, the import path over arbitrary files, and the parsers of
//! ids, rules, digests, key-result specs and dates. None may panic; each answers with an error.

use goal_ledger::domain::*;
use goal_ledger::domain::{EventId, StreamId, TokenHash};
use goal_ledger::ledger::Ledger;
use goal_ledger::record::{decode, encode, read_link, ChainCheck, Digest, Envelope, RecordHash};
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

/// A command that may continue the ledger (some are rejected there and then skipped).
fn continuation_command() -> impl Strategy<Value = (&'static str, Command)> {
    prop_oneof![
        (0u32..100_000).prop_map(|v| ("sam", check_in("g", "visits", v as f64))),
        (0u32..1000).prop_map(|n| (
            "alice",
            Command::NotePostMortem {
                goal: goal_id("g"),
                section: Section::WentWell,
                text: format!("note {n}"),
                owner: None,
                due: None,
            }
        )),
        (0u32..4).prop_map(|n| ("alice", propose(&format!("h{n}"), "majority"))),
        (0u32..4).prop_map(|n| ("sam", vote(&format!("h{n}"), Choice::Agree))),
        Just(("admin", join("sales", "zoe"))),
    ]
}

/// What is done to the encoded continuation before it is imported.
#[derive(Debug, Clone)]
enum Damage {
    None,
    /// A record stamped an hour before the ledger's last record, chain intact.
    TimeBack(prop::sample::Index),
    /// A record whose stream version is one too high, chain intact.
    VersionSkip(prop::sample::Index),
    /// Bytes of the encoded records changed after the chain was made.
    Flip(prop::sample::Index, prop::sample::Index, u8),
    Cut(prop::sample::Index, prop::sample::Index),
    Drop(prop::sample::Index),
    Swap(prop::sample::Index, prop::sample::Index),
    Repeat(prop::sample::Index),
}

fn damage() -> impl Strategy<Value = Damage> {
    let i = any::<prop::sample::Index>;
    prop_oneof![
        3 => Just(Damage::None),
        1 => i().prop_map(Damage::TimeBack),
        1 => i().prop_map(Damage::VersionSkip),
        2 => (i(), i(), 1u8..=255).prop_map(|(r, b, x)| Damage::Flip(r, b, x)),
        1 => (i(), i()).prop_map(|(r, b)| Damage::Cut(r, b)),
        1 => i().prop_map(Damage::Drop),
        1 => (i(), i()).prop_map(|(a, b)| Damage::Swap(a, b)),
        1 => i().prop_map(Damage::Repeat),
    ]
}

/// Encodes `commands` as records continuing `ledger`: decided against its state, stamped from
/// a minute after its last record on, chained from its head. `damage` may alter an envelope
/// before it is encoded (the chain stays intact) or the bytes after.
fn continuation(ledger: &Ledger, commands: &[(&str, Command)], damage: &Damage) -> Vec<Vec<u8>> {
    let mut state = ledger.read(|s| s.clone());
    let head = ledger.digest();
    let last = decode(&ledger.records_after(head.seq - 1, 1).unwrap()[0].1).unwrap();
    let mut now = last.envelope.recorded_at;
    let mut prev = head.hash;
    let mut envelopes = Vec::new();
    for (who, command) in commands {
        now += chrono::Duration::minutes(1);
        let ctx = Context {
            actor: actor(who),
            now,
            corrected: None,
        };
        let Ok(events) = decide(&state, command, &ctx) else {
            continue;
        };
        for event in events {
            let stream = event.stream();
            let envelope = Envelope {
                seq: state.seq + 1,
                version: state.version_of(&stream) + 1,
                stream,
                id: format!("continued-{}", state.seq + 1),
                actor: actor(who),
                auth: test_auth(),
                recorded_at: now,
                prev: RecordHash::ZERO,
            };
            let meta = Meta {
                seq: envelope.seq,
                version: envelope.version,
                at: now,
                actor: &envelope.actor,
            };
            apply(&mut state, meta, &event).unwrap();
            envelopes.push((envelope, event));
        }
    }
    let n = envelopes.len();
    match damage {
        Damage::TimeBack(i) => {
            envelopes[i.index(n)].0.recorded_at =
                last.envelope.recorded_at - chrono::Duration::hours(1)
        }
        Damage::VersionSkip(i) => envelopes[i.index(n)].0.version += 1,
        _ => {}
    }
    let mut lines = Vec::new();
    for (mut envelope, event) in envelopes {
        envelope.prev = prev;
        let bytes = encode(&envelope, &event);
        prev = RecordHash::of(&bytes);
        lines.push(bytes);
    }
    match damage {
        Damage::Flip(r, b, x) => {
            let line = &mut lines[r.index(n)];
            let at = b.index(line.len());
            line[at] ^= x;
        }
        Damage::Cut(r, b) => {
            let line = &mut lines[r.index(n)];
            line.truncate(b.index(line.len()));
        }
        Damage::Drop(r) => {
            lines.remove(r.index(n));
        }
        Damage::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
        Damage::Repeat(r) => {
            let line = lines[r.index(n)].clone();
            lines.insert(r.index(n), line);
        }
        _ => {}
    }
    lines
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A file that continues the ledger with real records is imported: exactly the continuation
    /// is appended and the chain verifies. The same file damaged is either still a valid
    /// continuation (then the same holds) or refused with the ledger's bytes unchanged; a
    /// record that goes back in time or skips a version is always refused.
    #[test]
    fn importing_a_continuation_appends_exactly_it_and_a_damaged_one_changes_nothing(
        commands in prop::collection::vec(continuation_command(), 0..8),
        damage in damage(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // Given a ledger with the departments and an adopted goal `g`,
        let (_data, ledger, _) = temp_ledger();
        rt.block_on(async {
            crate::ledger::setup(&ledger).await;
            crate::ledger::adopt(&ledger, "g").await;
        });
        let before = crate::ledger::exported(&ledger);
        // and a file of its records followed by a continuation, damaged or not (its first step
        // always applies: a check-in on the adopted goal),
        let mut all = vec![("sam", check_in("g", "visits", 41000.0))];
        all.extend(commands);
        let lines = continuation(&ledger, &all, &damage);
        let mut file = before.clone();
        for line in &lines {
            file.extend_from_slice(line);
            file.push(b'\n');
        }
        let dir = temp_dir();
        let path = dir.path().join("continued.jsonl");
        std::fs::write(&path, &file).unwrap();
        // when it is imported,
        let result = rt.block_on(ledger.import(&path, &mut |_| {}));
        let always_refused = matches!(damage, Damage::TimeBack(_) | Damage::VersionSkip(_));
        // then either exactly the continuation was appended and the chain verifies, or nothing.
        match result {
            Ok(summary) => {
                prop_assert!(!always_refused, "{:?} was imported", damage);
                prop_assert_eq!(summary.appended, lines.len() as u64);
                prop_assert_eq!(crate::ledger::exported(&ledger), file);
                let report = ledger.verify(None, &mut |_| ()).unwrap();
                prop_assert!(report.ok(), "{:?}", report);
            }
            Err(e) => {
                prop_assert!(!matches!(damage, Damage::None), "a valid continuation was refused: {}", e);
                prop_assert_eq!(crate::ledger::exported(&ledger), before);
            }
        }
    }
}
