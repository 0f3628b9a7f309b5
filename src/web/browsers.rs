//! What a browser sees instead of the API's problem documents: a page that needs signing in
//! redirects to `/login?next=…`, and any other error is an HTML page with the same status and
//! sentence. API clients (who do not prefer `text/html`) keep their `application/problem+json`.

use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::html_response;
use super::login::encode;
use crate::http::negotiate::{negotiate, Format};

use crate::render::html::page;

/// The largest problem document turned into a page.
const MAX_PROBLEM: usize = 64 * 1024;

pub async fn for_browsers(request: Request, next: Next) -> Response {
    let asks_format = request.uri().query().is_some_and(|q| q.contains("format="));
    let browser = request.method() == Method::GET
        && !asks_format
        && matches!(negotiate(request.headers(), None), Ok(Format::Html));
    // Only a browser's request needs its target kept (an API request passes through as is).
    let target = browser.then(|| {
        request
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
    });
    let response = next.run(request).await;
    let problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/problem+json"));
    let (Some(target), true) = (target, problem) else {
        return response;
    };
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        let location = format!("/login?next={}", encode(&target));
        return (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    }
    let body = axum::body::to_bytes(response.into_body(), MAX_PROBLEM)
        .await
        .unwrap_or_default();
    let detail = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|p| p["detail"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let title = status.canonical_reason().unwrap_or("Error");
    let page = page(
        title,
        maud::html! {
            h1 { (status.as_u16()) " " (title) }
            p { (detail) }
            p { a href="/" { "the goals list" } }
        },
    );
    let mut html = html_response(page);
    *html.status_mut() = status;
    html
}
