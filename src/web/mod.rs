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

use crate::http::AppState;

pub use pages::{goal_page, team_page};

/// The web view's own routes, merged into the API's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::index))
        .route("/goals/{id}/retro", get(retro::goal_retro))
        .route("/retro", get(retro::team_retro))
        .route(
            "/goals/{id}/key-results/{name}/chart.svg",
            get(retro::chart_svg),
        )
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
