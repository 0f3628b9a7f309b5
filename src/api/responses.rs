//! Answers of the API that both ends know: what a write appended (with the goal or team as it
//! now is), the `application/problem+json` body of every error, and every JSON answer of a read.
//! `/openapi.json` describes each route's answer with these types' schemas (`api::ROUTES`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::{Actor, GoalId};
use crate::ledger::Appended;
use crate::projections::history::Change;
use crate::projections::timeline::Entry;
use crate::projections::views::{GoalView, TeamView};
use crate::record::{Auth, RecordHash};

/// What a write answered (201): the records it appended and the goal or team it changed.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct WriteAnswer {
    pub appended: Appended,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<GoalView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamView>,
}

/// The prefix of every problem `type`; the rest is the problem's short, stable name.
pub const PROBLEM_TYPE: &str = "urn:goal-ledger:problem:";

/// An error answer (RFC 9457 problem details).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// `urn:goal-ledger:problem:` and a short, stable name (`invalid`, `conflict`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: u16,
    /// What went wrong, precisely enough to act on.
    pub detail: String,
}

impl Problem {
    /// The short name after the `type`'s prefix.
    pub fn name(&self) -> &str {
        self.kind.strip_prefix(PROBLEM_TYPE).unwrap_or(&self.kind)
    }
}

/// `GET /teams`: every team, by id.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct TeamList {
    pub teams: Vec<TeamView>,
}

/// `GET /goals`: the goals that match the filters, by id.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct GoalList {
    pub goals: Vec<GoalView>,
}

/// `GET /` for a client that does not ask for HTML: the goals, and where the API is described.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Index {
    pub goals: Vec<GoalView>,
    /// The path of this API's OpenAPI document.
    pub openapi: String,
}

/// `GET /goals/{id}/history`: one page of why the goal changed, oldest first.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct HistoryPage {
    pub goal: GoalId,
    pub entries: Vec<Change>,
    /// The page of older changes; `null` on the oldest page.
    pub next: Option<String>,
}

/// `GET /goals/{id}/timeline`: one page of the goal's timeline, oldest first.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct TimelinePage {
    pub entries: Vec<Entry>,
    /// The page of older entries; `null` on the oldest page.
    pub next: Option<String>,
}

/// `GET /timeline`: a team's or the whole ledger's timeline, oldest first.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Timeline {
    pub entries: Vec<Entry>,
}

/// `GET /events`: records exactly as stored, their bytes embedded as they are, and the head.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecordsPage<'a> {
    #[serde(borrow)]
    #[schemars(with = "Vec<StoredRecord>")]
    pub records: Vec<&'a RawValue>,
    /// The head's sequence number when the page was read.
    pub head: u64,
}

/// A record in the stored format (`events/README.md`): the envelope and the event's payload,
/// whose schema is `events/schemas/<type>.v<schema>.json`. Documents `RecordsPage`'s records,
/// which are passed on as bytes.
#[derive(Debug, JsonSchema)]
pub struct StoredRecord {
    pub seq: u64,
    /// `team:<id>`, `goal:<id>` or `access`.
    pub stream: String,
    pub version: u64,
    /// The writer's client id (an idempotency key), or a generated one.
    pub id: String,
    /// The event's type (`GoalProposed`, `VoteCast`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The version of the event type's payload schema.
    pub schema: u32,
    pub actor: Actor,
    pub auth: Auth,
    /// RFC 3339 with microseconds, in UTC.
    pub recorded_at: String,
    pub payload: serde_json::Map<String, serde_json::Value>,
    /// The BLAKE3 hash of the previous record's bytes (zeros for the first).
    pub prev: RecordHash,
}

/// `GET /ledger/verify`: the chain checked from the first record to the head.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum VerifyAnswer {
    Intact {
        /// Always `true` here.
        ok: bool,
        seq: u64,
        hash: RecordHash,
        records: u64,
    },
    Broken {
        /// Always `false` here.
        ok: bool,
        /// The first record that does not check.
        first_bad_seq: u64,
        reason: String,
    },
}

/// `GET /ledger/checkpoints`: the sizes of the signed checkpoints kept, oldest first.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct CheckpointSizes {
    pub sizes: Vec<u64>,
    /// The newest; `null` before the first checkpoint.
    pub latest: Option<u64>,
}

/// `GET /healthz`: the server answers, with the head it serves.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    pub head: u64,
}
