//! Identifiers as parse-validated newtypes: once a `GoalId`, `TeamId`, `Actor`, `KrName` or
//! `EventId` exists it is valid, so no code past the edge re-checks them. Each rejects bad input
//! with an `IdError` that names the rule and shows an example.

use std::fmt;

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject, StringValidation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An identifier did not follow its rule; the message says the rule and gives an example.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: {rule} (for example `{example}`)")]
pub struct IdError {
    pub what: &'static str,
    pub value: String,
    pub rule: &'static str,
    pub example: &'static str,
}

fn check(
    value: &str,
    what: &'static str,
    rule: &'static str,
    example: &'static str,
    first: fn(char) -> bool,
    rest: fn(char) -> bool,
) -> Result<(), IdError> {
    let mut chars = value.chars();
    let ok = match chars.next() {
        Some(c) => first(c) && chars.all(rest) && value.len() <= 64 && !value.ends_with('-'),
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(IdError {
            what,
            value: value.chars().take(80).collect(),
            rule,
            example,
        })
    }
}

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $rule:literal, $example:literal, $pattern:literal,
     $first:expr, $rest:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses `value`, or says which rule it breaks.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                check(value, $what, $rule, $example, $first, $rest)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                check(&value, $what, $rule, $example, $first, $rest)?;
                Ok(Self(value))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                SchemaObject {
                    instance_type: Some(InstanceType::String.into()),
                    string: Some(Box::new(StringValidation {
                        max_length: Some(64),
                        min_length: Some(1),
                        pattern: Some($pattern.to_owned()),
                    })),
                    metadata: Some(Box::new(schemars::schema::Metadata {
                        description: Some(concat!($rule, " (for example `", $example, "`)").to_owned()),
                        ..Default::default()
                    })),
                    ..Default::default()
                }
                .into()
            }
        }
    };
}

id_type!(
    /// A goal's slug, such as `web-traffic-q3`.
    GoalId,
    "goal id",
    "use 1 to 64 lowercase letters, digits and hyphens, starting with a letter or digit",
    "web-traffic-q3",
    "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
    lower_alnum,
    |c| lower_alnum(c) || c == '-'
);

id_type!(
    /// A team's (department's) slug, such as `customer-service`.
    TeamId,
    "team id",
    "use 1 to 64 lowercase letters, digits and hyphens, starting with a letter or digit",
    "customer-service",
    "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
    lower_alnum,
    |c| lower_alnum(c) || c == '-'
);

id_type!(
    /// A person (or the `system` actor) who does something on the ledger.
    Actor,
    "actor name",
    "use 1 to 64 letters, digits, `.`, `_`, `@` or `-`, starting with a letter or digit",
    "alice",
    "^[A-Za-z0-9][A-Za-z0-9._@-]*$",
    |c| c.is_ascii_alphanumeric(),
    |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-')
);

id_type!(
    /// A key result's name within its goal, such as `visits`.
    KrName,
    "key result name",
    "use 1 to 64 lowercase letters, digits, `_` and `-`, starting with a letter or digit",
    "visits",
    "^[a-z0-9][a-z0-9_-]*$",
    lower_alnum,
    |c| lower_alnum(c) || c == '_' || c == '-'
);

id_type!(
    /// A client-chosen event id (an idempotency key), such as a UUID.
    EventId,
    "event id",
    "use 1 to 64 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit",
    "6f1c2a4e-8d3b-4e0f-9a51-0c2d7e3b9f10",
    "^[A-Za-z0-9][A-Za-z0-9._:-]*$",
    |c| c.is_ascii_alphanumeric(),
    |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')
);

id_type!(
    /// A cycle's name, such as `2026-Q4`: the period (a quarter) goals belong to.
    CycleName,
    "cycle name",
    "use 1 to 64 letters, digits and hyphens, starting and ending with a letter or digit",
    "2026-Q4",
    "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$",
    |c| c.is_ascii_alphanumeric(),
    |c| c.is_ascii_alphanumeric() || c == '-'
);

id_type!(
    /// A registered webhook's id, such as `wh-3f9a1c2e`, made by the ledger when it registers.
    WebhookId,
    "webhook id",
    "use 1 to 64 lowercase letters, digits and hyphens, starting with a letter or digit",
    "wh-3f9a1c2e",
    "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
    lower_alnum,
    |c| lower_alnum(c) || c == '-'
);

