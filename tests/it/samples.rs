//! The sample ledger `events/samples/quarterly-goals.jsonl`: three departments (marketing,
//! sales, customer service) agree on joint Q3 goals under different rules, reject one proposal,
//! adjust one goal mid-quarter by vote, check in weekly, close the goals achieved / partial /
//! missed and write post-mortems. The scenario below writes it through the real ledger with a
//! scripted clock; the test checks the file is exactly what the code writes (golden), that it
//! verifies, and that it replays to the end state documented in `events/samples/README.md`.
//! Olivia sets the ledger up on the data directory (local writes from `olivia@ops-laptop`);
//! everyone else, and olivia later on, writes through the server with a sample token; the
//! closing time of a proposal is decided by the ledger itself (`system`).

use chrono::{Duration, NaiveDate};
use goal_ledger::domain::*;
use goal_ledger::ledger::{verify_lines, Ledger, Request};
use goal_ledger::record::{self, Auth};

use crate::golden;
use crate::ledger::exported;
use crate::support::*;

pub(crate) struct Scenario {
    ledger: Ledger,
    clock: TestClock,
    n: u32,
}

/// The token `who` holds in the sample (only its hash is recorded).
fn sample_token(who: &str) -> TokenHash {
    TokenHash::of(&format!("sample-token-{who}"))
}

impl Scenario {
    /// `who` does `command` at `when` through the server, with their sample token.
    pub(crate) async fn at(&mut self, when: &str, who: &str, command: Command) {
        let auth = Auth::token(&sample_token(who));
        self.write(when, who, auth, command).await;
    }

    /// Olivia, at the operations laptop, does `command` on the data directory itself (before
    /// anyone holds a token): a local write, whose actor is only what `--actor` said.
    async fn local(&mut self, when: &str, who: &str, command: Command) {
        let auth = Auth::local("olivia", "ops-laptop");
        self.write(when, who, auth, command).await;
    }

    async fn write(&mut self, when: &str, who: &str, auth: Auth, command: Command) {
        self.clock.set(when);
        self.n += 1;
        let request = Request {
            id: Some(EventId::parse(&format!("q3-{:04}", self.n)).unwrap()),
            ..Request::new(actor(who), auth, command)
        };
        if let Err(e) = self.ledger.execute(request).await {
            panic!("scenario step {} ({when}, {who}) was refused: {e}", self.n);
        }
    }

    /// `voters` agree with the open proposal on `goal`, five minutes apart from `when`.
    pub(crate) async fn agreed(&mut self, when: &str, goal: &str, voters: &[&str]) {
        for (i, who) in voters.iter().enumerate() {
            let at = time(when) + Duration::minutes(5 * i as i64);
            self.at(
                &record::format_time(at),
                who,
                voted(goal, Choice::Agree, None),
            )
            .await;
        }
    }
}

fn goal(
    id: &str,
    title: &str,
    description: &str,
    teams: &[&str],
    krs: Vec<KeyResultSpec>,
    rule: &str,
    reason: &str,
) -> Command {
    Command::ProposeGoal {
        goal: goal_id(id),
        draft: GoalDraft {
            title: title.into(),
            description: description.into(),
            teams: teams.iter().map(|t| team_id(t)).collect(),
            parent: None,
            start: date("2026-07-01"),
            due: date("2026-09-30"),
            key_results: krs,
            cycle: None,
            cadence: None,
        },
        rule: Rule::parse(rule).unwrap(),
        reason: reason.into(),
        closes_at: None,
    }
}

pub(crate) fn voted(g: &str, choice: Choice, reason: Option<&str>) -> Command {
    Command::CastVote {
        goal: goal_id(g),
        choice,
        reason: reason.map(str::to_owned),
    }
}

pub(crate) fn checked(
    g: &str,
    key: &str,
    value: f64,
    health: Health,
    confidence: u8,
    note: Option<&str>,
) -> Command {
    Command::RecordCheckIn {
        goal: goal_id(g),
        key_result: kr(key),
        value,
        health,
        confidence: Some(confidence),
        note: note.map(str::to_owned),
        corrects: None,
        outside_period: false,
    }
}

