//! Bearer tokens on the wire, for both ends: the bodies and answers of `POST /tokens`,
//! `GET /tokens`, `POST /tokens/{fingerprint}/revoke` and `GET /tokens/me`; how a fingerprint
//! (a prefix of the token's hash) names one grant (`find`); and how a new token's secret is made
//! (`new_token`), by the server or, on a data directory, by the command line. Secrets appear in
//! `CreatedToken` alone, once; lists show fingerprints, never secrets or whole hashes.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::{Access, Actor, Grant, Role, TokenHash};

/// The fewest hex digits of a fingerprint that may name a token.
pub const MIN_FINGERPRINT: usize = 8;

/// `POST /tokens`: a token for `actor` with `role`, until `expires_at` or for good.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// Who holds the token: the actor the server records for its requests.
    pub actor: Actor,
    pub role: Role,
    /// From this time on (RFC 3339, UTC) the token is refused; absent or null for no expiry.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The answer to `POST /tokens` (201): the secret, shown this once, and what it grants.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreatedToken {
    pub token: String,
    pub fingerprint: String,
    pub actor: Actor,
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
}

impl CreatedToken {
    /// The answer for `secret`, granted as `request` asked.
    pub fn new(secret: String, request: CreateToken) -> CreatedToken {
        CreatedToken {
            fingerprint: TokenHash::of(&secret).fingerprint().to_owned(),
            token: secret,
            actor: request.actor,
            role: request.role,
            expires_at: request.expires_at,
        }
    }
}

/// One grant as `GET /tokens` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenInfo {
    pub fingerprint: String,
    pub actor: Actor,
    pub role: Role,
    pub granted_by: Actor,
    pub granted_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    pub fn new(hash: &TokenHash, grant: &Grant) -> TokenInfo {
        TokenInfo {
            fingerprint: hash.fingerprint().to_owned(),
            actor: grant.actor.clone(),
            role: grant.role,
            granted_by: grant.granted_by.clone(),
            granted_at: grant.granted_at,
            expires_at: grant.expires_at,
            revoked_at: grant.revoked_at,
        }
    }
}

/// The answer to `GET /tokens`: every grant, in the order they were made.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

impl TokenList {
    pub fn of(access: &Access) -> TokenList {
        let mut grants: Vec<(&TokenHash, &Grant)> = access.tokens.iter().collect();
        grants.sort_by_key(|(_, g)| g.seq);
        TokenList {
            tokens: grants
                .into_iter()
                .map(|(h, g)| TokenInfo::new(h, g))
                .collect(),
        }
    }
}

/// `POST /tokens/{fingerprint}/revoke`
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeToken {
    pub reason: String,
}

/// The answer to `GET /tokens/me`: whom the presented token names.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Me {
    pub actor: Actor,
    pub role: Role,
    pub fingerprint: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why a fingerprint names no single token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FingerprintError {
    /// Too short or not hex: give at least 8 hex digits.
    #[error("{0:?} is not a fingerprint: give at least {MIN_FINGERPRINT} hex digits of one (see `token list`)")]
    Malformed(String),
    /// No grant's hash starts with it: check `token list`.
    #[error("no token has the fingerprint {0} (see `token list`)")]
    Unknown(String),
    /// Several grants' hashes start with it: give more digits.
    #[error("{0} matches several tokens; give more digits")]
    Ambiguous(String),
}

/// The one token whose hash starts with `fingerprint`.
pub fn find(access: &Access, fingerprint: &str) -> Result<TokenHash, FingerprintError> {
    let well_formed = fingerprint.len() >= MIN_FINGERPRINT
        && fingerprint.len() <= 64
        && fingerprint
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        let shown: String = fingerprint.chars().take(80).collect();
        return Err(FingerprintError::Malformed(shown));
    }
    let mut matches = access
        .tokens
        .keys()
        .filter(|h| h.as_str().starts_with(fingerprint));
    match (matches.next(), matches.next()) {
        (Some(one), None) => Ok(one.clone()),
        (None, _) => Err(FingerprintError::Unknown(fingerprint.to_owned())),
        (Some(_), Some(_)) => Err(FingerprintError::Ambiguous(fingerprint.to_owned())),
    }
}

/// A new bearer token's secret: `glt_` and 244 random bits.
pub fn new_token() -> String {
    format!(
        "glt_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access_of(secrets: &[&str]) -> (Access, Vec<TokenHash>) {
        let mut access = Access::default();
        let hashes: Vec<TokenHash> = secrets.iter().map(|s| TokenHash::of(s)).collect();
        for (seq, hash) in hashes.iter().enumerate() {
            let grant = Grant {
                actor: Actor::parse("alice").unwrap(),
                role: Role::Member,
                granted_by: Actor::parse("olivia").unwrap(),
                granted_at: DateTime::UNIX_EPOCH,
                seq: seq as u64 + 1,
                expires_at: None,
                revoked_at: None,
            };
            access.tokens.insert(hash.clone(), grant);
        }
        (access, hashes)
    }

    #[test]
    fn a_fingerprint_names_the_one_token_whose_hash_starts_with_it() {
        let (access, hashes) = access_of(&["one", "two"]);
        assert_eq!(
            find(&access, hashes[0].fingerprint()),
            Ok(hashes[0].clone())
        );
        assert_eq!(find(&access, hashes[1].as_str()), Ok(hashes[1].clone()));
    }

    #[test]
    fn a_short_non_hex_unknown_or_shared_fingerprint_names_no_token() {
        let (access, hashes) = access_of(&["one"]);
        let short = &hashes[0].as_str()[..7];
        assert!(matches!(
            find(&access, short),
            Err(FingerprintError::Malformed(_))
        ));
        assert!(matches!(
            find(&access, "ABCDEF0123"),
            Err(FingerprintError::Malformed(_))
        ));
        let other = if hashes[0].as_str().starts_with('0') {
            "11111111"
        } else {
            "00000000"
        };
        assert!(matches!(
            find(&access, other),
            Err(FingerprintError::Unknown(_))
        ));
        // Two hashes that share their first 8 digits are ambiguous at 8 digits.
        let mut access = access;
        let twin =
            TokenHash::parse(&format!("{}{}", &hashes[0].as_str()[..8], "f".repeat(56))).unwrap();
        let grant = access.tokens[&hashes[0]].clone();
        access.tokens.insert(twin, grant);
        assert!(matches!(
            find(&access, &hashes[0].as_str()[..8]),
            Err(FingerprintError::Ambiguous(_))
        ));
    }

    #[test]
    fn a_new_token_is_long_random_and_marked() {
        let (a, b) = (new_token(), new_token());
        assert!(a.starts_with("glt_") && a.len() == 68, "{a}");
        assert_ne!(a, b);
    }
}