/// The BLAKE3 hash of a bearer token, as 64 lowercase hex digits. The ledger stores and shows
/// only this, never the token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TokenHash(String);

impl TokenHash {
    /// The hash of a token as presented by a client.
    pub fn of(token: &str) -> TokenHash {
        TokenHash(blake3::hash(token.as_bytes()).to_hex().to_string())
    }

    pub fn parse(value: &str) -> Result<TokenHash, IdError> {
        if value.len() == 64
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(TokenHash(value.to_owned()))
        } else {
            Err(IdError {
                what: "token hash",
                value: value.chars().take(80).collect(),
                rule: "a token hash is 64 lowercase hex digits",
                example: "9f8e…",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex digits: enough to name a token in lists.
    pub fn fingerprint(&self) -> &str {
        &self.0[..12]
    }
}

impl TryFrom<String> for TokenHash {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, IdError> {
        TokenHash::parse(&value)
    }
}

impl From<TokenHash> for String {
    fn from(h: TokenHash) -> String {
        h.0
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for TokenHash {
    fn schema_name() -> String {
        "TokenHash".to_owned()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            string: Some(Box::new(StringValidation {
                max_length: Some(64),
                min_length: Some(64),
                pattern: Some("^[0-9a-f]{64}$".to_owned()),
            })),
            ..Default::default()
        }
        .into()
    }
}

impl Actor {
    /// The actor that records decisions nobody typed: a proposal reaching its closing time.
    pub fn system() -> Actor {
        Actor("system".to_owned())
    }

    pub fn is_system(&self) -> bool {
        self.0 == "system"
    }
}

impl EventId {
    /// A fresh random id, for commands whose caller supplied none.
    pub fn random() -> EventId {
        EventId(uuid::Uuid::new_v4().to_string())
    }
}

/// The stream a record belongs to: one per goal, one per team, and one each for access grants,
/// cycles and webhooks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamId {
    Goal(GoalId),
    Team(TeamId),
    /// Token grants and revocations: who could act, with which role, when.
    Access,
    /// Cycles opened and closed.
    Cycles,
    /// Webhooks registered and removed: who is sent what.
    Webhooks,
}

impl StreamId {
    /// Parses the stored form `goal:<id>` or `team:<id>`.
    pub fn parse(value: &str) -> Result<StreamId, IdError> {
        match value.split_once(':') {
            Some(("goal", id)) => Ok(StreamId::Goal(GoalId::parse(id)?)),
            Some(("team", id)) => Ok(StreamId::Team(TeamId::parse(id)?)),
            None if value == "access" => Ok(StreamId::Access),
            None if value == "cycles" => Ok(StreamId::Cycles),
            None if value == "webhooks" => Ok(StreamId::Webhooks),
            _ => Err(IdError {
                what: "stream",
                value: value.chars().take(80).collect(),
                rule: "a stream is `goal:<goal id>`, `team:<team id>`, `access`, `cycles` or `webhooks`",
                example: "goal:web-traffic-q3",
            }),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamId::Goal(id) => write!(f, "goal:{id}"),
            StreamId::Team(id) => write!(f, "team:{id}"),
            StreamId::Access => f.write_str("access"),
            StreamId::Cycles => f.write_str("cycles"),
            StreamId::Webhooks => f.write_str("webhooks"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_the_documented_forms_and_refuse_the_rest() {
        assert!(GoalId::parse("web-traffic-q3").is_ok());
        for bad in [
            "",
            "Web",
            "-a",
            "a-",
            "a b",
            "../x",
            "a/b",
            "a\0",
            &"a".repeat(65),
        ] {
            assert!(GoalId::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let err = TeamId::parse("Sales Team").unwrap_err();
        assert!(err.to_string().contains("lowercase"), "{err}");
    }

    #[test]
    fn actors_and_event_ids_have_their_own_alphabets() {
        assert!(Actor::parse("maria.lopez@acme").is_ok());
        assert!(Actor::parse("@x").is_err());
        assert!(EventId::parse("6f1c2a4e-8d3b-4e0f-9a51-0c2d7e3b9f10").is_ok());
        assert!(EventId::parse("a/b").is_err());
    }

    #[test]
    fn streams_round_trip_through_their_stored_form() {
        let s = StreamId::parse("goal:web-traffic-q3").unwrap();
        assert_eq!(s.to_string(), "goal:web-traffic-q3");
        assert!(StreamId::parse("user:bob").is_err());
    }
}
