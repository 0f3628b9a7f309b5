//! Replay determinism: any log the domain can produce (long random histories with a moving
//! clock, closing times that pass, corrections, notes, tokens and membership changes), encoded
//! as records and decoded again, replays to exactly the state the writer had; and an export
//! imported elsewhere gives the same digest and state, while a tampered export is refused whole.

use goal_ledger::domain::*;
use goal_ledger::domain::{Role, TokenHash};
use goal_ledger::ledger::{ImportError, Ledger};
use goal_ledger::projections::{apply_record, decode_at};
use goal_ledger::record::{encode, Auth, ChainCheck, Envelope, RecordHash};
use proptest::prelude::*;

use crate::ledger::{adopt, exported, setup};
use crate::support::*;

const PEOPLE: [&str; 6] = ["alice", "amir", "sam", "sofia", "carol", "zoe"];
const TEAMS: [&str; 3] = ["marketing", "sales", "customer-service"];
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
const HEALTH: [Health; 3] = [Health::OnTrack, Health::AtRisk, Health::OffTrack];
const OUTCOMES: [ClosingOutcome; 4] = [
    ClosingOutcome::Achieved,
    ClosingOutcome::Partial,
    ClosingOutcome::Missed,
    ClosingOutcome::Dropped,
];

/// One step of a random history.
#[derive(Debug, Clone)]
enum Op {
    /// `PEOPLE[who]` gives a command; `closes_in` hours sets a proposal's closing time.
    Give {
        who: usize,
        command: Box<Command>,
        closes_in: Option<i64>,
    },
    /// `PEOPLE[who]` corrects the `pick`-th check-in so far (wrapping) with `value`.
    Correct { who: usize, pick: usize, value: f64 },
    /// The clock moves on by this many microseconds.
    Advance(i64),
}

fn give(who: usize, command: Command) -> Op {
    Op::Give {
        who,
        command: Box::new(command),
        closes_in: None,
    }
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..PEOPLE.len();
    let goal = (0..GOALS.len()).prop_map(|g| GOALS[g]);
    let team = (0..TEAMS.len()).prop_map(|t| TEAMS[t]);
    let closes_in = prop::option::of(1i64..96);
    prop_oneof![
        3 => (who.clone(), goal.clone(), 0..RULES.len(), 0..3usize, closes_in.clone())
            .prop_map(|(w, g, r, teams, closes_in)| {
                let teams: &[&str] = match teams {
                    0 => &["marketing", "sales"],
                    1 => &["customer-service"],
                    _ => &["marketing", "sales", "customer-service"],
                };
                Op::Give { who: w, command: Box::new(propose_for(g, RULES[r], teams)), closes_in }
            }),
        // Mostly agreement, so that goals get adopted and the later commands apply.
        12 => (who.clone(), goal.clone(), prop_oneof![12 => Just(0usize), 1 => Just(1), 1 => Just(2), 1 => Just(3)])
            .prop_map(|(w, g, c)| give(w, vote(g, CHOICES[c]))),
        2 => (who.clone(), goal.clone(), 1000u32..90000, closes_in)
            .prop_map(|(w, g, t, closes_in)| Op::Give {
                who: w,
                command: Box::new(retarget(g, "visits", t as f64)),
                closes_in,
            }),
        4 => (who.clone(), goal.clone(), 0u32..100000, 0..3usize, prop::option::of(0u8..=10))
            .prop_map(|(w, g, v, h, confidence)| give(w, Command::RecordCheckIn {
                goal: goal_id(g),
                key_result: kr("visits"),
                value: v as f64,
                health: HEALTH[h],
                confidence,
                note: Some(format!("week {v}")),
                corrects: None,
                outside_period: false,
            })),
        2 => (who.clone(), any::<usize>(), 0u32..100000)
            .prop_map(|(w, pick, v)| Op::Correct { who: w, pick, value: v as f64 }),
        2 => (who.clone(), goal.clone(), 0..4usize, 0u32..=10).prop_map(|(w, g, o, score)| give(
            w,
            Command::CloseGoal {
                goal: goal_id(g),
                terms: ClosingTerms {
                    outcome: OUTCOMES[o],
                    score: score as f64 / 10.0,
                    summary: "The quarter is over".into(),
                    final_values: Default::default(),
                },
                closes_at: None,
            }
        )),
        1 => (who.clone(), goal.clone()).prop_map(|(w, g)| give(
            w,
            Command::ReopenGoal { goal: goal_id(g), reason: "Another try".into(), closes_at: None }
        )),
        1 => (who.clone(), goal.clone()).prop_map(|(w, g)| give(
            w,
            Command::WithdrawProposal { goal: goal_id(g), reason: "Not now".into() }
        )),
        2 => (who.clone(), goal.clone(), 0..Section::ALL.len(), 0..PEOPLE.len()).prop_map(
            |(w, g, s, owner)| {
                let section = Section::ALL[s];
                let action = section == Section::ActionItem;
                give(w, Command::NotePostMortem {
                    goal: goal_id(g),
                    section,
                    text: format!("{section:?} by {}", PEOPLE[w]),
                    owner: action.then(|| actor(PEOPLE[owner])),
                    due: action.then(|| date("2026-10-31")),
                })
            }
        ),
        1 => (0..4usize, 0..PEOPLE.len(), 0..3usize).prop_map(|(t, a, r)| give(
            0,
            Command::GrantToken {
                token: TokenHash::of(&format!("token-{t}")),
                actor: actor(PEOPLE[a]),
                role: [Role::Reader, Role::Member, Role::Admin][r],
                expires_at: None,
            }
        )),
        1 => (0..4usize).prop_map(|t| give(
            0,
            Command::RevokeToken {
                token: TokenHash::of(&format!("token-{t}")),
                reason: "Left".into(),
            }
        )),
        2 => (who.clone(), team.clone(), 0..PEOPLE.len()).prop_map(|(w, t, m)| give(w, join(t, PEOPLE[m]))),
        1 => (who, team, 0..PEOPLE.len()).prop_map(|(w, t, m)| give(
            w,
            Command::LeaveTeam { team: team_id(t), member: actor(PEOPLE[m]) }
        )),
        // From a second to four days, with microseconds, so closing times pass.
        4 => (1_000_000i64..345_600_000_000).prop_map(Op::Advance),
    ]
}

