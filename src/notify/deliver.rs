//! One delivery attempt of one webhook message, as Standard Webhooks has it: a POST of the JSON
//! body (`type`, `timestamp`, `data`) with the `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` headers; a 2xx answer is delivered, anything else (another status, a
//! timeout, a refused connection) a failure to retry. The attempt is returned as a value.

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::{CONTENT_TYPE, LOCATION, USER_AGENT};
use serde::Serialize;
use serde_json::Value;

use super::sign::{sign, Secret};

/// The `user-agent` of every delivery.
const AGENT: &str = concat!("goal-ledger/", env!("CARGO_PKG_VERSION"));

/// A webhook message: the same on every attempt, so its id lets a receiver drop repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The `webhook-id`: stable across retries and restarts, with no `.` in it.
    pub id: String,
    /// The event type, e.g. `vote-needed`.
    pub event_type: String,
    /// When the event occurred (not when it is sent).
    pub timestamp: DateTime<Utc>,
    /// The event's data.
    pub data: Value,
}

impl Message {
    /// The request body, compact JSON: `{"type":…,"timestamp":…,"data":…}` with the
    /// timestamp in RFC 3339 (UTC, `Z`). The bytes sent are the bytes signed.
    pub fn body(&self) -> Vec<u8> {
        let timestamp = self.timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        // `Value`'s `Display` is compact JSON and cannot fail; the fields keep the spec's order.
        format!(
            "{{\"type\":{},\"timestamp\":{},\"data\":{}}}",
            Value::from(self.event_type.as_str()),
            Value::from(timestamp),
            self.data
        )
        .into_bytes()
    }
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// When it was made (the `webhook-timestamp` sent).
    pub at: DateTime<Utc>,
    /// The receiver's status code; `None` when no answer came (timeout, connection error).
    pub status: Option<u16>,
    /// What went wrong, for a person: the transport error, or why a status is a failure when
    /// that needs saying (a redirect is not followed).
    pub error: Option<String>,
    /// How long the attempt took, in milliseconds.
    pub took_ms: u64,
}

impl Attempt {
    /// Whether the message is delivered: the receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Makes one attempt to deliver `message` to `url`, signed with `secret` and stamped `now`.
/// Never fails: the outcome is the `Attempt`. The caller builds `client` with a timeout and
/// `redirect::Policy::none()` (a redirect would escape the address check and is a failure
/// by the spec), and checks `url` with `address::check_url` first.
pub async fn send(
    client: &reqwest::Client,
    url: &reqwest::Url,
    secret: &Secret,
    message: &Message,
    now: DateTime<Utc>,
) -> Attempt {
    let body = message.body();
    let timestamp = now.timestamp();
    let signature = sign(secret, &message.id, timestamp, &body);
    let started = Instant::now();
    let result = client
        .post(url.clone())
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, AGENT)
        .header("webhook-id", message.id.as_str())
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (status, error) = match result {
        Ok(response) => {
            let status = response.status();
            let error = status.is_redirection().then(|| redirected(&response));
            (Some(status.as_u16()), error)
        }
        Err(e) => (None, Some(describe(&e))),
    };
    Attempt {
        at: now,
        status,
        error,
        took_ms,
    }
}

/// Why a redirect is a failure, and where it pointed.
fn redirected(response: &reqwest::Response) -> String {
    let to = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|l| format!(" to {l}"))
        .unwrap_or_default();
    format!("the receiver redirects{to}; redirects are not followed, so register the URL it redirects to")
}

