//! Every route of the HTTP API: its path template, method, summary, the least role it needs,
//! its query parameters, its body and its success status. The server's router mounts these
//! paths, the command line's `--server` mode fills them in (`path`), and `/openapi.json` is
//! built from `ROUTES`; a test calls every route in the table against the real server.

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;

use super::cycles::{CarryOver, CreateCycle, CycleList};
use super::requests::*;
use super::responses::*;
use super::tokens::{CreateToken, CreatedToken, Me, RevokeToken, TokenList};
use super::webhooks::{
    AttemptView, CreateWebhook, CreatedWebhook, Deliveries, WebhookList, WebhookView,
};
use crate::projections::due::DueList;
use crate::projections::views::{CycleView, GoalView, TeamView};
use crate::record::Digest;

pub const TEAMS: &str = "/teams";
pub const TEAM: &str = "/teams/{id}";
pub const TEAM_MEMBERS: &str = "/teams/{id}/members";
pub const TEAM_MEMBER: &str = "/teams/{id}/members/{member}";
pub const GOALS: &str = "/goals";
pub const GOAL: &str = "/goals/{id}";
pub const GOAL_VOTES: &str = "/goals/{id}/votes";
pub const GOAL_ADJUSTMENTS: &str = "/goals/{id}/adjustments";
pub const GOAL_CHECK_INS: &str = "/goals/{id}/check-ins";
pub const GOAL_CLOSE: &str = "/goals/{id}/close";
pub const GOAL_REOPEN: &str = "/goals/{id}/reopen";
pub const GOAL_WITHDRAW: &str = "/goals/{id}/withdraw";
pub const GOAL_NOTES: &str = "/goals/{id}/notes";
pub const GOAL_ACTION_ITEM_RESOLVE: &str = "/goals/{id}/action-items/{item}/resolve";
pub const GOAL_HISTORY: &str = "/goals/{id}/history";
pub const GOAL_TIMELINE: &str = "/goals/{id}/timeline";
pub const TIMELINE: &str = "/timeline";
pub const EVENTS: &str = "/events";
pub const EVENT_STREAM: &str = "/events/stream";
pub const TOKENS: &str = "/tokens";
pub const TOKEN_ME: &str = "/tokens/me";
pub const TOKEN_REVOKE: &str = "/tokens/{fingerprint}/revoke";
pub const DIGEST: &str = "/ledger/digest";
pub const VERIFY: &str = "/ledger/verify";
pub const EXPORT: &str = "/ledger/export";
pub const CHECKPOINT: &str = "/ledger/checkpoint";
pub const CHECKPOINTS: &str = "/ledger/checkpoints";
pub const CHECKPOINT_OF: &str = "/ledger/checkpoints/{size}";
pub const PUBLIC_KEY: &str = "/ledger/public-key";
pub const INCLUSION_PROOF: &str = "/ledger/proofs/inclusion";
pub const CONSISTENCY_PROOF: &str = "/ledger/proofs/consistency";
pub const HEALTH: &str = "/healthz";
pub const METRICS: &str = "/metrics";
pub const OPENAPI: &str = "/openapi.json";
pub const INDEX: &str = "/";
pub const GOAL_RETRO: &str = "/goals/{id}/retro";
pub const TEAM_RETRO: &str = "/retro";
pub const KEY_RESULT_CHART: &str = "/goals/{id}/key-results/{name}/chart.svg";
pub const CYCLES: &str = "/cycles";
pub const CYCLE: &str = "/cycles/{name}";
pub const CYCLE_CLOSE: &str = "/cycles/{name}/close";
pub const GOAL_CARRY_OVER: &str = "/goals/{id}/carry-over";
pub const DUE: &str = "/due";
pub const WEBHOOKS: &str = "/webhooks";
pub const WEBHOOK: &str = "/webhooks/{id}";
pub const WEBHOOK_REMOVE: &str = "/webhooks/{id}/remove";
pub const WEBHOOK_DELIVERIES: &str = "/webhooks/{id}/deliveries";
pub const WEBHOOK_TEST: &str = "/webhooks/{id}/test";

