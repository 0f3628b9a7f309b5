//! The goal page's forms, for a signed-in browser: vote on the open proposal (with a reason)
//! and check in on a key result (or correct an earlier check-in). Each form carries the
//! session's CSRF token and must come from this server; an accepted one answers 303 back to
//! the goal page with a message, a refused one shows the page again with what was typed kept
//! and the reason beside the form. A refusal appends nothing (the command is decided before
//! anything is staged).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::login::same_origin;
use super::session::cookie_id;
use crate::domain::{Choice, Command, GoalId, Health, KrName, Role};
use crate::http::auth::{Caller, Identity};
use crate::http::goals::{goal_id, PageQuery};
use crate::http::{ApiError, AppState};

/// What a refused form had in it, and why it was refused: shown again beside the form.
#[derive(Debug, Clone, Default)]
pub struct Echo {
    /// `vote`, `check-in`, `note`, `resolve`, `adjust` or `close`: the form it belongs to.
    pub form: &'static str,
    pub fields: Vec<(String, String)>,
    pub problem: String,
}

impl Echo {
    /// What was typed in `field`, if this echo is of `form`.
    pub fn value(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.fields.iter().find(|(k, _)| k == field))
            .flatten()
            .map(|(_, v)| v.as_str())
    }
}

/// Who looks at a goal page, for its forms: the identity, the session's CSRF token, a message
/// left by the last form, and a refused form's input.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub who: Option<Identity>,
    pub csrf: Option<String>,
    pub flash: Option<String>,
    pub echo: Option<Echo>,
}

impl Viewer {
    /// The viewer of a page request: a session's (forms need one), else none.
    pub fn of(state: &AppState, caller: &Caller, headers: &HeaderMap) -> Viewer {
        let session = cookie_id(headers).and_then(|id| {
            let s = state.sessions.get(&id)?;
            Some((id, s))
        });
        match (&caller.0, session) {
            (Some(who), Some((id, s))) if who.token == s.token => Viewer {
                who: Some(who.clone()),
                csrf: Some(s.csrf),
                flash: state.sessions.take_flash(&id),
                echo: None,
            },
            _ => Viewer::default(),
        }
    }
}

/// The session of a form's post, checked: the cookie names a live session, the form carries
/// its CSRF token and came from this server, and its token may write. `Err` says why not.
pub(super) fn checked(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<(String, Identity), &'static str> {
    let id = cookie_id(headers).ok_or("sign in first: forms need a session")?;
    let session = state
        .sessions
        .get(&id)
        .ok_or("your session ended: sign in again")?;
    if session.csrf != csrf || !same_origin(headers) {
        return Err("the form did not come from this session: reload the page and try again");
    }
    match caller.require(Role::Member) {
        Ok(who) if who.token == session.token => Ok((id, who.clone())),
        Ok(_) | Err(_) => Err("your token may not write (it needs the member role)"),
    }
}

/// The page a form refused before running gets: 403 and why.
pub(super) fn forbidden(detail: &str) -> Response {
    let page =
        crate::render::html::page("Refused", maud::html! { h1 { "Refused" } p { (detail) } });
    (StatusCode::FORBIDDEN, super::html_response(page)).into_response()
}

/// Runs `command` for the form; on success leaves `done` for the next page and answers 303 to
/// the goal page, on refusal shows the page again with `echo`.
async fn run(
    state: &AppState,
    (session, who): (String, Identity),
    goal: GoalId,
    command: Result<Command, String>,
    done: String,
    mut echo: Echo,
) -> Result<Response, ApiError> {
    let result = match command {
        Ok(command) => crate::http::write::append(state, &who, &HeaderMap::new(), command)
            .await
            .map(|_| ()),
        Err(problem) => Err(ApiError::invalid(problem)),
    };
    match result {
        Ok(()) => {
            state.sessions.flash(&session, done);
            let location = crate::api::path(crate::api::routes::GOAL, &[goal.as_str()]);
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
        }
        Err(refused) => {
            echo.problem = refused.detail.clone();
            let status = refused.status;
            let view = state
                .ledger
                .read(|s| {
                    s.goals
                        .get(&goal)
                        .map(|g| crate::projections::views::GoalView::of(g, s))
                })
                .ok_or_else(|| ApiError::no_goal(&goal))?;
            let csrf = state.sessions.get(&session).map(|s| s.csrf);
            let viewer = Viewer {
                who: Some(who),
                csrf,
                flash: None,
                echo: Some(echo),
            };
            let timeline = PageQuery {
                limit: Some(crate::http::goals::WEB_PAGE),
                before: None,
            };
            let mut page = super::goal_page(state, view, &timeline, viewer).await?;
            *page.status_mut() = status;
            Ok(page)
        }
    }
}