/// The writer's side of a history, modelled on the pure domain as the real writer runs it:
/// at each step the proposals past their closing time are decided first (as the system), then
/// the command is decided with the time and any corrected check-in in its context; every event
/// is encoded as a chained record.
#[derive(Default)]
struct Log {
    state: State,
    records: Vec<Vec<u8>>,
    prev: Option<RecordHash>,
    check_ins: Vec<CheckInRef>,
    /// Events from the random steps (not the fixed setup), and from deadlines among them.
    random: usize,
    by_deadline: usize,
    kinds: std::collections::BTreeSet<&'static str>,
}

impl Log {
    fn append(&mut self, who: &Actor, events: Vec<Event>, now: chrono::DateTime<chrono::Utc>) {
        for event in events {
            let stream = event.stream();
            let seq = self.records.len() as u64 + 1;
            let envelope = Envelope {
                seq,
                version: self.state.version_of(&stream) + 1,
                stream,
                id: format!("e{seq}"),
                actor: who.clone(),
                auth: if who.is_system() {
                    Auth::System
                } else {
                    test_auth()
                },
                recorded_at: now,
                prev: self.prev.unwrap_or(RecordHash::ZERO),
            };
            let bytes = encode(&envelope, &event);
            self.prev = Some(RecordHash::of(&bytes));
            self.records.push(bytes);
            if let Event::CheckInRecorded(c) = &event {
                self.check_ins.push(CheckInRef {
                    seq,
                    goal: c.goal.clone(),
                    key_result: c.key_result.clone(),
                });
            }
            self.kinds.insert(event.type_name());
            let meta = Meta {
                seq,
                version: envelope.version,
                at: now,
                actor: who,
            };
            apply(&mut self.state, meta, &event).unwrap();
        }
    }

    fn step(
        &mut self,
        who: &str,
        command: &Command,
        corrected: Option<CheckInRef>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> usize {
        let before = self.records.len();
        for events in tick(&self.state, now) {
            self.by_deadline += events.len();
            self.append(&Actor::system(), events, now);
        }
        let ctx = Context {
            actor: actor(who),
            now,
            corrected,
        };
        if let Ok(events) = decide(&self.state, command, &ctx) {
            self.append(&actor(who), events, now);
        }
        self.records.len() - before
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn replaying_any_valid_log_gives_the_same_state(
        first in (0..GOALS.len(), 0..RULES.len()),
        ops in prop::collection::vec(op(), 40..120),
    ) {
        let mut log = Log::default();
        let mut now = time("2026-07-01T09:00:00Z");
        for (who, command) in departments() {
            log.step(who, &command, None, now);
        }
        // Every history has at least one random step that appends: a proposal by alice.
        let opening = propose_for(GOALS[first.0], RULES[first.1], &["marketing", "sales"]);
        log.random += log.step("alice", &opening, None, now);
        for op in ops {
            let (who, command, corrected) = match op {
                Op::Advance(micros) => {
                    now += chrono::Duration::microseconds(micros);
                    continue;
                }
                Op::Give { who, mut command, closes_in } => {
                    if let (
                        Command::ProposeGoal { closes_at, .. } | Command::ProposeAdjustment { closes_at, .. },
                        Some(hours),
                    ) = (&mut *command, closes_in) {
                        *closes_at = Some(now + chrono::Duration::hours(hours));
                    }
                    (who, *command, None)
                }
                Op::Correct { who, pick, value } => {
                    let Some(target) = (!log.check_ins.is_empty())
                        .then(|| log.check_ins[pick % log.check_ins.len()].clone())
                    else {
                        continue;
                    };
                    let command = Command::RecordCheckIn {
                        goal: target.goal.clone(),
                        key_result: target.key_result.clone(),
                        value,
                        health: Health::AtRisk,
                        confidence: None,
                        note: Some("the earlier figure was wrong".into()),
                        corrects: Some(target.seq),
                        outside_period: false,
                    };
                    (who, command, Some(target))
                }
            };
            log.random += log.step(PEOPLE[who], &command, corrected, now);
        }
        // The deadlines still open are decided at the end of time.
        log.random += log.step("alice", &vote(GOALS[0], Choice::Agree), None, now + chrono::Duration::days(365));
        prop_assert!(log.random >= 1);

        // The reader's side: the records alone, decoded, chained and replayed.
        let mut state = State::default();
        let mut check = ChainCheck::new(None);
        for (i, bytes) in log.records.iter().enumerate() {
            check.push(Some(i as u64 + 1), bytes);
            apply_record(&mut state, &decode_at(i as u64 + 1, bytes).unwrap()).unwrap();
        }
        prop_assert!(check.finish(None).ok());
        prop_assert_eq!(&state, &log.state);
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
            auth: test_auth(),
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