/// A transport error with its causes, which name what actually happened (e.g. "Connection
/// refused", "operation timed out").
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    if e.is_timeout() && !text.contains("timed out") {
        text.push_str(" (timed out)");
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use tokio::sync::mpsc;

    use super::super::sign::verify;
    use super::*;

    fn message() -> Message {
        Message {
            id: "msg_42".into(),
            event_type: "vote-needed".into(),
            timestamp: DateTime::parse_from_rfc3339("2026-03-04T05:06:07.250Z")
                .unwrap()
                .with_timezone(&Utc),
            data: serde_json::json!({"goal": "web-traffic", "proposal": 2, "note": "a \"quoted\" é"}),
        }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A receiver on 127.0.0.1:0 that answers `status` and hands over what it was sent.
    async fn receiver(
        status: StatusCode,
    ) -> (reqwest::Url, mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let app = axum::Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| async move {
                let _ = tx.send((headers, body));
                // A redirect back here would show up as a second request, if it were followed.
                (status, [(LOCATION, "/hook")])
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let url = reqwest::Url::parse(&format!("http://{addr}/hook")).unwrap();
        (url, rx)
    }

    fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
        headers.get(name).unwrap().to_str().unwrap()
    }

    #[test]
    fn the_body_is_compact_json_with_type_timestamp_and_data_in_order() {
        let body = String::from_utf8(message().body()).unwrap();
        assert_eq!(
            body,
            r#"{"type":"vote-needed","timestamp":"2026-03-04T05:06:07.250Z","data":{"goal":"web-traffic","note":"a \"quoted\" é","proposal":2}}"#
        );
        let whole_seconds = Message {
            timestamp: DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
            ..message()
        };
        let parsed: Value = serde_json::from_slice(&whole_seconds.body()).unwrap();
        assert_eq!(parsed["timestamp"], "2026-01-01T00:00:00Z");
    }

    #[tokio::test]
    async fn a_delivery_carries_the_standard_headers_and_a_signature_that_verifies() {
        let (url, mut got) = receiver(StatusCode::NO_CONTENT).await;
        let secret = Secret::derive(&[3; 32], "wh-0a1b2c3d");
        let now = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let attempt = send(&client(), &url, &secret, &message(), now).await;
        assert!(attempt.succeeded(), "{attempt:?}");
        assert_eq!(
            (attempt.status, attempt.error.as_deref(), attempt.at),
            (Some(204), None, now)
        );

        let (headers, body) = got.try_recv().unwrap();
        assert_eq!(header(&headers, "content-type"), "application/json");
        assert_eq!(
            header(&headers, "user-agent"),
            format!("goal-ledger/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(header(&headers, "webhook-id"), "msg_42");
        assert_eq!(header(&headers, "webhook-timestamp"), "1780000000");
        let signature = header(&headers, "webhook-signature");
        assert!(signature.starts_with("v1,"), "{signature}");
        assert!(verify(&secret, "msg_42", 1_780_000_000, &body, signature));
        assert!(!verify(
            &Secret::derive(&[4; 32], "wh-0a1b2c3d"),
            "msg_42",
            1_780_000_000,
            &body,
            signature
        ));

        assert_eq!(body.as_ref(), message().body().as_slice());
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["type"], "vote-needed");
        assert_eq!(json["timestamp"], "2026-03-04T05:06:07.250Z");
        assert_eq!(json["data"]["goal"], "web-traffic");
        assert_eq!(json.as_object().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_receiver_answering_500_is_a_failed_attempt_with_its_status() {
        let (url, mut got) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
        let secret = Secret::derive(&[3; 32], "wh-0a1b2c3d");
        let attempt = send(&client(), &url, &secret, &message(), Utc::now()).await;
        assert!(!attempt.succeeded());
        assert_eq!(attempt.status, Some(500));
        assert_eq!(attempt.error, None);
        assert!(got.try_recv().is_ok());
    }

    #[tokio::test]
    async fn a_redirect_is_a_failure_that_is_not_followed() {
        let (url, mut got) = receiver(StatusCode::PERMANENT_REDIRECT).await;
        let secret = Secret::derive(&[3; 32], "wh-0a1b2c3d");
        let attempt = send(&client(), &url, &secret, &message(), Utc::now()).await;
        assert!(!attempt.succeeded());
        assert_eq!(attempt.status, Some(308));
        let error = attempt.error.unwrap();
        assert!(
            error.contains("redirects to /hook; redirects are not followed"),
            "{error}"
        );
        assert!(got.try_recv().is_ok());
        assert!(got.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_closed_port_is_a_failed_attempt_without_a_status() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = reqwest::Url::parse(&format!("http://{addr}/hook")).unwrap();
        let secret = Secret::derive(&[3; 32], "wh-0a1b2c3d");
        let attempt = send(&client(), &url, &secret, &message(), Utc::now()).await;
        assert!(!attempt.succeeded());
        assert_eq!(attempt.status, None);
        let error = attempt.error.unwrap();
        assert!(error.to_lowercase().contains("connect"), "{error}");
    }

    #[test]
    fn only_2xx_statuses_succeed() {
        let attempt = |status| Attempt {
            at: Utc::now(),
            status,
            error: None,
            took_ms: 1,
        };
        for (status, ok) in [
            (Some(200), true),
            (Some(299), true),
            (Some(199), false),
            (Some(300), false),
            (Some(410), false),
            (None, false),
        ] {
            assert_eq!(attempt(status).succeeded(), ok, "{status:?}");
        }
    }
}
