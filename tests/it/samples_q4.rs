//! The sample's second quarter, appended after the first (whose records stay as they were):
//! olivia puts the quarters on the record as cycles and closes Q3 with its figures; sales gets
//! a webhook; Q4's goals are proposed into 2026-Q4 with their check-in cadences; amir follows
//! up Q3's open action item; the pipeline goal's cadence is adjusted by vote and, when its
//! deals slip into January, the goal is carried into 2027-Q1 by vote; the webhook is removed.
//! It ends on November 20, 2026, with Q4 under way.

use goal_ledger::domain::*;

use crate::samples::{checked, Scenario};
use crate::support::*;

/// The sample's webhook (the ledger makes ids at random; the sample fixes one).
pub const SAMPLE_WEBHOOK: &str = "wh-5a1c0e7b";

fn q4_goal(
    id: &str,
    title: &str,
    description: &str,
    teams: &[&str],
    krs: Vec<KeyResultSpec>,
    cadence: Cadence,
    (rule, reason): (&str, &str),
) -> Command {
    Command::ProposeGoal {
        goal: goal_id(id),
        draft: GoalDraft {
            title: title.into(),
            description: description.into(),
            teams: teams.iter().map(|t| team_id(t)).collect(),
            parent: None,
            start: date("2026-10-01"),
            due: date("2026-12-31"),
            key_results: krs,
            cycle: None,
            cadence: Some(cadence),
        },
        rule: Rule::parse(rule).unwrap(),
        reason: reason.into(),
        closes_at: None,
    }
}

fn cycle(name: &str, start: &str, end: &str) -> Command {
    Command::OpenCycle {
        cycle: CycleName::parse(name).unwrap(),
        start: date(start),
        end: date(end),
    }
}

