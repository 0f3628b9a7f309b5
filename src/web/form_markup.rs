//! The HTML of the goal page's forms: the message the last form left, the vote form beside the
//! open proposal (for its electorate), the check-in form under the key results and the
//! post-mortem forms under the action items (for the owning teams), each with the session's
//! CSRF token, a refused form's input kept and its reason beside it. maud templates: every
//! value shown is escaped.

use maud::{html, Markup};

use super::forms::Echo;
use crate::projections::views::GoalView;

/// What the page offers its viewer.
#[derive(Debug, Default)]
pub struct Forms {
    pub csrf: Option<String>,
    pub flash: Option<String>,
    pub echo: Option<Echo>,
    /// The viewer is in the open proposal's electorate.
    pub vote: bool,
    /// The viewer belongs to an owning team of an active goal.
    pub check_in: bool,
    /// The viewer belongs to an owning team of an adopted goal (post-mortem notes).
    pub notes: bool,
}

impl Forms {
    /// What was typed in `field` of `form` before it was refused; empty otherwise.
    pub(super) fn typed(&self, form: &str, field: &str) -> &str {
        self.echo
            .as_ref()
            .and_then(|e| e.value(form, field))
            .unwrap_or_default()
    }

    /// Why `form` was refused, above it, if it was.
    pub(super) fn problem(&self, form: &str) -> Markup {
        html! {
            @if let Some(e) = self.echo.as_ref().filter(|e| e.form == form) {
                p.problem role="alert" { "Not recorded: " (e.problem) }
            }
        }
    }

    /// The form's hidden CSRF field.
    pub(super) fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf.as_deref().unwrap_or("")); }
    }

    /// Whether a form needs showing: the viewer may use it and has a session.
    pub(super) fn offered(&self, allowed: bool) -> bool {
        allowed && self.csrf.is_some()
    }
}

/// The message the last form left, if any.
pub fn flash(forms: &Forms) -> Markup {
    html! {
        @if let Some(message) = &forms.flash { p.flash role="status" { (message) } }
    }
}

/// `<option>`s of `choices`, the one `chosen` selected.
pub(super) fn options(choices: &[&str], chosen: &str) -> Markup {
    html! {
        @for c in choices { option selected[*c == chosen] { (c) } }
    }
}

/// The vote form, for a viewer in the electorate.
pub fn vote_form(g: &GoalView, forms: &Forms) -> Markup {
    if !forms.offered(forms.vote) {
        return Markup::default();
    }
    let choices = ["agree", "abstain", "disagree", "block"];
    html! {
        form.form method="post" action={ "/goals/" (g.id.as_str()) "/vote-form" } {
            (forms.problem("vote")) (forms.csrf_field())
            label { "your vote " select name="choice" { (options(&choices, forms.typed("vote", "choice"))) } }
            " "
            label {
                "reason "
                input name="reason" value=(forms.typed("vote", "reason")) maxlength="2000" placeholder="needed for a block";
            }
            " " button { "vote" }
        }
    }
}

/// The check-in form, for a viewer on an owning team of an active goal.
pub fn check_in_form(g: &GoalView, forms: &Forms) -> Markup {
    if !forms.offered(forms.check_in) {
        return Markup::default();
    }
    let krs: Vec<&str> = g.key_results.iter().map(|k| k.name.as_str()).collect();
    let typed = |field| forms.typed("check-in", field);
    let health = ["on-track", "at-risk", "off-track"];
    html! {
        h2 { "Check in" }
        form.form method="post" action={ "/goals/" (g.id.as_str()) "/check-in-form" } {
            (forms.problem("check-in")) (forms.csrf_field())
            label { "key result " select name="key_result" { (options(&krs, typed("key_result"))) } }
            " "
            label { "value " input name="value" value=(typed("value")) inputmode="decimal" required; }
            " "
            label { "health " select name="health" { (options(&health, typed("health"))) } }
            " "
            label { "confidence (0–10) " input name="confidence" value=(typed("confidence")) inputmode="numeric"; }
            " "
            label { "note " input name="note" value=(typed("note")) maxlength="2000"; }
            " "
            label {
                "corrects check-in # "
                input name="corrects" value=(typed("corrects")) inputmode="numeric" placeholder="only to correct one";
            }
            " " button { "check in" }
        }
    }
}

/// The post-mortem forms, for a viewer on an owning team: write a note, and mark an open
/// action item done or dropped.
pub fn post_mortem_forms(g: &GoalView, forms: &Forms) -> Markup {
    if !forms.offered(forms.notes) {
        return Markup::default();
    }
    let sections = ["went-well", "went-wrong", "lesson", "action-item", "kudos"];
    let open: Vec<String> = (g.action_items.iter())
        .filter(|a| a.status == "open")
        .map(|a| a.item.to_string())
        .collect();
    let items: Vec<&str> = open.iter().map(String::as_str).collect();
    let note = |field| forms.typed("note", field);
    let resolve = |field| forms.typed("resolve", field);
    html! {
        h2 { "Write a post-mortem note" }
        form.form method="post" action={ "/goals/" (g.id.as_str()) "/note-form" } {
            (forms.problem("note")) (forms.csrf_field())
            label { "section " select name="section" { (options(&sections, note("section"))) } }
            " "
            label { "note " input name="text" value=(note("text")) maxlength="4000" required; }
            " "
            label { "owner (action items) " input name="owner" value=(note("owner")); }
            " "
            label { "due (action items) " input name="due" type="date" value=(note("due")); }
            " " button { "write" }
        }
        @if !items.is_empty() {
            form.form method="post" action={ "/goals/" (g.id.as_str()) "/resolve-form" } {
                (forms.problem("resolve")) (forms.csrf_field())
                label { "action item # " select name="item" { (options(&items, resolve("item"))) } }
                " "
                label { "mark " select name="status" { (options(&["done", "dropped"], resolve("status"))) } }
                " "
                label { "note (why, if dropped) " input name="note" value=(resolve("note")) maxlength="2000"; }
                " " button { "mark" }
            }
        }
    }
}