/// A goal page form: the CSRF token it carries, and what it asks for.
pub(super) trait GoalForm: serde::de::DeserializeOwned {
    fn csrf(&self) -> &str;

    /// The command (or what is wrong with a field), the message once it is recorded, and the
    /// input to show again if it is refused.
    fn into_parts(self, goal: &GoalId) -> (Result<Command, String>, String, Echo);
}

/// Checks a posted form's session and runs what it asks for.
pub(super) async fn submit<F: GoalForm>(
    state: AppState,
    (caller, headers): (Caller, HeaderMap),
    path: Result<Path<String>, PathRejection>,
    form: F,
) -> Result<Response, ApiError> {
    let Path(id) = path?;
    let goal = goal_id(&id)?;
    let session = match checked(&state, &caller, &headers, form.csrf()) {
        Ok(s) => s,
        Err(why) => return Ok(forbidden(why)),
    };
    let (command, done, echo) = form.into_parts(&goal);
    run(&state, session, goal, command, done, echo).await
}

/// Defines the handler that takes the form `$form` at its route.
macro_rules! form_handler {
    ($(#[$doc:meta])* $name:ident, $form:ty) => {
        $(#[$doc])*
        pub async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            headers: HeaderMap,
            path: Result<Path<String>, PathRejection>,
            Form(form): Form<$form>,
        ) -> Result<Response, ApiError> {
            submit(state, (caller, headers), path, form).await
        }
    };
}
pub(super) use form_handler;

#[derive(Debug, Deserialize)]
pub struct VoteForm {
    csrf: String,
    choice: String,
    #[serde(default)]
    reason: String,
}

impl GoalForm for VoteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn into_parts(self, goal: &GoalId) -> (Result<Command, String>, String, Echo) {
        let goal = goal.clone();
        let choice = match self.choice.as_str() {
            "agree" => Ok(Choice::Agree),
            "abstain" => Ok(Choice::Abstain),
            "disagree" => Ok(Choice::Disagree),
            "block" => Ok(Choice::Block),
            other => Err(format!(
                "choice: {other:?}: use agree, abstain, disagree or block"
            )),
        };
        let reason = Some(self.reason.trim().to_owned()).filter(|r| !r.is_empty());
        let command = choice.clone().map(|choice| Command::CastVote {
            goal: goal.clone(),
            choice,
            reason,
        });
        let done = match &choice {
            Ok(c) => format!("Your vote ({c}) is recorded."),
            Err(_) => String::new(),
        };
        let echo = Echo {
            form: "vote",
            fields: vec![
                ("choice".into(), self.choice),
                ("reason".into(), self.reason),
            ],
            problem: String::new(),
        };
        (command, done, echo)
    }
}

form_handler!(
    /// `POST /goals/{id}/vote-form`
    vote, VoteForm
);

#[derive(Debug, Deserialize)]
pub struct CheckInForm {
    csrf: String,
    key_result: String,
    value: String,
    health: String,
    #[serde(default)]
    confidence: String,
    #[serde(default)]
    note: String,
    /// The sequence number of the check-in this one corrects, if any.
    #[serde(default)]
    corrects: String,
}

impl CheckInForm {
    /// The command the form asks for, or what is wrong with a field.
    fn command(&self, goal: &GoalId) -> Result<Command, String> {
        let key_result =
            KrName::parse(self.key_result.trim()).map_err(|e| format!("key result: {e}"))?;
        let value: f64 = self.value.trim().parse().map_err(|_| {
            format!(
                "value: {:?} is not a number (use a dot for decimals: 7.1)",
                self.value
            )
        })?;
        let health: Health = match self.health.as_str() {
            "on-track" => Health::OnTrack,
            "at-risk" => Health::AtRisk,
            "off-track" => Health::OffTrack,
            other => {
                return Err(format!(
                    "health: {other:?}: use on-track, at-risk or off-track"
                ))
            }
        };
        let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let confidence = optional(&self.confidence)
            .map(|c| {
                c.parse::<u8>()
                    .map_err(|_| format!("confidence: {c:?}: use 0 to 10"))
            })
            .transpose()?;
        let corrects = optional(&self.corrects)
            .map(|c| {
                c.trim_start_matches('#')
                    .parse::<u64>()
                    .map_err(|_| format!("corrects: {c:?}: give the check-in's number (#seq)"))
            })
            .transpose()?;
        Ok(Command::RecordCheckIn {
            goal: goal.clone(),
            key_result,
            value,
            health,
            confidence,
            note: optional(&self.note),
            corrects,
            outside_period: false,
        })
    }
}

