//! The raw log over HTTP: `GET /events` pages through records exactly as stored, and
//! `GET /events/stream` is a server-sent-event feed that catches up from `after` (or the
//! `Last-Event-ID` header) and then follows the head live. Each event's id is the record's seq
//! and its data the record's exact bytes.

use std::collections::VecDeque;
use std::convert::Infallible;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::Deserialize;

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;

const MAX_PAGE: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    after: Option<u64>,
    limit: Option<usize>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<Page>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(page) = query?;
    let limit = page.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    let after = page.after.unwrap_or(0);
    let records = state
        .read_store(move |l| l.records_after(after, limit))
        .await?;
    // The records' exact bytes, embedded as they are.
    let mut body = Vec::with_capacity(records.iter().map(|(_, b)| b.len() + 1).sum::<usize>() + 32);
    body.extend_from_slice(b"{\"records\":[");
    for (i, (_, bytes)) in records.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(bytes);
    }
    body.extend_from_slice(format!("],\"head\":{}}}", state.ledger.digest().seq).as_bytes());
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    after: Option<u64>,
}

pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let cursor = q.after.or(last_event_id).unwrap_or(0);
    let follow = Follow {
        _subscribed: state.metrics.subscribed(),
        head: state.ledger.subscribe(),
        shutdown: state.shutdown.clone(),
        state,
        cursor,
        buffer: VecDeque::new(),
    };
    let events = futures_util::stream::unfold(follow, |mut f| async move {
        let (seq, bytes) = f.next().await?;
        let event = Event::default()
            .id(seq.to_string())
            .event("record")
            .data(String::from_utf8_lossy(&bytes));
        Some((Ok(event), f))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

struct Follow {
    /// Counts this client in `goal_ledger_stream_subscribers` until the feed ends.
    _subscribed: super::metrics::Subscribed,
    state: AppState,
    head: tokio::sync::watch::Receiver<crate::record::Digest>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    cursor: u64,
    buffer: VecDeque<(u64, Vec<u8>)>,
}

impl Follow {
    /// The next record after the cursor, waiting for one to be appended; `None` ends the feed.
    async fn next(&mut self) -> Option<(u64, Vec<u8>)> {
        loop {
            if let Some((seq, bytes)) = self.buffer.pop_front() {
                self.cursor = seq;
                return Some((seq, bytes));
            }
            if *self.shutdown.borrow() {
                return None;
            }
            // Mark the current head seen before reading, so no append slips between.
            self.head.borrow_and_update();
            let cursor = self.cursor;
            match self
                .state
                .read_store(move |l| l.records_after(cursor, 512))
                .await
            {
                Ok(records) if !records.is_empty() => {
                    self.buffer.extend(records);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e.detail, "event feed ended");
                    return None;
                }
            }
            tokio::select! {
                changed = self.head.changed() => if changed.is_err() { return None },
                _ = self.shutdown.changed() => return None,
            }
        }
    }
}