/// A path template with its `{...}` segments filled in order. Values are ids and names that
/// parsed (lower-case letters, digits, `-`, `_`), so they need no escaping.
pub fn path(template: &str, values: &[&str]) -> String {
    let mut values = values.iter();
    template
        .split('/')
        .map(|segment| match segment.starts_with('{') {
            true => values.next().copied().unwrap_or(segment),
            false => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

type BodySchema = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// One documented route.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The least role needed; `None` for routes open to all.
    pub role: Option<&'static str>,
    pub query: &'static [&'static str],
    pub body: Option<BodySchema>,
    /// The schema of the success answer's JSON body; `None` for answers in other formats
    /// (signed notes, proofs, SVG, the live feed, exports, metrics) and for the retrospectives,
    /// whose types are a layer above (`http::openapi` adds them).
    pub answer: Option<BodySchema>,
    pub ok: u16,
}

macro_rules! route {
    ($m:literal $p:expr, $s:literal, $role:expr, [$($q:literal),*], $body:expr, $answer:expr, $ok:literal) => {
        Route { method: $m, path: $p, summary: $s, role: $role, query: &[$($q),*], body: $body, answer: $answer, ok: $ok }
    };
}

const READ: Option<&str> = Some("reader");
const MEMBER: Option<&str> = Some("member");
const ADMIN: Option<&str> = Some("admin");

/// Every route the server answers: a declarative table, one line a route.
pub const ROUTES: &[Route] = &[
    route!("post" TEAMS, "Register a team", ADMIN, [], Some(schema_of::<CreateTeam>), Some(schema_of::<WriteAnswer>), 201),
    route!("get" TEAMS, "List teams", READ, [], None, Some(schema_of::<TeamList>), 200),
    route!("get" TEAM, "Show a team", READ, [], None, Some(schema_of::<TeamView>), 200),
    route!("post" TEAM_MEMBERS, "Add a member", ADMIN, [], Some(schema_of::<AddMember>), Some(schema_of::<WriteAnswer>), 201),
    route!("delete" TEAM_MEMBER, "Remove a member", ADMIN, [], None, Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOALS, "Propose a goal", MEMBER, [], Some(schema_of::<CreateGoal>), Some(schema_of::<WriteAnswer>), 201),
    route!("get" GOALS, "List goals", READ, ["status", "team", "cycle"], None, Some(schema_of::<GoalList>), 200),
    route!("get" GOAL, "Show a goal (ETag = version), now or as_of a time or at_seq; as an HTML page, its timeline comes `limit` entries (default 100) at a time, newest first, before `before`", READ, ["as_of", "at_seq", "limit", "before"], None, Some(schema_of::<GoalView>), 200),
    route!("post" GOAL_VOTES, "Vote on the open proposal", MEMBER, [], Some(schema_of::<CastVote>), Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOAL_ADJUSTMENTS, "Propose an adjustment", MEMBER, [], Some(schema_of::<ProposeAdjustment>), Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOAL_CHECK_INS, "Record a check-in", MEMBER, [], Some(schema_of::<CheckIn>), Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOAL_CLOSE, "Propose to close the goal; it closes when its rule accepts", MEMBER, [], Some(schema_of::<Close>), Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOAL_REOPEN, "Propose to reopen the goal; it reopens when its rule accepts", MEMBER, [], Some(schema_of::<Reopen>), Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOAL_WITHDRAW, "Withdraw the open proposal", MEMBER, [], Some(schema_of::<WithReason>), Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOAL_NOTES, "Write a post-mortem note", MEMBER, [], Some(schema_of::<Note>), Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOAL_ACTION_ITEM_RESOLVE, "Mark an action item done or dropped", MEMBER, [], Some(schema_of::<ResolveActionItem>), Some(schema_of::<WriteAnswer>), 201),
    route!("get" GOAL_HISTORY, "Why the goal changed: the newest `limit` changes (default 200) before `before`, with a `next` link to older ones", READ, ["limit", "before"], None, Some(schema_of::<HistoryPage>), 200),
    route!("get" GOAL_TIMELINE, "The goal's timeline: the newest `limit` entries (default 200) before `before`, with a `next` link to older ones", READ, ["limit", "before"], None, Some(schema_of::<TimelinePage>), 200),
    route!("get" TIMELINE, "The timeline of a team or the ledger", READ, ["team", "since", "until"], None, Some(schema_of::<Timeline>), 200),
    route!("get" EVENTS, "Raw records, exactly as stored", READ, ["after", "limit"], None, Some(schema_of::<RecordsPage<'static>>), 200),
    route!("get" EVENT_STREAM, "Server-sent events: catch up, then live", READ, ["after"], None, None, 200),
    route!("post" TOKENS, "Create a bearer token; its secret is in this answer alone (no Idempotency-Key)", ADMIN, [], Some(schema_of::<CreateToken>), Some(schema_of::<CreatedToken>), 201),
    route!("get" TOKENS, "List tokens by fingerprint (never secrets)", ADMIN, [], None, Some(schema_of::<TokenList>), 200),
    route!("get" TOKEN_ME, "Whom the presented token names", READ, [], None, Some(schema_of::<Me>), 200),
    route!("post" TOKEN_REVOKE, "Revoke a token (8 or more hex digits of its fingerprint); refused from the next request on", ADMIN, [], Some(schema_of::<RevokeToken>), Some(schema_of::<WriteAnswer>), 201),
    route!("get" DIGEST, "The head digest", READ, [], None, Some(schema_of::<Digest>), 200),
    route!("get" VERIFY, "Verify the hash chain", READ, [], None, Some(schema_of::<VerifyAnswer>), 200),
    route!("get" EXPORT, "Every record up to the head of the moment, exactly as stored, one per line (application/jsonl); that head in the Ledger-Digest header", READ, [], None, None, 200),
    route!("get" CHECKPOINT, "The latest signed checkpoint (text/plain: a C2SP tlog-checkpoint signed note)", READ, [], None, None, 200),
    route!("post" CHECKPOINT, "Sign a checkpoint of the head now (the server also signs one every few seconds when the head moved)", MEMBER, [], None, None, 200),
    route!("get" CHECKPOINTS, "The sizes of every signed checkpoint kept, oldest first", READ, [], None, Some(schema_of::<CheckpointSizes>), 200),
    route!("get" CHECKPOINT_OF, "The checkpoint signed for this many records (text/plain)", READ, [], None, None, 200),
    route!("get" PUBLIC_KEY, "The public key that verifies the checkpoints (text/plain: a signed-note vkey)", None, [], None, None, 200),
    route!("get" INCLUSION_PROOF, "Proof that record `seq` is in the checkpoint of `size` records (default: the latest), as a C2SP tlog-proof@v1 file whose extra line holds the record", READ, ["seq", "size"], None, None, 200),
    route!("get" CONSISTENCY_PROOF, "Proof that the tree of `from` records is a prefix of the tree of `to` records: one base64 hash a line (text/plain)", READ, ["from", "to"], None, None, 200),
    route!("get" HEALTH, "Liveness", None, [], None, Some(schema_of::<Health>), 200),
    route!("get" METRICS, "Prometheus metrics (open to all with serve --metrics-public)", READ, [], None, None, 200),
    route!("get" OPENAPI, "This document", None, [], None, None, 200),
    route!("get" INDEX, "The goals list: an HTML page for browsers, JSON otherwise", READ, ["status", "team", "cycle"], None, Some(schema_of::<Index>), 200),
    route!("get" GOAL_RETRO, "The goal's retrospective (Accept: text/html, text/markdown or application/json)", READ, ["format"], None, None, 200),
    route!("get" TEAM_RETRO, "A team's retrospective over a period (the goals whose period, start to due, overlaps since..until, whenever they closed) or of a cycle (its goals whatever day they closed, with the hit rate against the previous cycle, carry-overs and follow-through on earlier action items)", READ, ["team", "cycle", "since", "until", "format"], None, None, 200),
    route!("post" CYCLES, "Open a cycle: a named period goals belong to (cycles may not overlap)", ADMIN, [], Some(schema_of::<CreateCycle>), Some(schema_of::<WriteAnswer>), 201),
    route!("get" CYCLES, "List cycles, earliest first, with their figures", READ, [], None, Some(schema_of::<CycleList>), 200),
    route!("get" CYCLE, "Show a cycle: dates, goals, figures (as recorded at closing, or as they stand)", READ, [], None, Some(schema_of::<CycleView>), 200),
    route!("post" CYCLE_CLOSE, "Close a cycle, recording its figures; refused while a goal of it has an open proposal", ADMIN, [], None, Some(schema_of::<WriteAnswer>), 201),
    route!("post" GOAL_CARRY_OVER, "Propose to carry the active goal into a later cycle (by default the next, with its dates, the latest check-ins as baselines and the current targets); it moves when its rule accepts", MEMBER, [], Some(schema_of::<CarryOver>), Some(schema_of::<WriteAnswer>), 201),
    route!("get" DUE, "What is waiting for a person (`actor`, by default the caller) or a `team`: check-ins due or overdue under each goal's cadence, votes, action items, proposals closing within 48 hours", READ, ["actor", "team"], None, Some(schema_of::<DueList>), 200),
    route!("post" WEBHOOKS, "Register a webhook (http/https; loopback and private addresses only with serve --allow-private-webhooks); its signing secret is in this answer alone", ADMIN, [], Some(schema_of::<CreateWebhook>), Some(schema_of::<CreatedWebhook>), 201),
    route!("get" WEBHOOKS, "List the webhooks in force", ADMIN, [], None, Some(schema_of::<WebhookList>), 200),
    route!("get" WEBHOOK, "Show a webhook", ADMIN, [], None, Some(schema_of::<WebhookView>), 200),
    route!("post" WEBHOOK_REMOVE, "Remove a webhook: nothing more is sent to it", ADMIN, [], Some(schema_of::<WithReason>), Some(schema_of::<WriteAnswer>), 201),
    route!("get" WEBHOOK_DELIVERIES, "A webhook's delivery attempts (newest first), status codes, its cursor and the next retry", ADMIN, [], None, Some(schema_of::<Deliveries>), 200),
    route!("post" WEBHOOK_TEST, "Send the webhook a signed ping now, outside its queue; answers the attempt", ADMIN, [], None, Some(schema_of::<AttemptView>), 200),
    route!("get" KEY_RESULT_CHART, "An SVG chart of one key result", READ, [], None, None, 200),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_template_is_filled_in_order() {
        assert_eq!(
            path(TEAM_MEMBER, &["sales", "sam"]),
            "/teams/sales/members/sam"
        );
        assert_eq!(
            path(GOAL_VOTES, &["web-traffic-q3"]),
            "/goals/web-traffic-q3/votes"
        );
        assert_eq!(path(GOALS, &[]), "/goals");
    }
}
