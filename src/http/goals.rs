//! `/goals`: propose, vote, adjust, check in, close, reopen, withdraw, note; read a goal now or
//! as of a point in its past (ETag = version), its history and its timeline.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::auth::Caller;
use super::error::{json_body, ApiError, Body};
use super::write::write;
use super::AppState;
use crate::api::{self, GoalRequest};
use crate::domain::{GoalId, GoalStatus, Role, TeamId};
use crate::ledger::AsOf;
use crate::projections::timeline::Filter;
use crate::projections::views::{list_goals, GoalFilter, GoalView};

/// A query value, with `?name=` (empty) meaning absent.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

pub fn goal_id(text: &str) -> Result<GoalId, ApiError> {
    GoalId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn team_id(text: &str) -> Result<TeamId, ApiError> {
    TeamId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn cycle_name(text: &str) -> Result<crate::domain::CycleName, ApiError> {
    crate::domain::CycleName::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub fn time(name: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    crate::input::time(text, name == "until" || name == "as_of")
        .map_err(|e| ApiError::bad_request(format!("{name}: {e}")))
}

/// Which goal a write addresses and with what body.
type GoalWrite = (
    Result<Path<String>, PathRejection>,
    HeaderMap,
    axum::body::Bytes,
);

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Member)?;
    let request: api::CreateGoal = json_body(&headers, &body)?;
    write(&state, identity, &headers, request.into()).await
}

/// A write on the goal the path names: the body is `T`, which with the goal is one command.
async fn goal_write<T: GoalRequest>(
    state: &AppState,
    caller: &Caller,
    (path, headers, body): GoalWrite,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Member)?;
    let Path(id) = path?;
    let goal = goal_id(&id)?;
    let request: T = json_body(&headers, &body)?;
    write(state, identity, &headers, request.into_command(goal)).await
}

/// Defines a goal write handler whose body is `$request`.
macro_rules! goal_write_handler {
    ($(#[$doc:meta])* $name:ident, $request:ty) => {
        $(#[$doc])*
        pub async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            path: Result<Path<String>, PathRejection>,
            headers: HeaderMap,
            Body(body): Body,
        ) -> Result<Response, ApiError> {
            goal_write::<$request>(&state, &caller, (path, headers, body)).await
        }
    };
}

goal_write_handler!(
    /// `POST /goals/{id}/votes`
    vote, api::CastVote
);
goal_write_handler!(
    /// `POST /goals/{id}/adjustments`
    adjust, api::ProposeAdjustment
);
goal_write_handler!(
    /// `POST /goals/{id}/check-ins`
    check_in, api::CheckIn
);
goal_write_handler!(
    /// `POST /goals/{id}/close`
    close, api::Close
);
goal_write_handler!(
    /// `POST /goals/{id}/reopen`
    reopen, api::Reopen
);
goal_write_handler!(
    /// `POST /goals/{id}/withdraw`
    withdraw, api::Withdraw
);
goal_write_handler!(
    /// `POST /goals/{id}/notes`
    note, api::Note
);
goal_write_handler!(
    /// `POST /goals/{id}/carry-over`
    carry_over, api::cycles::CarryOver
);

/// `POST /goals/{id}/action-items/{item}/resolve`
pub async fn resolve_action_item(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let identity = caller.require(Role::Member)?;
    let Path((id, item)) = path?;
    let goal = goal_id(&id)?;
    let item: u32 = item.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "action item {item:?}: use the item's number on its goal (1, 2, ...), as `GET /goals/{id}` lists them"
        ))
    })?;
    let request: api::ResolveActionItem = json_body(&headers, &body)?;
    write(&state, identity, &headers, request.into_command(goal, item)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    team: Option<String>,
    cycle: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let filter = GoalFilter {
        status: present(&q.status)
            .map(str::parse::<GoalStatus>)
            .transpose()
            .map_err(ApiError::bad_request)?,
        team: present(&q.team).map(team_id).transpose()?,
        cycle: present(&q.cycle).map(cycle_name).transpose()?,
    };
    let goals = state.ledger.read(|s| list_goals(s, &filter));
    Ok(Json(api::GoalList { goals }).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowQuery {
    as_of: Option<String>,
    at_seq: Option<u64>,
    /// The web page's timeline: entries a page (default 100) and before which seq.
    limit: Option<usize>,
    before: Option<u64>,
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    request_headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ShowQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(id) = path?;
    let id = goal_id(&id)?;
    let Query(q) = query?;
    // The web page's timeline size, refused when out of range whatever the answer's format.
    page_size(q.limit)?;
    let as_of = match (present(&q.as_of), q.at_seq) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give as_of or at_seq, not both")),
        (Some(t), None) => Some(AsOf::Time(time("as_of", t)?)),
        (None, Some(seq)) => Some(AsOf::Seq(seq)),
        (None, None) => None,
    };
    let goal = match as_of {
        Some(at) => {
            let id = id.clone();
            state.read_store(move |l| l.goal_as_of(&id, at)).await?
        }
        None => state.ledger.goal(&id),
    };
    let goal = goal.ok_or_else(|| match as_of {
        Some(_) => ApiError::not_found(format!("goal `{id}` did not exist yet at that point")),
        None => ApiError::no_goal(&id),
    })?;
    let view = state.ledger.read(|s| GoalView::of(&goal, s));
    if as_of.is_none()
        && super::negotiate::negotiate(&request_headers, None)? == super::negotiate::Format::Html
    {
        let timeline = PageQuery {
            limit: q.limit.or(Some(WEB_PAGE)),
            before: q.before,
        };
        let viewer = crate::web::Viewer::of(&state, &caller, &request_headers);
        return crate::web::goal_page(&state, view, &timeline, viewer).await;
    }
    let mut response = Json(&view).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", view.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// `?limit=&before=`: a page of a goal's history or timeline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Entries a page (default 200, at most 1000).
    pub limit: Option<usize>,
    /// Only entries recorded before this seq (the `next` link sets it).
    pub before: Option<u64>,
}

const DEFAULT_PAGE: usize = 200;
/// Timeline entries on a goal's web page.
pub const WEB_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// A page's size: `limit`, or the default; 1 to `MAX_PAGE`.
fn page_size(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        limit @ 1..=MAX_PAGE => Ok(limit),
        _ => Err(ApiError::bad_request(format!(
            "limit must be 1 to {MAX_PAGE}"
        ))),
    }
}