impl GoalForm for CheckInForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn into_parts(self, goal: &GoalId) -> (Result<Command, String>, String, Echo) {
        let goal = goal.clone();
        let command = self.command(&goal);
        let done = match self.corrects.trim() {
            "" => format!(
                "Your check-in of {} = {} is recorded.",
                self.key_result,
                self.value.trim()
            ),
            seq => format!(
                "Your correction of {seq} is recorded: {} = {}.",
                self.key_result,
                self.value.trim()
            ),
        };
        let echo = Echo {
            form: "check-in",
            fields: vec![
                ("key_result".into(), self.key_result),
                ("value".into(), self.value),
                ("health".into(), self.health),
                ("confidence".into(), self.confidence),
                ("note".into(), self.note),
                ("corrects".into(), self.corrects),
            ],
            problem: String::new(),
        };
        (command, done, echo)
    }
}

form_handler!(
    /// `POST /goals/{id}/check-in-form`
    check_in, CheckInForm
);

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    csrf: String,
    section: String,
    text: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due: String,
}

impl NoteForm {
    fn command(&self, goal: &GoalId) -> Result<Command, String> {
        let section = crate::domain::Section::ALL
            .into_iter()
            .find(|s| s.to_string() == self.section)
            .ok_or_else(|| {
                format!(
                    "section: {:?}: use went-well, went-wrong, lesson, action-item or kudos",
                    self.section
                )
            })?;
        let owner = Some(self.owner.trim())
            .filter(|o| !o.is_empty())
            .map(|o| crate::domain::Actor::parse(o).map_err(|e| format!("owner: {e}")))
            .transpose()?;
        let due = Some(self.due.trim())
            .filter(|d| !d.is_empty())
            .map(|d| crate::input::date(d).map_err(|e| format!("due: {e}")))
            .transpose()?;
        Ok(Command::NotePostMortem {
            goal: goal.clone(),
            section,
            text: self.text.clone(),
            owner,
            due,
        })
    }
}

impl GoalForm for NoteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn into_parts(self, goal: &GoalId) -> (Result<Command, String>, String, Echo) {
        let goal = goal.clone();
        let command = self.command(&goal);
        let done = format!("Your {} note is recorded.", self.section);
        let echo = Echo {
            form: "note",
            fields: vec![
                ("section".into(), self.section),
                ("text".into(), self.text),
                ("owner".into(), self.owner),
                ("due".into(), self.due),
            ],
            problem: String::new(),
        };
        (command, done, echo)
    }
}

form_handler!(
    /// `POST /goals/{id}/note-form`
    note, NoteForm
);

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    csrf: String,
    item: String,
    status: String,
    #[serde(default)]
    note: String,
}

impl GoalForm for ResolveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn into_parts(self, goal: &GoalId) -> (Result<Command, String>, String, Echo) {
        let goal = goal.clone();
        let item = self
            .item
            .trim()
            .trim_start_matches('#')
            .parse::<u32>()
            .map_err(|_| format!("item: {:?}: give the action item's number", self.item));
        let status = match self.status.as_str() {
            "done" => Ok(crate::domain::Resolution::Done),
            "dropped" => Ok(crate::domain::Resolution::Dropped),
            other => Err(format!("status: {other:?}: use done or dropped")),
        };
        let note = Some(self.note.trim().to_owned()).filter(|n| !n.is_empty());
        let command = item.and_then(|item| {
            Ok(Command::ResolveActionItem {
                goal: goal.clone(),
                item,
                status: status?,
                note,
            })
        });
        let done = format!(
            "Action item #{} is marked {}.",
            self.item.trim(),
            self.status
        );
        let echo = Echo {
            form: "resolve",
            fields: vec![
                ("item".into(), self.item),
                ("status".into(), self.status),
                ("note".into(), self.note),
            ],
            problem: String::new(),
        };
        (command, done, echo)
    }
}

form_handler!(
    /// `POST /goals/{id}/resolve-form`: an action item done, or dropped with a reason.
    resolve, ResolveForm
);
