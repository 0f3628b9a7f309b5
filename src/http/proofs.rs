//! What an auditor asks the server for: signed checkpoints, the public key that verifies them,
//! inclusion proofs (C2SP `tlog-proof@v1` files) and consistency proofs, all as text/plain.
//! Signing (which writes and syncs the kept checkpoints) and proving (which may read a chunk's
//! records) run on the blocking pool, through `AppState::read_store`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::auth::Caller;
use super::{ApiError, AppState};
use crate::domain::Role;
use crate::ledger::{Kept, Ledger, ProofError};
use crate::proofs::proof_file::hash_lines;

fn text(body: String) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// `GET /ledger/checkpoint`: the latest signed checkpoint (signed now if there is none yet).
pub async fn latest(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let kept = match state.ledger.latest_checkpoint() {
        Some(kept) => kept,
        None => state.read_store(Ledger::sign_checkpoint).await?,
    };
    Ok(text(kept.note))
}

/// `POST /ledger/checkpoint`: signs a checkpoint of the head now.
pub async fn sign(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::Member)?;
    let kept: Kept = state.read_store(Ledger::sign_checkpoint).await?;
    Ok(text(kept.note))
}

/// `GET /ledger/checkpoints`: the sizes signed, oldest first.
pub async fn sizes(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let sizes = state.ledger.checkpoint_sizes();
    Ok(Json(crate::api::CheckpointSizes {
        latest: sizes.last().copied(),
        sizes,
    })
    .into_response())
}

/// `GET /ledger/checkpoints/{size}`.
pub async fn of_size(
    State(state): State<AppState>,
    caller: Caller,
    size: Result<Path<u64>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Path(size) = size?;
    let kept = state.ledger.checkpoint_of(size).ok_or_else(|| {
        ApiError::not_found(format!(
            "no checkpoint of {size} records was signed; GET /ledger/checkpoints lists the sizes"
        ))
    })?;
    Ok(text(kept.note))
}

/// `GET /ledger/public-key`: the vkey (open to all: it is what everyone checks against).
pub async fn public_key(State(state): State<AppState>) -> Result<Response, ApiError> {
    let key = state
        .ledger
        .public_key()
        .ok_or_else(|| ApiError::internal("signing", ProofError::NoKey))?;
    Ok(text(key + "\n"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    seq: u64,
    size: Option<u64>,
}

/// `GET /ledger/proofs/inclusion?seq=S&size=N`.
pub async fn inclusion(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let proof = state
        .read_store(move |l| l.inclusion_proof(q.seq, q.size))
        .await?;
    Ok(text(proof.text()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    from: u64,
    to: u64,
}

/// `GET /ledger/proofs/consistency?from=M&to=N`.
pub async fn consistency(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.may_read(&state)?;
    let Query(q) = query?;
    let hashes = state
        .read_store(move |l| l.consistency_proof(q.from, q.to))
        .await?;
    Ok(text(hash_lines(&hashes)))
}