/// The newest `limit` of `items` (in log order) recorded before `before`, still in log order,
/// and the link to the page before them (`None` on the oldest page).
pub(crate) fn page<T: Clone>(
    items: &[T],
    seq: impl Fn(&T) -> u64,
    query: &PageQuery,
    path: &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = page_size(query.limit)?;
    let end = query.before.map_or(items.len(), |before| {
        items.partition_point(|i| seq(i) < before)
    });
    let start = end.saturating_sub(limit);
    let next = (start > 0).then(|| format!("{path}?limit={limit}&before={}", seq(&items[start])));
    let items = items[start..end].to_vec();
    Ok((items, next))
}

pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(id) = path?;
    let Query(query) = query?;
    let id = goal_id(&id)?;
    let found = id.clone();
    let history = state
        .read_store(move |l| l.history(&found))
        .await?
        .ok_or_else(|| ApiError::no_goal(&id))?;
    let link = api::path(api::routes::GOAL_HISTORY, &[id.as_str()]);
    let (entries, next) = page(&history.entries, |c| c.seq, &query, &link)?;
    Ok(Json(api::HistoryPage {
        goal: history.goal,
        entries,
        next,
    })
    .into_response())
}

pub async fn goal_timeline(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(id) = path?;
    let Query(query) = query?;
    let id = goal_id(&id)?;
    if state.ledger.goal(&id).is_none() {
        return Err(ApiError::no_goal(&id));
    }
    let link = api::path(api::routes::GOAL_TIMELINE, &[id.as_str()]);
    let filter = Filter {
        goal: Some(id),
        ..Filter::default()
    };
    let entries = state.read_store(move |l| l.timeline(&filter)).await?;
    let (entries, next) = page(&entries, |e| e.seq, &query, &link)?;
    Ok(Json(api::TimelinePage { entries, next }).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    team: Option<String>,
    since: Option<String>,
    until: Option<String>,
}

pub async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<TimelineQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let filter = Filter {
        goal: None,
        team: present(&q.team).map(team_id).transpose()?,
        since: present(&q.since).map(|t| time("since", t)).transpose()?,
        until: present(&q.until).map(|t| time("until", t)).transpose()?,
    };
    let entries = state.read_store(move |l| l.timeline(&filter)).await?;
    Ok(Json(api::Timeline { entries }).into_response())
}