fn noted(g: &str, section: Section, text: &str, owner: Option<(&str, &str)>) -> Command {
    Command::NotePostMortem {
        goal: goal_id(g),
        section,
        text: text.into(),
        owner: owner.map(|(o, _)| actor(o)),
        due: owner.map(|(_, d)| date(d)),
    }
}

/// A proposal to close `g`: it closes once the owning teams accept it.
fn closing(g: &str, outcome: ClosingOutcome, score: f64, summary: &str) -> Command {
    Command::CloseGoal {
        goal: goal_id(g),
        terms: ClosingTerms {
            outcome,
            score,
            summary: summary.into(),
            final_values: Default::default(),
        },
        closes_at: None,
    }
}

/// Health from progress against the share of the quarter gone.
fn health(progress: f64, elapsed: f64) -> Health {
    match progress - elapsed {
        d if d >= -0.1 => Health::OnTrack,
        d if d >= -0.25 => Health::AtRisk,
        _ => Health::OffTrack,
    }
}

/// Writes the whole quarter into `ledger`.
pub async fn write_quarter(ledger: Ledger, clock: TestClock) -> Ledger {
    let mut s = Scenario {
        ledger,
        clock,
        n: 0,
    };
    let people = [
        ("marketing", "Marketing", vec!["alice", "amir"]),
        ("sales", "Sales", vec!["sam", "sofia", "sven"]),
        (
            "customer-service",
            "Customer Service",
            vec!["carol", "chen"],
        ),
    ];
    for (id, name, members) in &people {
        s.local("2026-06-22T09:00:00Z", "olivia", register(id, name))
            .await;
        for m in members {
            s.local("2026-06-22T09:05:00Z", "olivia", join(id, m)).await;
        }
    }

    // Tokens for the HTTP API; the ledger keeps only their BLAKE3 hashes. From here on every
    // write comes through the server with one of them.
    for (who, role) in [
        ("olivia", Role::Admin),
        ("alice", Role::Member),
        ("amir", Role::Member),
        ("sam", Role::Member),
        ("sofia", Role::Member),
        ("sven", Role::Member),
        ("carol", Role::Member),
        ("chen", Role::Member),
        ("auditor", Role::Reader),
    ] {
        let token = sample_token(who);
        s.local(
            "2026-06-22T09:30:00Z",
            "olivia",
            Command::GrantToken {
                token,
                actor: actor(who),
                role,
                expires_at: None,
            },
        )
        .await;
    }

    // Planning workshop, June 24: three joint goals and one that does not make it.
    s.at("2026-06-24T10:00:00Z", "alice", goal(
        "web-traffic-q3",
        "Increase website traffic by 20%",
        "Grow monthly visits through SEO and content marketing so sales gets more inbound demand.",
        &["marketing", "sales"],
        vec![spec("visits", 40000.0, 48000.0, "visits/month"), spec("organic-share", 35.0, 45.0, "%")],
        "per-team",
        "Inbound demand is sales' biggest gap; traffic is the top of that funnel",
    )).await;
    let mut leads = goal(
        "qualified-leads-q3",
        "Hand sales more qualified leads",
        "Marketing-qualified leads that sales accepts, not raw form fills.",
        &["marketing", "sales"],
        vec![
            spec("mql", 300.0, 420.0, "leads/month"),
            spec("acceptance-rate", 55.0, 70.0, "%"),
        ],
        "consent",
        "Sales wants quality over quantity after Q2's rejected leads",
    );
    if let Command::ProposeGoal { closes_at, .. } = &mut leads {
        *closes_at = Some(time("2026-06-26T17:00:00Z"));
    }
    s.at("2026-06-24T10:30:00Z", "sofia", leads).await;
    s.at(
        "2026-06-24T11:00:00Z",
        "carol",
        goal(
            "csat-q3",
            "Lift satisfaction after sales-to-support hand-offs",
            "Customers passed from sales to support should not repeat themselves.",
            &["customer-service", "sales"],
            vec![
                spec("csat", 78.0, 85.0, "%"),
                spec("first-response", 12.0, 4.0, "hours"),
            ],
            "quorum:0.75,threshold:0.66",
            "Hand-off complaints doubled in Q2",
        ),
    )
    .await;
    s.at(
        "2026-06-24T11:30:00Z",
        "amir",
        goal(
            "tiktok-launch-q3",
            "Launch a TikTok channel",
            "Short videos for brand awareness among younger buyers.",
            &["marketing", "customer-service"],
            vec![spec("followers", 0.0, 5000.0, "followers")],
            "per-team",
            "Competitors gained reach there in Q2",
        ),
    )
    .await;

    for (who, choice, reason) in [
        ("alice", Choice::Agree, None),
        (
            "sam",
            Choice::Agree,
            Some("We will share the target accounts list"),
        ),
        ("amir", Choice::Agree, None),
        (
            "sofia",
            Choice::Abstain,
            Some("No strong view on organic share"),
        ),
        (
            "sven",
            Choice::Agree,
            Some("My territory lacks inbound demand most"),
        ),
    ] {
        s.at(
            "2026-06-24T15:00:00Z",
            who,
            voted("web-traffic-q3", choice, reason),
        )
        .await;
    }
    s.at(
        "2026-06-25T09:00:00Z",
        "sam",
        voted("qualified-leads-q3", Choice::Agree, None),
    )
    .await;
    s.at(
        "2026-06-25T09:30:00Z",
        "amir",
        voted(
            "qualified-leads-q3",
            Choice::Disagree,
            Some("420 is ambitious without more content budget"),
        ),
    )
    .await;
    for (who, choice, reason) in [
        ("carol", Choice::Agree, None),
        ("chen", Choice::Agree, None),
        (
            "sam",
            Choice::Agree,
            Some("Sales will fill in the hand-off template"),
        ),
        ("sofia", Choice::Agree, None),
    ] {
        s.at(
            "2026-06-25T14:00:00Z",
            who,
            voted("csat-q3", choice, reason),
        )
        .await;
    }
    s.at(
        "2026-06-25T16:00:00Z",
        "chen",
        voted(
            "tiktok-launch-q3",
            Choice::Block,
            Some("Support cannot staff social DMs this quarter"),
        ),
    )
    .await;
    // The consent proposal reaches its closing time with two silent voters: the server's timer
    // decides it.
    s.clock.set("2026-06-26T17:00:00Z");
    s.ledger.tick().await.unwrap();

    // Weekly check-ins, Mondays from July 6 to September 28.
    let start = NaiveDate::from_ymd_opt(2026, 7, 6).unwrap();
    let mut adjusted = false;
    for week in 0..13 {
        let day = start + Duration::weeks(week);
        let at = |h: u32| format!("{day}T{h:02}:00:00Z");
        let t = (week + 1) as f64 / 13.0;
        if week == 6 && !adjusted {
            // Mid-quarter: paid search budget cut, so the traffic goal is adjusted by vote.
            let mut changes = Changes::default();
            changes.targets.insert(kr("visits"), 46000.0);
            changes.due = Some(date("2026-10-15"));
            s.at(
                &at(8),
                "alice",
                Command::ProposeAdjustment {
                    goal: goal_id("web-traffic-q3"),
                    changes,
                    reason: "Paid search budget cut by 30% from August; organic alone reaches ~46k"
                        .into(),
                    closes_at: None,
                },
            )
            .await;
            s.at(
                &at(9),
                "sam",
                voted(
                    "web-traffic-q3",
                    Choice::Disagree,
                    Some("Sales targets were set on 48k visits"),
                ),
            )
            .await;
            s.at(
                &at(10),
                "amir",
                voted("web-traffic-q3", Choice::Agree, None),
            )
            .await;
            s.at(
                &at(11),
                "sofia",
                voted("web-traffic-q3", Choice::Agree, None),
            )
            .await;
            s.at(
                &at(14),
                "sam",
                voted(
                    "web-traffic-q3",
                    Choice::Agree,
                    Some("Agreed after finance confirmed the cut"),
                ),
            )
            .await;
            s.at(
                &at(15),
                "alice",
                voted("web-traffic-q3", Choice::Agree, None),
            )
            .await;
            adjusted = true;
        }
        let visits = (40000.0 + 6400.0 * t - if week > 5 { 300.0 } else { 0.0 }).round();
        let target = if week >= 6 { 46000.0 } else { 48000.0 };
        let p = (visits - 40000.0) / (target - 40000.0);
        s.at(
            &at(9),
            "amir",
            checked(
                "web-traffic-q3",
                "visits",
                visits,
                health(p, t),
                (6.0 + 3.0 * t) as u8,
                None,
            ),
        )
        .await;
        let organic = ((35.0 + 9.0 * t) * 10.0_f64).round() / 10.0;
        s.at(
            &at(9),
            "amir",
            checked(
                "web-traffic-q3",
                "organic-share",
                organic,
                health((organic - 35.0) / 10.0, t),
                7,
                None,
            ),
        )
        .await;

        let mql = (300.0 + 80.0 * t).round();
        let note = (week == 4).then_some("Webinar series started; lead volume up");
        s.at(
            &at(10),
            "sofia",
            checked(
                "qualified-leads-q3",
                "mql",
                mql,
                health((mql - 300.0) / 120.0, t),
                6,
                note,
            ),
        )
        .await;
        let acceptance = ((55.0 + 12.0 * t) * 10.0_f64).round() / 10.0;
        s.at(
            &at(10),
            "sofia",
            checked(
                "qualified-leads-q3",
                "acceptance-rate",
                acceptance,
                health((acceptance - 55.0) / 15.0, t),
                6,
                None,
            ),
        )
        .await;

        if week == 7 {
            // An adjustment that its own proposer withdraws a day later.
            let mut changes = Changes::default();
            changes
                .add_key_results
                .push(spec("template-adoption", 0.0, 80.0, "%"));
            s.at(
                &at(13),
                "carol",
                Command::ProposeAdjustment {
                    goal: goal_id("csat-q3"),
                    changes,
                    reason: "Track hand-off template adoption directly".into(),
                    closes_at: None,
                },
            )
            .await;
            s.at(
                &format!("{}T09:00:00Z", day + Duration::days(1)),
                "carol",
                Command::WithdrawProposal {
                    goal: goal_id("csat-q3"),
                    reason: "Sales ops will report adoption in the weekly review instead".into(),
                },
            )
            .await;
        }
        let csat = ((78.0 + 2.5 * t) * 10.0_f64).round() / 10.0;
        let note = (week == 8).then_some("Hand-off template used in only 40% of deals");
        s.at(
            &at(11),
            "carol",
            checked(
                "csat-q3",
                "csat",
                csat,
                health((csat - 78.0) / 7.0, t),
                4,
                note,
            ),
        )
        .await;
        let response = ((12.0 - 5.0 * t) * 10.0_f64).round() / 10.0;
        s.at(
            &at(11),
            "chen",
            checked(
                "csat-q3",
                "first-response",
                response,
                health((12.0 - response) / 8.0, t),
                5,
                None,
            ),
        )
        .await;
    }
    // A typo fixed by a correction, never by editing.
    s.at(
        "2026-09-28T12:00:00Z",
        "chen",
        checked("csat-q3", "first-response", 71.0, Health::OffTrack, 4, None),
    )
    .await;
    let typo = s.ledger.digest().seq;
    s.at(
        "2026-09-28T12:05:00Z",
        "chen",
        Command::RecordCheckIn {
            goal: goal_id("csat-q3"),
            key_result: kr("first-response"),
            value: 7.1,
            health: Health::OffTrack,
            confidence: Some(4),
            note: Some("71 was a typo: 7.1 hours".into()),
            corrects: Some(typo),
            outside_period: false,
        },
    )
    .await;

    // Closing and post-mortems, early October: each outcome is proposed and agreed like any
    // other decision.
    s.at(
        "2026-10-02T16:00:00Z",
        "alice",
        closing(
            "web-traffic-q3",
            ClosingOutcome::Achieved,
            0.9,
            "46.1k visits/month against the adjusted 46k; organic share 44%",
        ),
    )
    .await;
    s.agreed(
        "2026-10-02T16:05:00Z",
        "web-traffic-q3",
        &["alice", "amir", "sam", "sven"],
    )
    .await;
    s.at(
        "2026-10-02T16:30:00Z",
        "sofia",
        closing(
            "qualified-leads-q3",
            ClosingOutcome::Partial,
            0.6,
            "380 MQLs/month, 67% accepted: quality up, volume short",
        ),
    )
    .await;
    s.agreed(
        "2026-10-02T16:35:00Z",
        "qualified-leads-q3",
        &["sofia", "alice", "amir", "sven"],
    )
    .await;
    s.at(
        "2026-10-02T16:55:00Z",
        "sam",
        voted(
            "qualified-leads-q3",
            Choice::Disagree,
            Some("The September CRM sync is late; these numbers are not final"),
        ),
    )
    .await;
    s.at(
        "2026-10-02T17:00:00Z",
        "sam",
        Command::ReopenGoal {
            goal: goal_id("qualified-leads-q3"),
            reason: "September CRM sync was late; final lead numbers still coming in".into(),
            closes_at: None,
        },
    )
    .await;
    s.agreed(
        "2026-10-02T17:05:00Z",
        "qualified-leads-q3",
        &["sam", "sofia", "alice", "amir", "sven"],
    )
    .await;
    s.at(
        "2026-10-05T09:00:00Z",
        "sofia",
        checked(
            "qualified-leads-q3",
            "mql",
            382.0,
            Health::AtRisk,
            9,
            Some("Final September numbers"),
        ),
    )
    .await;
    let mut reclose = closing(
        "qualified-leads-q3",
        ClosingOutcome::Partial,
        0.6,
        "382 MQLs/month, 67% accepted: quality up, volume short",
    );
    if let Command::CloseGoal { closes_at, .. } = &mut reclose {
        *closes_at = Some(time("2026-10-05T17:00:00Z"));
    }
    s.at("2026-10-05T09:30:00Z", "sofia", reclose).await;
    s.agreed(
        "2026-10-05T09:35:00Z",
        "qualified-leads-q3",
        &["sofia", "sam"],
    )
    .await;
    s.at(
        "2026-10-05T10:00:00Z",
        "carol",
        closing(
            "csat-q3",
            ClosingOutcome::Missed,
            0.3,
            "CSAT 80.5% against 85%; hand-off template adoption stalled",
        ),
    )
    .await;
    s.agreed(
        "2026-10-05T10:05:00Z",
        "csat-q3",
        &["carol", "chen", "sam", "sofia"],
    )
    .await;
    // Under consent, the silent have until the closing time to object: the timer decides.
    s.clock.set("2026-10-05T17:00:00Z");
    s.ledger.tick().await.unwrap();
    for (g, who, section, text, owner) in [
        (
            "web-traffic-q3",
            "amir",
            Section::WentWell,
            "Long-form SEO articles doubled organic sign-ups",
            None,
        ),
        (
            "web-traffic-q3",
            "sam",
            Section::WentWrong,
            "Sales learned of the budget cut three weeks late",
            None,
        ),
        (
            "web-traffic-q3",
            "alice",
            Section::Lesson,
            "Adjust targets by vote as soon as inputs change, not at quarter end",
            None,
        ),
        (
            "web-traffic-q3",
            "alice",
            Section::ActionItem,
            "Share the paid-search budget in the monthly goal review",
            Some(("alice", "2026-10-31")),
        ),
        (
            "web-traffic-q3",
            "sofia",
            Section::Kudos,
            "Amir's content calendar kept everyone aligned",
            None,
        ),
        (
            "qualified-leads-q3",
            "sam",
            Section::WentWell,
            "Joint lead scoring cut rejected leads by a third",
            None,
        ),
        (
            "qualified-leads-q3",
            "amir",
            Section::WentWrong,
            "Webinars started in week 5, too late for the volume target",
            None,
        ),
        (
            "qualified-leads-q3",
            "sofia",
            Section::ActionItem,
            "Plan Q4 webinars before the quarter starts",
            Some(("amir", "2026-10-20")),
        ),
        (
            "csat-q3",
            "carol",
            Section::WentWrong,
            "The hand-off template was optional, so it was skipped",
            None,
        ),
        (
            "csat-q3",
            "chen",
            Section::Lesson,
            "Measure adoption of a process change weekly, not only its outcome",
            None,
        ),
        (
            "csat-q3",
            "carol",
            Section::ActionItem,
            "Make the hand-off template a required CRM step",
            Some(("sam", "2026-10-31")),
        ),
    ] {
        s.at("2026-10-06T14:00:00Z", who, noted(g, section, text, owner))
            .await;
    }
    // Action items are closed on the record: one done, one dropped, one still open.
    s.at(
        "2026-10-06T16:00:00Z",
        "alice",
        Command::ResolveActionItem {
            goal: goal_id("web-traffic-q3"),
            item: 1,
            status: Resolution::Done,
            note: Some("Paid-search budget is now a standing slide in the monthly review".into()),
        },
    )
    .await;
    s.at(
        "2026-10-06T16:30:00Z",
        "sam",
        Command::ResolveActionItem {
            goal: goal_id("csat-q3"),
            item: 1,
            status: Resolution::Dropped,
            note: Some("The CRM migration in Q4 replaces the hand-off step; revisit in Q1".into()),
        },
    )
    .await;
    s.at(
        "2026-10-07T09:00:00Z",
        "olivia",
        Command::LeaveTeam {
            team: team_id("customer-service"),
            member: actor("chen"),
        },
    )
    .await;
    s.at(
        "2026-10-07T09:01:00Z",
        "olivia",
        Command::RevokeToken {
            token: sample_token("chen"),
            reason: "Moved to the operations team".into(),
        },
    )
    .await;
    crate::samples_q4::write_q4(&mut s).await;
    s.ledger
}

