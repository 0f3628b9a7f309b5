//! Signing in and out from a browser: `GET /login` shows the form, `POST /login` takes a token
//! and starts a session (the cookie holds its id, the server maps it to the token), `POST
//! /logout` ends it. Both posts check that the form came from this server (`Origin`, or
//! `Referer` without it), and signing out needs the session's CSRF token too.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::html_response;
use super::session::{clear_cookie, cookie_id, set_cookie};
use crate::http::auth::{token_is_valid, Caller};
use crate::http::AppState;

use crate::render::html::page;

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after signing in: a path on this server, else the goals list.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

/// `value` percent-encoded for a query string.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The sign-in form, with `problem` above it and `next` kept.
fn form(next: &str, problem: Option<&str>) -> maud::Markup {
    let body = html! {
        h1 { "Sign in" }
        @if let Some(p) = problem { p.problem role="alert" { (p) } }
        form method="post" action="/login" {
            input type="hidden" name="next" value=(next);
            label { "token " input type="password" name="token" autocomplete="current-password" required autofocus; }
            " " button { "sign in" }
        }
        p.muted {
            "Use the bearer token an admin gave you (" code { "goal-ledger token create" }
            "). The page keeps only a session cookie; the token stays on the server."
        }
    };
    page("Sign in", body)
}

/// `GET /login`: the form, or who is signed in and the sign-out button.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    let session = cookie_id(&headers).and_then(|id| state.sessions.get(&id));
    match (caller.0, session) {
        (Some(who), Some(session)) => html_response(page(
            "Signed in",
            html! {
                h1 { "Signed in" }
                p { "as " (who.actor.as_str()) " (" (maud::display(who.role)) ")" }
                form method="post" action="/logout" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    button { "sign out" }
                }
                p { a href=(next) { "continue" } }
            },
        )),
        _ => html_response(form(next, None)),
    }
}

/// Whether the form was posted from a page of this server.
pub(super) fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match (host, origin) {
        (Some(host), Some(origin)) => {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            rest.is_some_and(|r| r == host || r.starts_with(&format!("{host}/")))
        }
        _ => false,
    }
}

fn refused(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = page(title, html! { h1 { (title) } p { (detail) } });
    (status, html_response(body)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    token: String,
    next: Option<String>,
}

/// `POST /login`
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SignIn>,
) -> Response {
    if !same_origin(&headers) {
        return refused(
            StatusCode::FORBIDDEN,
            "Not signed in",
            "the form did not come from this server",
        );
    }
    let next = safe_next(f.next.as_deref());
    match token_is_valid(&state, f.token.trim()) {
        Some(who) => {
            let id = state.sessions.start(who.token, state.ledger.digest().seq);
            let mut response =
                (StatusCode::SEE_OTHER, [(header::LOCATION, next.to_owned())]).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&id, state.secure_cookies));
            response
        }
        None => (
            StatusCode::UNAUTHORIZED,
            html_response(form(
                next,
                Some("That token is unknown, revoked or expired. Ask an admin for one."),
            )),
        )
            .into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct SignOut {
    csrf: String,
}

/// `POST /logout`
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SignOut>,
) -> Response {
    let Some(id) = cookie_id(&headers) else {
        return refused(
            StatusCode::FORBIDDEN,
            "Not signed out",
            "there is no session to end",
        );
    };
    let valid = state.sessions.get(&id).is_some_and(|s| s.csrf == f.csrf);
    if !same_origin(&headers) || !valid {
        return refused(
            StatusCode::FORBIDDEN,
            "Not signed out",
            "the form did not come from this session: reload the page and try again",
        );
    }
    state.sessions.end(&id);
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/login".to_owned())],
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(state.secure_cookies));
    response
}
