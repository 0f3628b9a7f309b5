//! Replay determinism: any log the domain can produce, encoded as records and decoded again,
//! replays to exactly the state the writer had; and an export imported elsewhere gives the same
//! digest and state, while a tampered export is refused whole.

use goal_ledger::domain::*;
use goal_ledger::ledger::{ImportError, Ledger};
use goal_ledger::projections::{apply_record, decode_at};
use goal_ledger::record::{encode, ChainCheck, Envelope, RecordHash};
use proptest::prelude::*;

use crate::ledger::{adopt, exported, setup};
use crate::support::*;

const PEOPLE: [&str; 6] = ["alice", "amir", "sam", "sofia", "carol", "zoe"];
const GOALS: [&str; 3] = ["web-traffic-q3", "lead-quality-q3", "csat-q3"];
const RULES: [&str; 6] = [
    "unanimous",
    "consent",
    "majority",
    "threshold:0.66",
    "quorum:0.5,majority",
    "per-team",
];
const CHOICES: [Choice; 4] = [
    Choice::Agree,
    Choice::Abstain,
    Choice::Disagree,
    Choice::Block,
];

fn op() -> impl Strategy<Value = (usize, Command)> {
    let who = 0..PEOPLE.len();
    let goal = (0..GOALS.len()).prop_map(|g| GOALS[g]);
    prop_oneof![
        (who.clone(), goal.clone(), 0..RULES.len(), any::<bool>()).prop_map(|(w, g, r, joint)| {
            let teams: &[&str] = if joint {
                &["marketing", "sales"]
            } else {
                &["customer-service"]
            };
            (w, propose_for(g, RULES[r], teams))
        }),
        (who.clone(), goal.clone(), 0..4usize).prop_map(|(w, g, c)| (w, vote(g, CHOICES[c]))),
        (who.clone(), goal.clone(), 1000u32..90000)
            .prop_map(|(w, g, t)| (w, retarget(g, "visits", t as f64))),
        (who.clone(), goal.clone(), 0u32..100000)
            .prop_map(|(w, g, v)| (w, check_in(g, "visits", v as f64))),
        (who.clone(), goal.clone()).prop_map(|(w, g)| (
            w,
            Command::CloseGoal {
                goal: goal_id(g),
                outcome: ClosingOutcome::Missed,
                score: 0.3,
                summary: "Fell short".into(),
                final_values: Default::default(),
            }
        )),
        (who.clone(), goal.clone()).prop_map(|(w, g)| (
            w,
            Command::ReopenGoal {
                goal: goal_id(g),
                reason: "Another try".into()
            }
        )),
        (who.clone(), goal.clone()).prop_map(|(w, g)| (
            w,
            Command::WithdrawProposal {
                goal: goal_id(g),
                reason: "Not now".into()
            }
        )),
        (who.clone(), 0..PEOPLE.len()).prop_map(|(w, m)| (w, join("sales", PEOPLE[m]))),
        (who, 0..PEOPLE.len()).prop_map(|(w, m)| (
            w,
            Command::LeaveTeam {
                team: team_id("marketing"),
                member: actor(PEOPLE[m])
            }
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn replaying_any_valid_log_gives_the_same_state(ops in prop::collection::vec(op(), 1..80)) {
        // The writer's side: decide and apply, encoding every event as a record.
        let mut writer = given(vec![]);
        let mut records = Vec::new();
        let mut prev = RecordHash::ZERO;
        for (who, command) in departments().into_iter().map(|(w, c)| (w.to_owned(), c)).chain(
            ops.into_iter().map(|(w, c)| (PEOPLE[w].to_owned(), c)),
        ) {
            let Ok(events) = writer.decide(&who, &command) else { continue };
            for event in &events {
                let stream = event.stream();
                let envelope = Envelope {
                    seq: records.len() as u64 + 1,
                    version: writer.state.version_of(&stream) + 1,
                    stream,
                    id: format!("e{}", records.len() + 1),
                    actor: actor(&who),
                    recorded_at: writer.now,
                    prev,
                };
                let bytes = encode(&envelope, event);
                prev = RecordHash::of(&bytes);
                records.push(bytes);
                writer.apply(&who, vec![event.clone()]);
            }
        }
        let mut state = State::default();
        let mut check = ChainCheck::new(None);
        for (i, bytes) in records.iter().enumerate() {
            check.push(Some(i as u64 + 1), bytes);
            apply_record(&mut state, &decode_at(i as u64 + 1, bytes).unwrap()).unwrap();
        }
        prop_assert!(check.finish(None).ok());
        prop_assert_eq!(&state, &writer.state);
    }
}

#[tokio::test]
async fn an_export_imported_into_a_fresh_directory_gives_the_same_digest_and_state() {
    let (dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    run(&ledger, "sam", check_in("g", "visits", 41000.0))
        .await
        .unwrap();
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, exported(&ledger)).unwrap();

    let other = temp_dir();
    let copy = Ledger::open(other.path(), Default::default()).unwrap();
    let summary = copy.import(&file, &mut |_| {}).await.unwrap();
    assert_eq!(summary.appended, ledger.digest().seq);
    assert_eq!(copy.digest(), ledger.digest());
    assert_eq!(copy.read(|s| s.clone()), ledger.read(|s| s.clone()));
    assert_eq!(exported(&copy), exported(&ledger));

    // Importing the same file again finds everything present and appends nothing.
    let again = copy.import(&file, &mut |_| {}).await.unwrap();
    assert_eq!(
        (again.already_present, again.appended),
        (ledger.digest().seq, 0)
    );
}

#[tokio::test]
async fn a_tampered_export_is_refused_and_nothing_is_imported() {
    let (dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    adopt(&ledger, "g").await;
    let text = String::from_utf8(exported(&ledger))
        .unwrap()
        .replace("\"sofia\"", "\"sofie\"");
    let file = dir.path().join("tampered.jsonl");
    std::fs::write(&file, text).unwrap();

    let other = temp_dir();
    let copy = Ledger::open(other.path(), Default::default()).unwrap();
    let err = copy.import(&file, &mut |_| {}).await.unwrap_err();
    assert!(matches!(err, ImportError::Broken(_)), "{err}");
    assert!(err.to_string().contains("nothing was imported"), "{err}");
    assert_eq!(copy.digest().seq, 0);
    assert!(exported(&copy).is_empty());
}

#[tokio::test]
async fn an_import_that_does_not_continue_the_ledger_is_refused() {
    let (dir, ledger, _) = temp_ledger();
    setup(&ledger).await;
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, exported(&ledger)).unwrap();

    let (_other, different, _) = temp_ledger();
    run(&different, "admin", register("finance", "Finance"))
        .await
        .unwrap();
    let before = exported(&different);
    let err = different.import(&file, &mut |_| {}).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("differs from this ledger's record 1"),
        "{err}"
    );
    assert_eq!(exported(&different), before);
}

#[tokio::test]
async fn an_import_whose_times_go_back_is_refused() {
    // Given an export whose chain is intact but whose second record was recorded before the first
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
    let mut prev = RecordHash::ZERO;
    let mut lines = Vec::new();
    for (seq, team, time) in [
        (1, "sales", "2026-07-01T10:00:00Z"),
        (2, "finance", "2026-07-01T09:00:00Z"),
    ] {
        let event = Event::TeamRegistered(goal_ledger::domain::event::TeamRegistered {
            team: team_id(team),
            name: team.to_owned(),
        });
        let envelope = Envelope {
            seq,
            version: 1,
            stream: event.stream(),
            id: format!("e{seq}"),
            actor: actor("admin"),
            recorded_at: at(time),
            prev,
        };
        let bytes = encode(&envelope, &event);
        prev = RecordHash::of(&bytes);
        lines.push(String::from_utf8(bytes).unwrap());
    }
    let (dir, ledger, _) = temp_ledger();
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    // When it is imported
    let err = ledger.import(&file, &mut |_| {}).await.unwrap_err();
    // Then it is refused, saying which record goes back, and nothing is imported
    assert!(
        err.to_string().contains("record 2 was recorded at"),
        "{err}"
    );
    assert!(err.to_string().contains("never go back"), "{err}");
    assert_eq!(ledger.digest().seq, 0);
}
