//! The one place HTTP errors become responses: `application/problem+json` with `type`, `title`,
//! `status` and a precise `detail`. Client errors are not logged as errors; server errors are
//! logged with context and answered with a generic detail naming an incident id.

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::{Problem, PROBLEM_TYPE};
use crate::domain::{GoalId, Rejection, RejectionKind, TeamId};
use crate::ledger::{AppendError, ReadError};

/// An error answer. Build it with the constructors; `IntoResponse` renders it.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// A short, stable name: the last part of the problem `type`.
    pub kind: &'static str,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            detail: detail.into(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn invalid(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: the path names no goal.
    pub fn no_goal(id: &GoalId) -> ApiError {
        ApiError::not_found(Rejection::UnknownGoal(id.clone()).to_string())
    }

    /// 404: the path or query names no team.
    pub fn no_team(id: &TeamId) -> ApiError {
        ApiError::not_found(format!("there is no team `{id}`"))
    }

    /// A defect or an unexpected failure: logged here, answered generically.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> ApiError {
        let incident = uuid::Uuid::new_v4();
        tracing::error!(%incident, context, %error, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the server failed; incident {incident} is in its log"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A refusal is logged with its problem type, in the request's span (request id, route,
        // actor, client); server errors were logged where they happened.
        if self.status.is_client_error() {
            tracing::info!(status = self.status.as_u16(), problem = self.kind, detail = %self.detail, "refused");
        }
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = Problem {
            kind: format!("{PROBLEM_TYPE}{}", self.kind),
            title: title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
        };
        let mut response = (
            self.status,
            serde_json::to_string(&body).unwrap_or_default(),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// What an API client can do when the store cannot serve: the operator frees space or fixes the
/// disk; the client retries, a write with the same Idempotency-Key so it cannot apply twice.
const RETRY: &str = "retry later (a write with the same Idempotency-Key)";

impl From<AppendError> for ApiError {
    fn from(e: AppendError) -> ApiError {
        let detail = e.to_string();
        match e {
            AppendError::Rejected(r) => match r.kind() {
                RejectionKind::NotFound => ApiError::not_found(detail),
                RejectionKind::AlreadyExists => {
                    ApiError::new(StatusCode::CONFLICT, "already-exists", detail)
                }
                RejectionKind::Rule => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rule-violation", detail)
                }
                RejectionKind::Invalid => ApiError::invalid(detail),
            },
            AppendError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "version-conflict", detail)
            }
            AppendError::IdReused { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                detail,
            ),
            AppendError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "record-too-large", detail)
            }
            AppendError::ImportRefused(_) => ApiError::invalid(detail),
            AppendError::Unavailable(_) => {
                tracing::warn!(%detail, "write refused: store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    format!("{detail}; {RETRY}"),
                )
            }
            AppendError::Closed => {
                tracing::warn!(%detail, "write refused: store unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
            }
            AppendError::Internal(_) => ApiError::internal("append", detail),
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> ApiError {
        match e {
            ReadError::Store(e) => e.into(),
            ReadError::Replay(crate::projections::ReplayError::Store(e)) => e.into(),
            other => ApiError::internal("read", other),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        use crate::store::StoreError;
        match e {
            StoreError::DiskFull { .. } | StoreError::Io(_) | StoreError::Database(_) => {
                tracing::warn!(error = %e, "read refused: store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    format!("{e}; {RETRY}"),
                )
            }
            other => ApiError::internal("store", other),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> ApiError {
        ApiError::bad_request(e.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> ApiError {
        ApiError::bad_request(e.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(e: BytesRejection) -> ApiError {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "body-too-large",
                "the request body is too large for this server (its --body-limit); send a smaller body",
            )
        } else {
            ApiError::bad_request(e.body_text())
        }
    }
}

/// Decodes a JSON body into `T`, with a precise error: 415 for another content type, 400 for
/// malformed JSON (with line and column), 422 for well-formed JSON of the wrong shape.
pub fn json_body<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("send the body as application/json (got {content_type:?})"),
        ));
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::invalid(format!("the body does not fit: {e}"))
        }
        _ => ApiError::bad_request(format!("the body is not valid JSON: {e}")),
    })
}

/// The raw request body, with a too-large or unreadable body answered as a problem.
pub struct Body(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Body, ApiError> {
        axum::body::Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(ApiError::from)
    }
}

impl From<crate::ledger::ProofError> for ApiError {
    fn from(e: crate::ledger::ProofError) -> ApiError {
        use crate::ledger::ProofError;
        match e {
            ProofError::NotFound(_) => ApiError::not_found(e.to_string()),
            ProofError::Invalid(_) => ApiError::bad_request(e.to_string()),
            ProofError::Inconsistent(_) => {
                tracing::error!(error = %e, "refused to sign a checkpoint");
                ApiError::new(StatusCode::CONFLICT, "inconsistent-log", e.to_string())
            }
            ProofError::Store(e) => e.into(),
            ProofError::NoKey | ProofError::Key(_) => ApiError::internal("signing", e),
        }
    }
}
