//! The server-rendered web view, beside the JSON API at the same URLs: the goals list, goal and
//! team pages (`pages.rs`), retrospectives and charts (`retro.rs`), their markup (`markup.rs`).
//! A client that prefers `text/html` (a browser) gets a page, one that asks for `text/markdown`
//! gets Markdown, everyone else JSON (`http::negotiate`). Same auth rules as the API; a
//! browser signs in with a token (`login.rs`) into a session cookie (`session.rs`), is sent to
//! `/login` when a page needs it, and sees errors as pages (`browsers.rs`). A goal page's
//! report is kept until the goal changes (`goal_reports.rs`).

mod browsers;
mod changes;
mod form_markup;
mod forms;
mod goal_reports;
mod login;
pub mod markup;
mod me;
mod pages;
mod propose;
mod retro;
pub mod session;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::api::routes;
use crate::http::AppState;

pub use browsers::for_browsers;
pub use forms::Viewer;
pub use goal_reports::GoalReports;
pub use pages::{goal_page, team_page};
pub use retro::retro_answer;

/// The sign-in form and its target (browser pages, not part of the JSON API).
pub const LOGIN: &str = "/login";
/// Ends the browser's session.
pub const LOGOUT: &str = "/logout";
/// The signed-in person's work.
pub const MY_WORK: &str = "/me";

/// The web view's own routes; the composition root mounts them beside the API's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(routes::INDEX, get(pages::index))
        .route(routes::GOAL_RETRO, get(retro::goal_retro))
        .route(routes::TEAM_RETRO, get(retro::team_retro))
        .route(routes::KEY_RESULT_CHART, get(retro::chart_svg))
        .route(LOGIN, get(login::show).post(login::sign_in))
        .route(LOGOUT, post(login::sign_out))
        .route(MY_WORK, get(me::my_work))
        .route("/goals/{id}/vote-form", post(forms::vote))
        .route("/goals/{id}/check-in-form", post(forms::check_in))
        .route("/goals/{id}/note-form", post(forms::note))
        .route("/goals/{id}/resolve-form", post(forms::resolve))
        .route("/goals/{id}/adjust-form", post(changes::adjust))
        .route("/propose", get(propose::show).post(propose::submit))
        .route("/goals/{id}/close-form", post(changes::close))
}

/// `body` with its content type.
fn with_type(body: String, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// `page` as an HTML answer.
fn html_response(page: maud::Markup) -> Response {
    with_type(page.into_string(), "text/html; charset=utf-8")
}
