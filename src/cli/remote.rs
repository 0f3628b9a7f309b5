//! `--server URL`: the same commands sent to a running server over its HTTP API, as the wire
//! contract (`crate::api`) defines it. The token (`--token`) names the actor: before a write, an
//! `--actor` that differs from the token's (`GET /tokens/me`) is refused, so nobody is recorded
//! as someone they did not mean. Answers are decoded into the same views the local mode prints,
//! and problem details become the same exit codes.

use serde::de::DeserializeOwned;

use super::error::CliError;
use crate::api::tokens::FingerprintError;
use crate::api::{
    path, routes, CreateToken, CreatedToken, Me, Method, Problem, RevokeToken, Write, WriteAnswer,
};
use crate::domain::{Command, EventId};
use crate::record::Digest;

/// A client for one server.
pub struct Remote {
    base: String,
    token: Option<String>,
    /// The `--actor` given (flag or environment), which must be the token's.
    actor: Option<String>,
    client: reqwest::Client,
}

/// An error answer as the command line reports it: the exit code follows the problem's kind.
fn problem_error(status: reqwest::StatusCode, text: &str) -> CliError {
    let problem: Problem = serde_json::from_str(text).unwrap_or(Problem {
        kind: String::new(),
        title: String::new(),
        status: status.as_u16(),
        detail: format!("the server answered {status}: {text}"),
    });
    match (status.as_u16(), problem.name()) {
        (400 | 413 | 415, _) | (422, "invalid" | "idempotency-key-reused") => {
            CliError::Usage(problem.detail)
        }
        _ => CliError::Refused(problem.detail),
    }
}

impl Remote {
    pub fn new(
        base: &str,
        token: Option<String>,
        actor: Option<String>,
    ) -> Result<Remote, CliError> {
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
            actor,
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
        Err(problem_error(status, &text))
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

    /// GETs `path`, writes its body to `out` as it arrives, and returns the head the server
    /// announced in its `Ledger-Digest` header.
    pub async fn download(
        &self,
        path: &str,
        out: &mut dyn std::io::Write,
    ) -> Result<crate::record::Digest, CliError> {
        let request = self.request(reqwest::Method::GET, path);
        let mut response = self.send(request).await?;
        let head = response
            .headers()
            .get("ledger-digest")
            .and_then(|v| v.to_str().ok())
            .map(crate::record::Digest::parse)
            .ok_or_else(|| CliError::Refused("the server sent no Ledger-Digest header".into()))?
            .map_err(|e| CliError::Refused(format!("the server's Ledger-Digest: {e}")))?;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| CliError::Refused(format!("the download broke off: {e}")))?
        {
            out.write_all(&chunk)
                .map_err(|e| CliError::Refused(format!("cannot write the backup: {e}")))?;
        }
        Ok(head)
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
        let write = Write::of(command).map_err(|e| CliError::Usage(e.to_string()))?;
        self.same_actor().await?;
        let method = match write.method {
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut request = self.request(method, &write.path);
        if let Some(body) = &write.body {
            request = request.json(body);
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

    /// Refuses a write when `--actor` names someone other than the token's actor: the server
    /// records the token's, and silently recording another than the one given would mislead.
    async fn same_actor(&self) -> Result<(), CliError> {
        let (Some(given), Some(_)) = (&self.actor, &self.token) else {
            return Ok(());
        };
        let me: Me = self.get(routes::TOKEN_ME, &[]).await?;
        if me.actor.as_str() == given {
            return Ok(());
        }
        Err(CliError::Usage(format!(
            "--actor {given} differs from the token's actor {}: the server records the token's actor; drop --actor (and GOAL_LEDGER_ACTOR) or use {given}'s token",
            me.actor
        )))
    }

    /// Sends `body` to `path` as a POST and decodes the answer.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, CliError> {
        self.same_actor().await?;
        let request = self.request(reqwest::Method::POST, path).json(body);
        self.send(request)
            .await?
            .json()
            .await
            .map_err(|e| CliError::Refused(format!("the server's answer did not decode: {e}")))
    }

    /// `POST /tokens`: the server makes the secret and records this token's actor as granter.
    pub async fn create_token(&self, request: &CreateToken) -> Result<CreatedToken, CliError> {
        self.post(routes::TOKENS, request).await
    }

    /// `POST /tokens/{fingerprint}/revoke`
    pub async fn revoke_token(
        &self,
        fingerprint: &str,
        body: &RevokeToken,
    ) -> Result<WriteAnswer, CliError> {
        // Only hex digits name a token; anything else must not reach the URL unescaped.
        if !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            let e = FingerprintError::Malformed(fingerprint.chars().take(80).collect());
            return Err(CliError::Usage(e.to_string()));
        }
        self.post(&path(routes::TOKEN_REVOKE, &[fingerprint]), body)
            .await
    }

    /// Raw records after `after`, exactly as stored.
    pub async fn records_after(&self, after: u64, limit: usize) -> Result<Vec<Vec<u8>>, CliError> {
        let request = self.request(reqwest::Method::GET, routes::EVENTS).query(&[
            ("after", after.to_string()),
            ("limit", limit.min(1000).to_string()),
        ]);
        let text = self
            .send(request)
            .await?
            .text()
            .await
            .map_err(|e| CliError::Refused(e.to_string()))?;
        let page: crate::api::RecordsPage<'_> = serde_json::from_str(&text)
            .map_err(|e| CliError::Refused(format!("the server's answer did not decode: {e}")))?;
        Ok(page
            .records
            .iter()
            .map(|r| r.get().as_bytes().to_vec())
            .collect())
    }

    pub async fn digest(&self) -> Result<Digest, CliError> {
        self.get(routes::DIGEST, &[]).await
    }

    /// Prints records as they are appended, after `after`, until the server stops.
    pub async fn follow(&self, after: u64, mut each: impl FnMut(&str)) -> Result<(), CliError> {
        use futures_util::StreamExt;
        let request = self
            .request(reqwest::Method::GET, routes::EVENT_STREAM)
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
