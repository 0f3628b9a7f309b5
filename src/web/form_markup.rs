//! The HTML of the goal page's forms: the message the last form left, the vote form beside the
//! open proposal (for its electorate), the check-in form under the key results and the
//! post-mortem forms under the action items (for the owning teams), each with the session's CSRF token, a refused form's input kept and its
//! reason beside it. Every value shown goes through `escape`.

use std::fmt::Write as _;

use super::forms::Echo;
use crate::projections::views::GoalView;
use crate::render::escape::xml as escape;

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
    pub(super) fn typed(&self, form: &str, field: &str) -> String {
        self.echo
            .as_ref()
            .and_then(|e| e.value(form, field))
            .map(escape)
            .unwrap_or_default()
    }

    pub(super) fn problem(&self, form: &str) -> String {
        match &self.echo {
            Some(e) if e.form == form => format!(
                "<p class=\"problem\" role=\"alert\">Not recorded: {}</p>",
                escape(&e.problem)
            ),
            _ => String::new(),
        }
    }

    pub(super) fn csrf_field(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            escape(self.csrf.as_deref().unwrap_or(""))
        )
    }
}

/// The message the last form left, if any.
pub fn flash(b: &mut String, forms: &Forms) {
    if let Some(message) = &forms.flash {
        let _ = write!(
            b,
            "<p class=\"flash\" role=\"status\">{}</p>",
            escape(message)
        );
    }
}

/// `<option>`s of `choices`, the one `chosen` selected.
pub(super) fn options(choices: &[&str], chosen: &str) -> String {
    choices
        .iter()
        .map(|c| {
            let selected = if *c == chosen { " selected" } else { "" };
            format!("<option{selected}>{}</option>", escape(c))
        })
        .collect()
}

/// The vote form, for a viewer in the electorate.
pub fn vote_form(b: &mut String, g: &GoalView, forms: &Forms) {
    if !forms.vote || forms.csrf.is_none() {
        return;
    }
    let chosen = forms.typed("vote", "choice");
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/goals/{id}/vote-form\" class=\"form\">{problem}{csrf}<label>your vote <select name=\"choice\">{choices}</select></label> <label>reason <input name=\"reason\" value=\"{reason}\" maxlength=\"2000\" placeholder=\"needed for a block\"></label> <button>vote</button></form>",
        id = escape(g.id.as_str()),
        problem = forms.problem("vote"),
        csrf = forms.csrf_field(),
        choices = options(&["agree", "abstain", "disagree", "block"], &chosen),
        reason = forms.typed("vote", "reason"),
    );
}

/// The check-in form, for a viewer on an owning team of an active goal.
pub fn check_in_form(b: &mut String, g: &GoalView, forms: &Forms) {
    if !forms.check_in || forms.csrf.is_none() {
        return;
    }
    let krs: Vec<&str> = g.key_results.iter().map(|k| k.name.as_str()).collect();
    let _ = write!(
        b,
        "<h2>Check in</h2><form method=\"post\" action=\"/goals/{id}/check-in-form\" class=\"form\">{problem}{csrf}<label>key result <select name=\"key_result\">{krs}</select></label> <label>value <input name=\"value\" value=\"{value}\" inputmode=\"decimal\" required></label> <label>health <select name=\"health\">{health}</select></label> <label>confidence (0–10) <input name=\"confidence\" value=\"{confidence}\" inputmode=\"numeric\"></label> <label>note <input name=\"note\" value=\"{note}\" maxlength=\"2000\"></label> <label>corrects check-in # <input name=\"corrects\" value=\"{corrects}\" inputmode=\"numeric\" placeholder=\"only to correct one\"></label> <button>check in</button></form>",
        id = escape(g.id.as_str()),
        problem = forms.problem("check-in"),
        csrf = forms.csrf_field(),
        krs = options(&krs, &forms.typed("check-in", "key_result")),
        value = forms.typed("check-in", "value"),
        health = options(&["on-track", "at-risk", "off-track"], &forms.typed("check-in", "health")),
        confidence = forms.typed("check-in", "confidence"),
        note = forms.typed("check-in", "note"),
        corrects = forms.typed("check-in", "corrects"),
    );
}

/// The post-mortem forms, for a viewer on an owning team: write a note, and mark an open
/// action item done or dropped.
pub fn post_mortem_forms(b: &mut String, g: &GoalView, forms: &Forms) {
    if !forms.notes || forms.csrf.is_none() {
        return;
    }
    let sections = ["went-well", "went-wrong", "lesson", "action-item", "kudos"];
    let _ = write!(
        b,
        "<h2>Write a post-mortem note</h2><form method=\"post\" action=\"/goals/{id}/note-form\" class=\"form\">{problem}{csrf}<label>section <select name=\"section\">{sections}</select></label> <label>note <input name=\"text\" value=\"{text}\" maxlength=\"4000\" required></label> <label>owner (action items) <input name=\"owner\" value=\"{owner}\"></label> <label>due (action items) <input name=\"due\" type=\"date\" value=\"{due}\"></label> <button>write</button></form>",
        id = escape(g.id.as_str()),
        problem = forms.problem("note"),
        csrf = forms.csrf_field(),
        sections = options(&sections, &forms.typed("note", "section")),
        text = forms.typed("note", "text"),
        owner = forms.typed("note", "owner"),
        due = forms.typed("note", "due"),
    );
    let open: Vec<String> = g
        .action_items
        .iter()
        .filter(|a| a.status == "open")
        .map(|a| a.item.to_string())
        .collect();
    if open.is_empty() {
        return;
    }
    let items: Vec<&str> = open.iter().map(String::as_str).collect();
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/goals/{id}/resolve-form\" class=\"form\">{problem}{csrf}<label>action item # <select name=\"item\">{items}</select></label> <label>mark <select name=\"status\">{status}</select></label> <label>note (why, if dropped) <input name=\"note\" value=\"{note}\" maxlength=\"2000\"></label> <button>mark</button></form>",
        id = escape(g.id.as_str()),
        problem = forms.problem("resolve"),
        csrf = forms.csrf_field(),
        items = options(&items, &forms.typed("resolve", "item")),
        status = options(&["done", "dropped"], &forms.typed("resolve", "status")),
        note = forms.typed("resolve", "note"),
    );
}
