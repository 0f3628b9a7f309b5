//! The server-rendered web view, beside the JSON API at the same URLs: the goals list, goal and
//! team pages (`pages.rs`), retrospectives and charts (`retro.rs`), their markup (`markup.rs`).
//! A client that prefers `text/html` (a browser) gets a page, one that asks for `text/markdown`
//! gets Markdown, everyone else JSON (`http::negotiate`). Same auth rules as the API.

pub mod markup;
mod pages;
mod retro;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::api::routes;
use crate::http::AppState;

pub use pages::{goal_page, team_page};
pub use retro::retro_answer;

/// The web view's own routes; the composition root mounts them beside the API's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(routes::INDEX, get(pages::index))
        .route(routes::GOAL_RETRO, get(retro::goal_retro))
        .route(routes::TEAM_RETRO, get(retro::team_retro))
        .route(routes::KEY_RESULT_CHART, get(retro::chart_svg))
}

/// `body` with its content type.
fn with_type(body: String, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// `body` as an HTML page.
fn html_response(body: String) -> Response {
    with_type(body, "text/html; charset=utf-8")
}
