//! The goal page's forms that propose a decision, for an owner of an active goal with no
//! proposal open: adjust it (each key result's target and the due date, shown before → after)
//! or close it (outcome, score, summary). Each opens a proposal the goal's rule decides; the
//! checks, the CSRF token and the answers are `forms`'s.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Form;
use maud::{display, html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

use super::form_markup::{options, Forms};
use super::forms::{form_handler, submit, Echo, GoalForm};
use crate::domain::{Changes, ClosingOutcome, ClosingTerms, Command, GoalId, KrName};
use crate::http::auth::Caller;
use crate::http::{ApiError, AppState};
use crate::projections::views::GoalView;
use crate::render::number::number;

/// A posted form's fields, in order (`target:<key result>` repeats).
type Fields = Vec<(String, String)>;

fn field<'f>(fields: &'f Fields, name: &str) -> &'f str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The adjustment the form asks for: new targets where a value was typed, a new due date.
fn adjustment(goal: &GoalId, fields: &Fields) -> Result<Command, String> {
    let mut changes = Changes::default();
    for (name, value) in fields {
        let (Some(kr), false) = (name.strip_prefix("target:"), value.trim().is_empty()) else {
            continue;
        };
        let kr = KrName::parse(kr).map_err(|e| format!("target: {e}"))?;
        let target: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("target of {kr}: {value:?} is not a number"))?;
        changes.targets.insert(kr, target);
    }
    let due = field(fields, "due").trim();
    if !due.is_empty() {
        changes.due = Some(crate::input::date(due).map_err(|e| format!("due: {e}"))?);
    }
    Ok(Command::ProposeAdjustment {
        goal: goal.clone(),
        changes,
        reason: field(fields, "reason").to_owned(),
        closes_at: None,
    })
}

/// The closing the form asks for.
fn closing(goal: &GoalId, fields: &Fields) -> Result<Command, String> {
    let outcome = match field(fields, "outcome") {
        "achieved" => ClosingOutcome::Achieved,
        "partial" => ClosingOutcome::Partial,
        "missed" => ClosingOutcome::Missed,
        "dropped" => ClosingOutcome::Dropped,
        other => {
            return Err(format!(
                "outcome: {other:?}: use achieved, partial, missed or dropped"
            ))
        }
    };
    let score = field(fields, "score").trim();
    let score: f64 = score
        .parse()
        .map_err(|_| format!("score: {score:?}: use a number from 0.0 to 1.0"))?;
    Ok(Command::CloseGoal {
        goal: goal.clone(),
        terms: ClosingTerms {
            outcome,
            score,
            summary: field(fields, "summary").to_owned(),
            final_values: BTreeMap::new(),
        },
        closes_at: None,
    })
}

/// The input to show again if a form is refused (all but its CSRF token).
fn echo(form: &'static str, fields: Fields) -> Echo {
    Echo {
        form,
        fields: fields.into_iter().filter(|(k, _)| k != "csrf").collect(),
        problem: String::new(),
    }
}

/// The adjust form's fields.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct AdjustForm(Fields);

impl GoalForm for AdjustForm {
    fn csrf(&self) -> &str {
        field(&self.0, "csrf")
    }

    fn into_parts(self, goal: &GoalId) -> (Result<Command, String>, String, Echo) {
        let done = "Your adjustment is proposed: the owning teams vote on it below.";
        (
            adjustment(goal, &self.0),
            done.to_owned(),
            echo("adjust", self.0),
        )
    }
}

/// The close form's fields.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct CloseForm(Fields);

impl GoalForm for CloseForm {
    fn csrf(&self) -> &str {
        field(&self.0, "csrf")
    }

    fn into_parts(self, goal: &GoalId) -> (Result<Command, String>, String, Echo) {
        let done = "Your closing is proposed: the owning teams vote on it below.";
        (
            closing(goal, &self.0),
            done.to_owned(),
            echo("close", self.0),
        )
    }
}

form_handler!(
    /// `POST /goals/{id}/adjust-form`
    adjust, AdjustForm
);
form_handler!(
    /// `POST /goals/{id}/close-form`
    close, CloseForm
);

/// The adjust and close forms, for an owner of an active goal with no proposal open.
pub fn change_forms(g: &GoalView, forms: &Forms) -> Markup {
    if !forms.offered(forms.check_in) || g.open_proposal.is_some() {
        return Markup::default();
    }
    let adjust = |field| forms.typed("adjust", field);
    let close = |field| forms.typed("close", field);
    let outcomes = ["achieved", "partial", "missed", "dropped"];
    html! {
        h2 { "Propose a change" }
        form.form method="post" action={ "/goals/" (g.id.as_str()) "/adjust-form" } {
            (forms.problem("adjust")) (forms.csrf_field())
            @for kr in &g.key_results {
                @let name = format!("target:{}", kr.name);
                label {
                    (kr.name.as_str()) " target " (number(kr.target)) " → "
                    input name=(name) value=(forms.typed("adjust", &name)) inputmode="decimal" size="8";
                }
                " "
            }
            label { "due " (display(g.due)) " → " input name="due" type="date" value=(adjust("due")); }
            " "
            label { "reason " input name="reason" value=(adjust("reason")) maxlength="2000" required; }
            " " button { "propose adjustment" }
        }
        form.form method="post" action={ "/goals/" (g.id.as_str()) "/close-form" } {
            (forms.problem("close")) (forms.csrf_field())
            label { "close as " select name="outcome" { (options(&outcomes, close("outcome"))) } }
            " "
            label { "score (0–1) " input name="score" value=(close("score")) inputmode="decimal" size="4" required; }
            " "
            label { "summary " input name="summary" value=(close("summary")) maxlength="4000" required; }
            " " button { "propose closing" }
        }
    }
}
