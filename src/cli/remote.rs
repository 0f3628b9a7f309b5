//! `--server URL`: the same commands sent to a running server over its HTTP API. The token
//! (`--token`) names the actor; answers are decoded into the same views the local mode prints,
//! and problem details become the same exit codes.

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::CliError;
use crate::domain::{Command, EventId};
use crate::ledger::Appended;
use crate::record::Digest;

/// A client for one server.
pub struct Remote {
    base: String,
    token: Option<String>,
    client: reqwest::Client,
}

/// What a write answered.
#[derive(Debug, serde::Deserialize)]
pub struct WriteAnswer {
    pub appended: Appended,
    #[serde(default)]
    pub goal: Option<crate::projections::views::GoalView>,
    #[serde(default)]
    pub team: Option<crate::projections::views::TeamView>,
}

#[derive(serde::Deserialize)]
struct Problem {
    #[serde(rename = "type")]
    kind: String,
    detail: String,
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

/// The HTTP method, path and body that carry `command`.
fn route(command: Command) -> Result<(reqwest::Method, String, Value), CliError> {
    use reqwest::Method;
    let post = |path: String, body: Value| Ok((Method::POST, path, without_nulls(body)));
    match command {
        Command::RegisterTeam { team, name } => post("/teams".into(), json!({"id": team, "name": name})),
        Command::JoinTeam { team, member } => post(format!("/teams/{team}/members"), json!({"member": member})),
        Command::LeaveTeam { team, member } => Ok((Method::DELETE, format!("/teams/{team}/members/{member}"), Value::Null)),
        Command::ProposeGoal { goal, draft, rule, reason, closes_at } => post(
            "/goals".into(),
            json!({
                "id": goal, "title": draft.title, "description": draft.description, "teams": draft.teams,
                "parent": draft.parent, "start": draft.start, "due": draft.due, "key_results": draft.key_results,
                "rule": rule, "reason": reason, "closes_at": closes_at,
            }),
        ),
        Command::ProposeAdjustment { goal, changes, reason, closes_at } => post(
            format!("/goals/{goal}/adjustments"),
            json!({"changes": changes, "reason": reason, "closes_at": closes_at}),
        ),
        Command::CastVote { goal, choice, reason } => post(format!("/goals/{goal}/votes"), json!({"choice": choice, "reason": reason})),
        Command::WithdrawProposal { goal, reason } => post(format!("/goals/{goal}/withdraw"), json!({"reason": reason})),
        Command::RecordCheckIn { goal, key_result, value, health, confidence, note, corrects } => post(
            format!("/goals/{goal}/check-ins"),
            json!({"key_result": key_result, "value": value, "health": health, "confidence": confidence, "note": note, "corrects": corrects}),
        ),
        Command::CloseGoal { goal, outcome, score, summary, final_values } => post(
            format!("/goals/{goal}/close"),
            json!({"outcome": outcome, "score": score, "summary": summary, "final_values": final_values}),
        ),
        Command::ReopenGoal { goal, reason } => post(format!("/goals/{goal}/reopen"), json!({"reason": reason})),
        Command::NotePostMortem { goal, section, text, owner, due } => post(
            format!("/goals/{goal}/notes"),
            json!({"section": section, "text": text, "owner": owner, "due": due}),
        ),
        Command::GrantToken { .. } | Command::RevokeToken { .. } => Err(CliError::Usage(
            "tokens are managed on the server's machine: stop the server and run `goal-ledger token …` against its data directory".into(),
        )),
    }
}

impl Remote {
    pub fn new(base: &str, token: Option<String>) -> Result<Remote, CliError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CliError::Usage(format!(
                "--server {base:?}: use a URL such as http://127.0.0.1:8080"
            )));
        }
        let client = reqwest::Client::builder()
            .build()
            .map_err(|e| CliError::Refused(format!("cannot start an HTTP client: {e}")))?;
        Ok(Remote {
            base,
            token,
            client,
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CliError> {
        let response = request.send().await.map_err(|e| {
            CliError::Refused(format!("cannot reach the server at {}: {e}", self.base))
        })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let problem: Problem = serde_json::from_str(&text).unwrap_or(Problem {
            kind: String::new(),
            detail: format!("the server answered {status}: {text}"),
        });
        let kind = problem.kind.rsplit(':').next().unwrap_or("");
        Err(match (status.as_u16(), kind) {
            (400 | 413 | 415, _) | (422, "invalid" | "idempotency-key-reused") => {
                CliError::Usage(problem.detail)
            }
            _ => CliError::Refused(problem.detail),
        })
    }

    /// GETs `path` and decodes the JSON answer.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, CliError> {
        let request = self.request(reqwest::Method::GET, path).query(query);
        self.send(request)
            .await?
            .json()
            .await
            .map_err(|e| CliError::Refused(format!("the server's answer did not decode: {e}")))
    }

    /// GETs `path` and returns the body as text (reports in their own formats).
    pub async fn text(&self, path: &str, query: &[(&str, String)]) -> Result<String, CliError> {
        let request = self.request(reqwest::Method::GET, path).query(query);
        self.send(request)
            .await?
            .text()
            .await
            .map_err(|e| CliError::Refused(format!("the server's answer did not decode: {e}")))
    }

    /// Sends a command; the server records the token's actor.
    pub async fn execute(
        &self,
        command: Command,
        id: Option<EventId>,
        expected: Option<u64>,
    ) -> Result<WriteAnswer, CliError> {
        let (method, path, body) = route(command)?;
        let mut request = self.request(method, &path);
        if !body.is_null() {
            request = request.json(&body);
        }
        if let Some(id) = id {
            request = request.header("idempotency-key", id.as_str());
        }
        if let Some(v) = expected {
            request = request.header("if-match", format!("\"{v}\""));
        }
        self.send(request)
            .await?
            .json()
            .await
            .map_err(|e| CliError::Refused(format!("the server's answer did not decode: {e}")))
    }

    /// Raw records after `after`, exactly as stored.
    pub async fn records(&self, after: u64, limit: usize) -> Result<Vec<Vec<u8>>, CliError> {
        let request = self.request(reqwest::Method::GET, "/events").query(&[
            ("after", after.to_string()),
            ("limit", limit.min(1000).to_string()),
        ]);
        let text = self
            .send(request)
            .await?
            .text()
            .await
            .map_err(|e| CliError::Refused(e.to_string()))?;
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            records: Vec<&'a serde_json::value::RawValue>,
        }
        let page: Page<'_> = serde_json::from_str(&text)
            .map_err(|e| CliError::Refused(format!("the server's answer did not decode: {e}")))?;
        Ok(page
            .records
            .iter()
            .map(|r| r.get().as_bytes().to_vec())
            .collect())
    }

    pub async fn digest(&self) -> Result<Digest, CliError> {
        self.get("/ledger/digest", &[]).await
    }

    /// Prints records as they are appended, after `after`, until the server stops.
    pub async fn follow(&self, after: u64, mut each: impl FnMut(&str)) -> Result<(), CliError> {
        use futures_util::StreamExt;
        let request = self
            .request(reqwest::Method::GET, "/events/stream")
            .query(&[("after", after.to_string())]);
        let mut body = self.send(request).await?.bytes_stream();
        let mut text = String::new();
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| CliError::Refused(format!("the event stream broke: {e}")))?;
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let event: String = text.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                    each(data);
                }
            }
        }
        Ok(())
    }
}