#[tokio::test]
async fn the_sample_ledger_is_what_the_scenario_writes_and_replays_to_its_documented_end() {
    let dir = temp_dir();
    let clock = TestClock::at("2026-06-22T09:00:00Z");
    let ledger = Ledger::open(dir.path(), clock.options()).unwrap();
    let ledger = write_quarter(ledger, clock).await;
    let text = String::from_utf8(exported(&ledger)).unwrap();
    golden::check("events/samples/quarterly-goals.jsonl", &text);

    let report = verify_lines(text.as_bytes(), None, &mut |_| {}).unwrap();
    assert!(report.ok(), "{report:?}");

    // The end state events/samples/README.md documents.
    let status = |g: &str| ledger.goal(&goal_id(g)).unwrap();
    let outcome = |g: &str| status(g).closing.map(|c| (c.outcome, c.score));
    assert_eq!(
        outcome("web-traffic-q3"),
        Some((ClosingOutcome::Achieved, 0.9))
    );
    assert_eq!(
        outcome("qualified-leads-q3"),
        Some((ClosingOutcome::Partial, 0.6))
    );
    assert_eq!(outcome("csat-q3"), Some((ClosingOutcome::Missed, 0.3)));
    assert_eq!(status("tiktok-launch-q3").status, GoalStatus::Rejected);
    let web = status("web-traffic-q3");
    assert_eq!(web.definition.key_results[0].target, 46000.0);
    assert_eq!(web.definition.due, date("2026-10-15"));
    assert_eq!(web.adjustments, 1);
    let csat = status("csat-q3");
    assert_eq!(csat.current[&kr("first-response")].value, 7.1);
    let item = |g: &str| status(g).action_items[&1].resolved;
    assert_eq!(
        [
            item("web-traffic-q3"),
            item("qualified-leads-q3"),
            item("csat-q3")
        ],
        // qualified-leads-q3's item was still open when Q3 closed; amir did it in Q4.
        [
            Some(Resolution::Done),
            Some(Resolution::Done),
            Some(Resolution::Dropped)
        ]
    );
    the_second_quarter_ends_as_documented(&ledger);
    let history = ledger.history(&goal_id("web-traffic-q3")).unwrap().unwrap();
    let kinds: Vec<&str> = history.entries.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["adopted", "adjusted", "closed"]);
    let leads = ledger
        .history(&goal_id("qualified-leads-q3"))
        .unwrap()
        .unwrap();
    let decision = leads.entries[0].proposal.as_ref().unwrap();
    assert!(
        decision.decision.as_deref().unwrap().starts_with("consent"),
        "{decision:?}"
    );
    assert_eq!(ledger.digest().seq, text.lines().count() as u64);
    let kinds: Vec<String> = leads.entries.iter().map(|c| c.kind.clone()).collect();
    assert_eq!(kinds, ["adopted", "closed", "reopened", "closed"]);
    let used: std::collections::BTreeSet<&str> = text
        .lines()
        .map(|l| {
            goal_ledger::record::decode(l.as_bytes())
                .unwrap()
                .event
                .type_name()
        })
        .collect();
    assert_eq!(
        used.len(),
        Event::TYPES.len(),
        "the sample shows every event type"
    );
}

