//! `Auth`, the `auth` member of every record: how its actor was established. Three shapes and no
//! others: `{"via":"token","token":"<fingerprint>"}` (through the server with that bearer token),
//! `{"via":"local","user":"<OS login>","host":"<host>"}` (on a data directory by the command line,
//! where the actor is only a claim) and `{"via":"system"}` (the ledger's own decisions).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::DecodeError;
use crate::domain::TokenHash;

/// The longest OS login or host name a record keeps, in characters.
const MAX_NAME: usize = 255;

/// How a record's actor was established. Made by `Auth::token`, `Auth::local` or
/// `Auth::System`; read back (`Auth::decode`, serde) only in exactly these shapes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(tag = "via", rename_all = "lowercase")]
pub enum Auth {
    /// Through the server with the bearer token of this fingerprint (`TokenHash::fingerprint`,
    /// 12 hex digits): the actor is the token's holder, the client could not choose it.
    Token { token: String },
    /// On a data directory, by the command line: the actor is whatever `--actor` said, only a
    /// claim; `user` (the OS login) and `host` say who made the write, and where.
    Local { user: String, host: String },
    /// The ledger's own decision (a proposal reaching its closing time), or a record the ledger
    /// writes as itself.
    System,
}

impl Auth {
    /// A write through the server with `token`.
    pub fn token(token: &TokenHash) -> Auth {
        Auth::Token {
            token: token.fingerprint().to_owned(),
        }
    }

    /// A write on a data directory by OS user `user` on `host`. Names the OS did not give
    /// (empty) become `unknown`; control characters are dropped and long names cut.
    pub fn local(user: &str, host: &str) -> Auth {
        Auth::Local {
            user: clean(user),
            host: clean(host),
        }
    }

    /// True for a write made on a data directory rather than through a token.
    pub fn is_local(&self) -> bool {
        matches!(self, Auth::Local { .. })
    }

    /// Reads the `auth` member of a stored record (its JSON text), refusing any other shape.
    pub fn decode(json: &str) -> Result<Auth, DecodeError> {
        let shown: String = json.chars().take(120).collect();
        let wire: Wire =
            serde_json::from_str(json).map_err(|e| DecodeError(format!("auth {shown}: {e}")))?;
        wire.check()
            .map_err(|e| DecodeError(format!("auth {shown}: {e}")))
    }
}

/// A name as a record keeps it: no control characters, at most `MAX_NAME` characters, never empty.
fn clean(name: &str) -> String {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    if name.is_empty() {
        "unknown".to_owned()
    } else {
        name
    }
}

/// The members an `auth` object may have; which ones a `via` needs is checked in `check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    via: String,
    #[serde(default, deserialize_with = "present")]
    token: Option<String>,
    #[serde(default, deserialize_with = "present")]
    user: Option<String>,
    #[serde(default, deserialize_with = "present")]
    host: Option<String>,
}

/// A member that is there is a string (`null` is not a way to leave it out).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

impl Wire {
    fn check(self) -> Result<Auth, String> {
        let name = |what: &str, value: String| {
            if value.is_empty()
                || value.chars().count() > MAX_NAME
                || value.chars().any(char::is_control)
            {
                Err(format!(
                    "{what} must be 1 to {MAX_NAME} characters without control characters"
                ))
            } else {
                Ok(value)
            }
        };
        match (self.via.as_str(), self.token, self.user, self.host) {
            ("token", Some(token), None, None) => {
                let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
                if token.len() == 12 && token.chars().all(hex) {
                    Ok(Auth::Token { token })
                } else {
                    Err("a token's fingerprint is 12 lowercase hex digits".to_owned())
                }
            }
            ("local", None, Some(user), Some(host)) => Ok(Auth::Local {
                user: name("user", user)?,
                host: name("host", host)?,
            }),
            ("system", None, None, None) => Ok(Auth::System),
            ("token", ..) => Err("via token has exactly one other member, token".to_owned()),
            ("local", ..) => {
                Err("via local has exactly two other members, user and host".to_owned())
            }
            ("system", ..) => Err("via system has no other member".to_owned()),
            (other, ..) => Err(format!(
                "unknown via {other:?}: a record's auth is via token, local or system"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Auth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Auth, D::Error> {
        Wire::deserialize(d)?
            .check()
            .map_err(serde::de::Error::custom)
    }
}

/// `token 1a2b3c4d5e6f`, `local write by root@ops-laptop` or `system`.
impl fmt::Display for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token { token } => write!(f, "token {token}"),
            Auth::Local { user, host } => write!(f, "local write by {user}@{host}"),
            Auth::System => f.write_str("system"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shape_is_written_with_via_first_and_read_back() {
        let token = Auth::token(&TokenHash::of("glt_x"));
        let local = Auth::local("root", "ops-laptop");
        for (auth, json) in [
            (
                token.clone(),
                format!(
                    r#"{{"via":"token","token":"{}"}}"#,
                    TokenHash::of("glt_x").fingerprint()
                ),
            ),
            (
                local,
                r#"{"via":"local","user":"root","host":"ops-laptop"}"#.to_owned(),
            ),
            (Auth::System, r#"{"via":"system"}"#.to_owned()),
        ] {
            assert_eq!(serde_json::to_string(&auth).unwrap(), json);
            assert_eq!(Auth::decode(&json).unwrap(), auth);
        }
    }

    #[test]
    fn any_other_shape_is_refused_with_a_message_naming_auth() {
        for (json, says) in [
            (r#"{"via":"password"}"#, "unknown via \"password\""),
            (r#"{"via":"system","user":"x"}"#, "no other member"),
            (r#"{"via":"token","token":"XYZ"}"#, "12 lowercase hex"),
            (r#"{"via":"local","user":"root"}"#, "user and host"),
            (r#"{"via":"local","user":"","host":"h"}"#, "user must be"),
            (r#"{"via":"system","extra":1}"#, "unknown field"),
            (r#"{"via":"system","token":null}"#, "invalid type: null"),
            (r#""system""#, "auth"),
        ] {
            let e = Auth::decode(json).unwrap_err().to_string();
            assert!(e.starts_with("auth "), "{e}");
            assert!(e.contains(says), "{json}: {e}");
        }
    }

    #[test]
    fn a_local_write_by_an_unnamed_user_says_unknown() {
        assert_eq!(
            Auth::local("", "h\u{7}ost").to_string(),
            "local write by unknown@host"
        );
    }
}