/// Writes the second quarter after the first.
pub async fn write_q4(s: &mut Scenario) {
    for (at, name, start, end) in [
        (
            "2026-10-07T09:30:00Z",
            "2026-Q3",
            "2026-07-01",
            "2026-09-30",
        ),
        (
            "2026-10-07T09:31:00Z",
            "2026-Q4",
            "2026-10-01",
            "2026-12-31",
        ),
    ] {
        s.at(at, "olivia", cycle(name, start, end)).await;
    }
    s.at(
        "2026-10-07T09:35:00Z",
        "olivia",
        Command::CloseCycle {
            cycle: CycleName::parse("2026-Q3").unwrap(),
        },
    )
    .await;
    s.at(
        "2026-10-07T09:40:00Z",
        "olivia",
        Command::RegisterWebhook {
            webhook: WebhookId::parse(SAMPLE_WEBHOOK).unwrap(),
            url: "https://chat.example.com/hooks/sales-goals".into(),
            events: vec![
                Notification::VoteNeeded,
                Notification::ProposalDecided,
                Notification::GoalClosed,
                Notification::CycleClosed,
            ],
            team: Some(team_id("sales")),
        },
    )
    .await;

    // Q4 planning, October 8: both goals join 2026-Q4, the cycle containing their start.
    s.at("2026-10-08T10:00:00Z", "carol", q4_goal(
        "csat-q4",
        "Resolve hand-offs within 4 hours after the CRM migration",
        "Q3 missed its CSAT target because the hand-off template was optional; the CRM migration makes the hand-off a required step.",
        &["customer-service", "sales"],
        vec![spec("first-response", 7.1, 4.0, "hours"), spec("csat", 80.5, 85.0, "%")],
        Cadence::Biweekly,
        ("per-team", "Q3's lesson: measure the process change, not only the outcome"),
    )).await;
    s.agreed(
        "2026-10-08T10:30:00Z",
        "csat-q4",
        &["carol", "sam", "sofia"],
    )
    .await;
    s.at(
        "2026-10-08T11:00:00Z",
        "sam",
        q4_goal(
            "enterprise-pipeline-q4",
            "Build a $2M enterprise pipeline",
            "Qualified enterprise opportunities in the CRM, weighted by stage.",
            &["sales", "marketing"],
            vec![spec("pipeline", 0.8, 2.0, "M$")],
            Cadence::Monthly,
            ("majority", "Enterprise deals carry next year's growth plan"),
        ),
    )
    .await;
    s.agreed(
        "2026-10-08T11:30:00Z",
        "enterprise-pipeline-q4",
        &["sam", "sofia", "alice"],
    )
    .await;

    // "Did we do what we said we'd do?": Q3's open action item, done in week 2.
    s.at(
        "2026-10-12T09:00:00Z",
        "amir",
        Command::ResolveActionItem {
            goal: goal_id("qualified-leads-q3"),
            item: 1,
            status: Resolution::Done,
            note: Some("Q4 webinar calendar published: six sessions, first on October 20".into()),
        },
    )
    .await;

    for (at, response, csat, health) in [
        ("2026-10-15T16:00:00Z", 6.6, 80.9, Health::OnTrack),
        ("2026-10-29T16:00:00Z", 5.9, 81.6, Health::OnTrack),
        ("2026-11-12T16:00:00Z", 5.4, 82.2, Health::AtRisk),
    ] {
        s.at(
            at,
            "carol",
            checked("csat-q4", "first-response", response, health, 7, None),
        )
        .await;
        s.at(
            at,
            "carol",
            checked("csat-q4", "csat", csat, Health::OnTrack, 7, None),
        )
        .await;
    }
    s.at(
        "2026-10-30T17:00:00Z",
        "sam",
        checked(
            "enterprise-pipeline-q4",
            "pipeline",
            1.1,
            Health::AtRisk,
            5,
            Some("Two deals at proposal stage"),
        ),
    )
    .await;

    // November 16: enterprise deals move weekly; the teams agree to check in every two weeks.
    s.at(
        "2026-11-16T09:00:00Z",
        "sam",
        Command::ProposeAdjustment {
            goal: goal_id("enterprise-pipeline-q4"),
            changes: Changes {
                cadence: Some(Cadence::Biweekly),
                ..Changes::default()
            },
            reason: "Monthly check-ins hid two slipping deals until the end of October".into(),
            closes_at: None,
        },
    )
    .await;
    s.agreed(
        "2026-11-16T10:00:00Z",
        "enterprise-pipeline-q4",
        &["sam", "sofia", "amir"],
    )
    .await;
    s.at(
        "2026-11-16T15:00:00Z",
        "sam",
        checked(
            "enterprise-pipeline-q4",
            "pipeline",
            1.3,
            Health::OffTrack,
            3,
            Some("Three deals moved their decision to January"),
        ),
    )
    .await;

    // November 17-18: the deals slip into January, so the goal is carried into 2027-Q1 with
    // its latest reading as the new baseline and a higher target, by the goal's rule.
    s.at(
        "2026-11-17T09:00:00Z",
        "olivia",
        cycle("2027-Q1", "2027-01-01", "2027-03-31"),
    )
    .await;
    s.at(
        "2026-11-18T10:00:00Z",
        "sam",
        Command::CarryOver {
            goal: goal_id("enterprise-pipeline-q4"),
            request: CarryRequest {
                targets: [(kr("pipeline"), 2.5)].into_iter().collect(),
                ..CarryRequest::default()
            },
            reason: "The three enterprise deals decide in January: plan them in Q1 instead of missing Q4".into(),
            closes_at: None,
        },
    )
    .await;
    s.agreed(
        "2026-11-18T14:00:00Z",
        "enterprise-pipeline-q4",
        &["sam", "sven", "alice"],
    )
    .await;

    s.at(
        "2026-11-20T09:00:00Z",
        "olivia",
        Command::RemoveWebhook {
            webhook: WebhookId::parse(SAMPLE_WEBHOOK).unwrap(),
            reason: "Sales follows the ledger's live feed in its chat tool instead".into(),
        },
    )
    .await;
}
