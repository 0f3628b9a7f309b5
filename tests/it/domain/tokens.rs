//! Token grants: the record's actor is who granted, the payload's is who holds it, and the
//! grant keeps its expiry; a revoked token stays listed with the time it was revoked.

use goal_ledger::domain::event::{TokenGranted, TokenRevoked};
use goal_ledger::domain::*;

use crate::support::*;

fn grant(secret: &str, holder: &str, expires_at: Option<&str>) -> Command {
    Command::GrantToken {
        token: TokenHash::of(secret),
        actor: actor(holder),
        role: Role::Member,
        expires_at: expires_at.map(time),
    }
}

#[test]
fn a_grant_names_its_holder_in_the_payload_and_keeps_its_granter_and_expiry() {
    let mut g = given(departments());
    let command = grant("s3cret", "alice", Some("2026-12-31T23:59:59Z"));
    let events = g.decide("olivia", &command).unwrap();
    assert_eq!(
        events,
        vec![Event::TokenGranted(TokenGranted {
            token: TokenHash::of("s3cret"),
            actor: actor("alice"),
            role: Role::Member,
            expires_at: Some(time("2026-12-31T23:59:59Z")),
        })]
    );
    g.apply("olivia", events);
    let held = &g.state.access.tokens[&TokenHash::of("s3cret")];
    assert_eq!(
        (&held.actor, &held.granted_by, held.expires_at),
        (
            &actor("alice"),
            &actor("olivia"),
            Some(time("2026-12-31T23:59:59Z"))
        )
    );
}

#[test]
fn a_grant_without_expiry_stores_no_expiry_field() {
    let g = given(departments());
    let events = g.decide("olivia", &grant("forever", "sam", None)).unwrap();
    let Event::TokenGranted(e) = &events[0] else {
        panic!("{events:?}")
    };
    let json = serde_json::to_value(e).unwrap();
    assert!(json.get("expires_at").is_none(), "{json}");
}

#[test]
fn a_revoked_grant_keeps_its_history() {
    let mut g = given(departments());
    g.when("olivia", grant("gone", "sam", None)).unwrap();
    let revoke = Command::RevokeToken {
        token: TokenHash::of("gone"),
        reason: "Left".into(),
    };
    let events = g.decide("olivia", &revoke).unwrap();
    assert_eq!(
        events,
        vec![Event::TokenRevoked(TokenRevoked {
            token: TokenHash::of("gone"),
            reason: "Left".into(),
        })]
    );
    g.apply("olivia", events);
    let held = &g.state.access.tokens[&TokenHash::of("gone")];
    assert_eq!(held.revoked_at, Some(g.now));
    assert!(g.decide("olivia", &revoke).is_err(), "revoked only once");
}
