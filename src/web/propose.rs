//! Proposing a goal from a browser (`GET /propose`, `POST /propose`): the teams as choices, up
//! to five key-result rows, the dates, the consensus rule with what each one means, the
//! cadence and the reason. An accepted proposal answers 303 to the new goal's page; a refused
//! one shows the form again with what was typed and the reason.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};

use super::form_markup::options;
use super::forms::{checked, forbidden};
use super::html_response;
use super::session::cookie_id;
use crate::domain::{Command, GoalDraft, GoalId, KeyResultSpec, KrName, Rule, TeamId};
use crate::http::auth::Caller;
use crate::http::{ApiError, AppState};
use crate::render::html::page;

/// Key-result rows the form offers.
const ROWS: usize = 5;

/// Each rule, and what it means for the owning teams.
const RULES: [(&str, &str); 5] = [
    (
        "per-team",
        "every owning team signs off by a majority of its members, and nobody blocks",
    ),
    (
        "consent",
        "passes unless someone blocks or objects by the closing time",
    ),
    ("unanimous", "everyone agrees; any block rejects it"),
    (
        "majority",
        "more than half of those who vote (not abstaining) agree",
    ),
    ("threshold:0.66", "two thirds of those who vote agree"),
];

type Fields = Vec<(String, String)>;

fn field<'f>(fields: &'f Fields, name: &str) -> &'f str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The proposal the form asks for, or what is wrong with a field.
fn proposal(fields: &Fields) -> Result<Command, String> {
    let goal = GoalId::parse(field(fields, "id").trim()).map_err(|e| format!("id: {e}"))?;
    let teams = fields
        .iter()
        .filter(|(k, _)| k == "team")
        .map(|(_, t)| TeamId::parse(t).map_err(|e| format!("teams: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut key_results = Vec::new();
    for row in 1..=ROWS {
        let get = |part: &str| field(fields, &format!("kr{row}_{part}")).trim();
        if get("name").is_empty() {
            continue;
        }
        let number = |part: &str| {
            get(part)
                .parse::<f64>()
                .map_err(|_| format!("key result {row} {part}: {:?} is not a number", get(part)))
        };
        key_results.push(KeyResultSpec {
            name: KrName::parse(get("name")).map_err(|e| format!("key result {row}: {e}"))?,
            unit: get("unit").to_owned(),
            baseline: number("baseline")?,
            target: number("target")?,
            weight: None,
        });
    }
    let date = |name: &str| {
        crate::input::date(field(fields, name).trim()).map_err(|e| format!("{name}: {e}"))
    };
    let cadence = match field(fields, "cadence") {
        "" => None,
        c => Some(c.parse().map_err(|e: String| format!("cadence: {e}"))?),
    };
    Ok(Command::ProposeGoal {
        goal,
        draft: GoalDraft {
            title: field(fields, "title").to_owned(),
            description: field(fields, "description").to_owned(),
            teams,
            parent: None,
            start: date("start")?,
            due: date("due")?,
            key_results,
            cycle: None,
            cadence,
        },
        rule: Rule::parse(field(fields, "rule")).map_err(|e| format!("rule: {e}"))?,
        reason: field(fields, "reason").to_owned(),
        closes_at: None,
    })
}

/// The form, with `typed` kept and `problem` above it.
fn form(state: &AppState, csrf: &str, typed: &Fields, problem: Option<&str>) -> Markup {
    let value = |name: &str| field(typed, name);
    let teams: Vec<(TeamId, String)> = state.ledger.read(|s| {
        s.teams
            .values()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect()
    });
    let chosen = Some(field(typed, "rule"))
        .filter(|r| !r.is_empty())
        .unwrap_or("per-team");
    let cadences = ["weekly", "biweekly", "monthly", "none"];
    let body = html! {
        h1 { "Propose a goal" }
        @if let Some(p) = problem { p.problem role="alert" { "Not proposed: " (p) } }
        form.form method="post" action="/propose" {
            input type="hidden" name="csrf" value=(csrf);
            p {
                label { "id " input name="id" value=(value("id")) placeholder="web-traffic-q4" required; }
                " "
                label { "title " input name="title" value=(value("title")) size="40" required; }
            }
            p { label { "description " input name="description" value=(value("description")) size="60"; } }
            p {
                "owning teams: "
                @for (id, name) in &teams {
                    @let checked = typed.iter().any(|(k, v)| k == "team" && v == id.as_str());
                    label { input type="checkbox" name="team" value=(id.as_str()) checked[checked]; " " (name) }
                    " "
                }
            }
            table {
                tr { th { "key result" } th { "baseline" } th { "target" } th { "unit" } }
                @for row in 1..=ROWS {
                    tr {
                        @for (part, decimal) in [("name", false), ("baseline", true), ("target", true), ("unit", false)] {
                            @let name = format!("kr{row}_{part}");
                            td { input name=(name) value=(value(&name)) inputmode=[decimal.then_some("decimal")]; }
                        }
                    }
                }
            }
            p {
                label { "start " input name="start" type="date" value=(value("start")) required; }
                " "
                label { "due " input name="due" type="date" value=(value("due")) required; }
                " "
                label { "check-ins " select name="cadence" { (options(&cadences, field(typed, "cadence"))) } }
            }
            fieldset {
                legend { "how the owning teams decide" }
                @for (rule, meaning) in RULES {
                    label {
                        input type="radio" name="rule" value=(rule) checked[rule == chosen];
                        " " strong { (rule) } ": " (meaning)
                    }
                    br;
                }
            }
            p { label { "reason " input name="reason" value=(value("reason")) size="60" required; } }
            button { "propose" }
        }
    };
    page("Propose a goal", body)
}

/// `GET /propose`
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(crate::domain::Role::Member)?;
    let csrf = cookie_id(&headers)
        .and_then(|id| state.sessions.get(&id))
        .map(|s| s.csrf)
        .ok_or_else(|| ApiError::unauthorized("sign in to propose a goal"))?;
    Ok(html_response(form(&state, &csrf, &Vec::new(), None)))
}

/// `POST /propose`
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, ApiError> {
    let (session, who) = match checked(&state, &caller, &headers, field(&fields, "csrf")) {
        Ok(s) => s,
        Err(why) => return Ok(forbidden(why)),
    };
    let result = match proposal(&fields) {
        Ok(command) => {
            let goal = match &command {
                Command::ProposeGoal { goal, .. } => goal.clone(),
                _ => unreachable!("proposal() makes a ProposeGoal"),
            };
            crate::http::write::append(&state, &who, &HeaderMap::new(), command)
                .await
                .map(|_| goal)
        }
        Err(problem) => Err(ApiError::invalid(problem)),
    };
    match result {
        Ok(goal) => {
            state.sessions.flash(
                &session,
                format!("{goal} is proposed: its owning teams vote on adopting it below."),
            );
            let location = crate::api::path(crate::api::routes::GOAL, &[goal.as_str()]);
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
        }
        Err(refused) => {
            let csrf = field(&fields, "csrf").to_owned();
            let body = form(&state, &csrf, &fields, Some(&refused.detail));
            Ok((refused.status, html_response(body)).into_response())
        }
    }
}
