//! Browser sessions: signing in with a token starts a session whose id lives in an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` behind TLS); the server maps the id to the token's hash,
//! so the token itself is never kept in the page or the cookie. Each request looks the token up
//! again (`http::auth`), so a revoked or expired token ends its sessions at once. Sessions live
//! in the server's memory: a restart signs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, HeaderValue};

use crate::domain::TokenHash;

/// The session cookie's name.
pub const COOKIE: &str = "goal_ledger_session";

/// How long a session lasts after it starts.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The most sessions kept at once; beyond it the oldest are dropped.
const MAX_SESSIONS: usize = 10_000;

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: TokenHash,
    /// The per-session token every form that changes something carries.
    pub csrf: String,
    started: Instant,
    /// The ledger's head when "My work" was last shown (at first, when the session started).
    pub last_seen: u64,
    /// A message for the next page (what the last form did).
    pub flash: Option<String>,
}

/// Every live session, by id.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    /// Starts a session for `token` at ledger head `head`; answers its id (for the cookie).
    pub fn start(&self, token: TokenHash, head: u64) -> String {
        let id = random_hex();
        let session = Session {
            token,
            csrf: random_hex(),
            started: Instant::now(),
            last_seen: head,
            flash: None,
        };
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        by_id.retain(|_, s| s.started.elapsed() < LIFETIME);
        if by_id.len() >= MAX_SESSIONS {
            if let Some(oldest) = by_id
                .iter()
                .min_by_key(|(_, s)| s.started)
                .map(|(id, _)| id.clone())
            {
                by_id.remove(&oldest);
            }
        }
        by_id.insert(id.clone(), session);
        id
    }

    /// The live session `id` names.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        match by_id.get(id) {
            Some(s) if s.started.elapsed() < LIFETIME => Some(s.clone()),
            Some(_) => {
                by_id.remove(id);
                None
            }
            None => None,
        }
    }

    /// Records that session `id` has seen the ledger up to `head`; answers what it had seen.
    pub fn seen(&self, id: &str, head: u64) -> Option<u64> {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        by_id
            .get_mut(id)
            .map(|s| std::mem::replace(&mut s.last_seen, head))
    }

    /// Leaves `message` for session `id`'s next page.
    pub fn flash(&self, id: &str, message: String) {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = by_id.get_mut(id) {
            s.flash = Some(message);
        }
    }

    /// Takes the message left for session `id`'s next page.
    pub fn take_flash(&self, id: &str) -> Option<String> {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        by_id.get_mut(id).and_then(|s| s.flash.take())
    }

    /// Ends session `id`.
    pub fn end(&self, id: &str) {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        by_id.remove(id);
    }

    /// Ends every session of `token` (it was refused: revoked or expired).
    pub fn end_all_of(&self, token: &TokenHash) {
        let mut by_id = self.by_id.lock().unwrap_or_else(|p| p.into_inner());
        by_id.retain(|_, s| &s.token != token);
    }
}

/// The session id the request's cookie carries.
pub fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Set-Cookie` that carries session `id` (`Secure` when served over TLS).
pub fn set_cookie(id: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        LIFETIME.as_secs()
    ))
    .expect("hex digits and fixed attributes make a header value")
}

/// The `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .expect("fixed attributes make a header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_by_its_cookie_and_ends_with_its_token() {
        let sessions = Sessions::default();
        let token = TokenHash::of("t");
        let id = sessions.start(token.clone(), 7);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={id}")).unwrap(),
        );
        let found = cookie_id(&headers).unwrap();
        assert_eq!(sessions.get(&found).unwrap().token, token);
        assert_eq!(sessions.seen(&found, 9), Some(7));
        assert_eq!(sessions.get(&found).unwrap().last_seen, 9);
        sessions.end_all_of(&token);
        assert!(sessions.get(&found).is_none());
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_only_behind_tls() {
        let plain = set_cookie(&"a".repeat(64), false);
        let plain = plain.to_str().unwrap();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        assert!(set_cookie(&"a".repeat(64), true)
            .to_str()
            .unwrap()
            .ends_with("; Secure"));
    }

    #[test]
    fn a_malformed_cookie_names_no_session() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("goal_ledger_session=../../etc"),
        );
        assert!(cookie_id(&headers).is_none());
    }
}