/// The second quarter's end (November 20) as `events/samples/README.md` documents it.
fn the_second_quarter_ends_as_documented(ledger: &Ledger) {
    let cycle = |n: &str| CycleName::parse(n).unwrap();
    let (q3, q4, q1) = (cycle("2026-Q3"), cycle("2026-Q4"), cycle("2027-Q1"));
    ledger.read(|s| {
        let closed = s.cycles.by_name[&q3].closed.as_ref().expect("Q3 is closed");
        let f = &closed.figures;
        assert_eq!(
            (f.goals, f.achieved, f.partial, f.missed, f.carried_over),
            (3, 1, 1, 1, 0)
        );
        assert_eq!(f.hit_rate.map(|h| (h * 100.0).round()), Some(33.0));
        assert_eq!(f.average_score.map(|a| (a * 100.0).round()), Some(60.0));
        assert_eq!(
            (
                f.action_items_done,
                f.action_items_dropped,
                f.action_items_open
            ),
            (1, 1, 1)
        );
        assert!(s.cycles.by_name[&q4].closed.is_none());
        let csat = &s.goals[&goal_id("csat-q4")];
        assert_eq!(s.cycle_of(csat), Some(&q4));
        assert_eq!(csat.definition.cadence(), Cadence::Biweekly);
        let pipeline = &s.goals[&goal_id("enterprise-pipeline-q4")];
        assert_eq!(s.cycle_of(pipeline), Some(&q1));
        assert_eq!(pipeline.carried.len(), 1);
        assert_eq!(pipeline.carried[0].from, q4);
        let kr = &pipeline.definition.key_results[0];
        assert_eq!((kr.baseline, kr.target), (1.3, 2.5));
        assert_eq!(pipeline.definition.start, date("2027-01-01"));
        assert_eq!(pipeline.definition.cadence(), Cadence::Biweekly);
        assert!(
            s.webhooks.hooks.is_empty(),
            "the sample's webhook was removed"
        );
        assert_eq!(s.webhooks.ever.len(), 1);
    });
    let history = ledger
        .history(&goal_id("enterprise-pipeline-q4"))
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = history.entries.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["adopted", "adjusted", "carried-over"]);
    let carried = &history.entries[2];
    assert!(
        carried
            .summary
            .contains("where 2026-Q4 left it: pipeline 1.3 (42% of the way)"),
        "{}",
        carried.summary
    );
}
