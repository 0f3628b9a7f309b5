//! Tokens while serving: an admin creates, lists and revokes them over HTTP, and the very next
//! request sees the change; an expired token is refused with its expiry named; nobody but an
//! admin manages tokens; no list shows a secret; bad bodies append nothing. The command line
//! does the same through `--server`, and refuses an `--actor` that is not the token's.

use super::*;

/// POSTs a token request as `who` and returns status and answer.
async fn create(app: &App, who: &str, body: Value) -> (u16, Value) {
    app.send(app.post("/tokens", Some(who), body)).await
}

/// A request with a token that is not one of the app's named ones.
fn with_token(request: reqwest::RequestBuilder, token: &Value) -> reqwest::RequestBuilder {
    request.bearer_auth(token.as_str().unwrap())
}

async fn digest(app: &App) -> Value {
    app.send(app.get("/ledger/digest", Some("reader"))).await.1
}

#[tokio::test]
async fn a_token_created_over_http_works_at_once_and_a_revoked_one_is_refused_on_the_next_request()
{
    let app = spawn_app().await;
    let (status, created) =
        create(&app, "admin", json!({"actor": "sofia", "role": "member"})).await;
    assert_eq!(status, 201, "{created}");
    let mut keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["actor", "expires_at", "fingerprint", "role", "token"]
    );
    assert_eq!(
        (&created["actor"], &created["role"], &created["expires_at"]),
        (&json!("sofia"), &json!("member"), &Value::Null)
    );
    let token = &created["token"];
    let fingerprint = created["fingerprint"].as_str().unwrap().to_owned();

    // It works at once: sofia votes on a goal alice proposed, and is recorded as sofia.
    let (status, body) = app
        .send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    assert_eq!(status, 201, "{body}");
    let vote = app
        .client
        .post(format!("{}/goals/web-traffic-q3/votes", app.url));
    let (status, body) = app
        .send(with_token(vote, token).json(&json!({"choice": "agree"})))
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, me) = app
        .send(with_token(app.get("/tokens/me", None), token))
        .await;
    assert_eq!(
        me,
        json!({"actor": "sofia", "role": "member", "fingerprint": fingerprint, "expires_at": null})
    );

    // The record: the admin granted it, sofia holds it, and only the hash is kept.
    let (_, page) = app.send(app.get("/events?limit=1000", Some("admin"))).await;
    let records = page["records"].as_array().unwrap();
    let granted = records
        .iter()
        .rfind(|r| r["type"] == "TokenGranted")
        .unwrap();
    assert_eq!(
        granted["actor"], "olivia",
        "the granter is the record's actor"
    );
    assert_eq!(
        granted["payload"]["actor"], "sofia",
        "the holder is the payload's"
    );
    assert!(granted["payload"]["token"]
        .as_str()
        .unwrap()
        .starts_with(&fingerprint));
    assert!(granted["payload"].get("expires_at").is_none());
    assert!(!page.to_string().contains(token.as_str().unwrap()));
    let voted = records.iter().rfind(|r| r["type"] == "VoteCast").unwrap();
    assert_eq!(voted["actor"], "sofia");

    // Revoked, it is refused from the next request on, with no restart.
    let (status, body) = app
        .send(app.post(
            &format!("/tokens/{}/revoke", &fingerprint[..8]),
            Some("admin"),
            json!({"reason": "Moved to operations"}),
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["appended"]["stream"], "access", "{body}");
    let (status, problem) = app.send(with_token(app.get("/goals", None), token)).await;
    assert_eq!(status, 401, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("revoked"));
    let (_, list) = app.send(app.get("/tokens", Some("admin"))).await;
    let listed = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["fingerprint"] == fingerprint.as_str())
        .unwrap();
    assert!(listed["revoked_at"].is_string(), "{listed}");
    assert_eq!(listed["granted_by"], "olivia");
    // Revoking it again is refused, and appends nothing.
    let before = digest(&app).await;
    let (status, _) = app
        .send(app.post(
            &format!("/tokens/{fingerprint}/revoke"),
            Some("admin"),
            json!({"reason": "Again"}),
        ))
        .await;
    assert_eq!(status, 422);
    assert_eq!(digest(&app).await, before);
}

#[tokio::test]
async fn an_expired_token_is_refused_with_a_problem_that_names_its_expiry() {
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let app = spawn_app_with(clock.options()).await;
    let (status, created) = create(
        &app,
        "admin",
        json!({"actor": "amir", "role": "reader", "expires_at": "2026-07-01T10:00:00Z"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["expires_at"], "2026-07-01T10:00:00Z");
    let token = &created["token"];
    let (status, _) = app.send(with_token(app.get("/goals", None), token)).await;
    assert_eq!(status, 200);
    clock.set("2026-07-01T10:00:00Z");
    let (status, problem) = app.send(with_token(app.get("/goals", None), token)).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(
        problem["detail"],
        "the token expired at 2026-07-01T10:00:00Z; ask an admin for a new one"
    );
    let (_, list) = app.send(app.get("/tokens", Some("admin"))).await;
    assert!(list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["expires_at"] == "2026-07-01T10:00:00Z"));
}

#[tokio::test]
async fn only_an_admin_manages_tokens_and_no_list_shows_a_secret_or_a_whole_hash() {
    let app = spawn_app().await;
    let before = digest(&app).await;
    let body = json!({"actor": "alice", "role": "admin"});
    for who in ["alice", "reader"] {
        assert_eq!(
            create(&app, who, body.clone()).await.0,
            403,
            "{who} creates"
        );
        assert_eq!(app.send(app.get("/tokens", Some(who))).await.0, 403);
        let revoke = app.post(
            "/tokens/0123456789ab/revoke",
            Some(who),
            json!({"reason": "r"}),
        );
        assert_eq!(app.send(revoke).await.0, 403, "{who} revokes");
    }
    assert_eq!(app.send(app.post("/tokens", None, body)).await.0, 401);
    assert_eq!(digest(&app).await, before);

    let (status, list) = app.send(app.get("/tokens", Some("admin"))).await;
    assert_eq!(status, 200);
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 5);
    for t in tokens {
        let mut keys: Vec<&str> = t.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "actor",
                "expires_at",
                "fingerprint",
                "granted_at",
                "granted_by",
                "revoked_at",
                "role"
            ]
        );
    }
    let text = list.to_string();
    assert!(!text.contains("test-token-"), "no secret: {text}");
    for secret in app.tokens.values() {
        let hash = goal_ledger::domain::TokenHash::of(secret);
        assert!(!text.contains(hash.as_str()), "no whole hash: {text}");
    }
    // Any valid token may ask whom it names; no token may not.
    let (status, me) = app.send(app.get("/tokens/me", Some("reader"))).await;
    assert_eq!(
        (status, &me["actor"], &me["role"]),
        (200, &json!("auditor"), &json!("reader"))
    );
    assert_eq!(app.send(app.get("/tokens/me", None)).await.0, 401);
}

#[tokio::test]
async fn bad_token_requests_are_refused_with_a_problem_and_append_nothing() {
    let clock = TestClock::at("2026-07-01T09:00:00Z");
    let app = spawn_app_with(clock.options()).await;
    let before = digest(&app).await;
    for (body, status, says) in [
        (
            json!({"actor": "sofia", "role": "member", "owner": "x"}),
            422,
            "unknown field",
        ),
        (
            json!({"actor": "sofia", "role": "root"}),
            422,
            "unknown variant",
        ),
        (json!({"actor": "Sofia!", "role": "member"}), 422, "actor"),
        (json!({"role": "member"}), 422, "missing field"),
        (
            json!({"actor": "sofia", "role": "member", "expires_at": "2026-07-01T08:00:00Z"}),
            422,
            "is not in the future",
        ),
        (
            json!({"actor": "sofia", "role": "member", "expires_at": "next week"}),
            422,
            "does not fit",
        ),
        (json!({"actor": "system", "role": "member"}), 422, "system"),
    ] {
        let (got, problem) = create(&app, "admin", body.clone()).await;
        assert_eq!(got, status, "{body}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{body}: {detail}");
    }
    // A replay could not answer the secret again, so no Idempotency-Key.
    let keyed = app
        .post(
            "/tokens",
            Some("admin"),
            json!({"actor": "sofia", "role": "member"}),
        )
        .header("idempotency-key", "grant-1");
    assert_eq!(app.send(keyed).await.0, 400);
    for (fingerprint, body, status) in [
        ("0123456", json!({"reason": "r"}), 400),
        ("not-hex-at-all", json!({"reason": "r"}), 400),
        ("0000000000000000", json!({"reason": "r"}), 404),
    ] {
        let (got, problem) = app
            .send(app.post(
                &format!("/tokens/{fingerprint}/revoke"),
                Some("admin"),
                body,
            ))
            .await;
        assert_eq!(got, status, "{fingerprint}: {problem}");
        assert!(problem["detail"].as_str().unwrap().contains("fingerprint"));
    }
    let carol = goal_ledger::domain::TokenHash::of(&app.tokens["carol"]);
    let path = format!("/tokens/{}/revoke", carol.fingerprint());
    for body in [
        json!({"reason": "r", "why": "x"}),
        json!({}),
        json!({"reason": ""}),
    ] {
        let (got, problem) = app.send(app.post(&path, Some("admin"), body.clone())).await;
        assert_eq!(got, 422, "{body}: {problem}");
    }
    assert_eq!(digest(&app).await, before, "nothing was appended");
    // Carol's token still works.
    assert_eq!(app.send(app.get("/goals", Some("carol"))).await.0, 200);
}

/// The built binary with `--server` and `token`, its environment clear of a default actor.
fn cli(app: &App, token: &str) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("goal-ledger").unwrap();
    c.env("GOAL_LEDGER_SERVER", &app.url)
        .env("GOAL_LEDGER_TOKEN", token)
        .env("GOAL_LEDGER_DATA", app.dir.path().join("unused"))
        .env_remove("GOAL_LEDGER_ACTOR");
    c
}

/// Runs the binary off the runtime (the server runs on it) and returns its output.
async fn run_cli(mut command: assert_cmd::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_cli_creates_lists_and_revokes_tokens_through_the_server() {
    let app = spawn_app().await;
    let admin = app.tokens["admin"].clone();
    let mut create = cli(&app, &admin);
    create.args([
        "--output",
        "json",
        "token",
        "create",
        "--for",
        "sofia",
        "--role",
        "member",
        "--expires-at",
        "2099-12-31",
    ]);
    let out = run_cli(create).await;
    assert!(out.status.success(), "{out:?}");
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["actor"], "sofia");
    assert_eq!(created["expires_at"], "2099-12-31T23:59:59.999999Z");
    let secret = created["token"].as_str().unwrap().to_owned();
    let fingerprint = created["fingerprint"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send(app.get("/goals", None).bearer_auth(&secret))
            .await
            .0,
        200
    );

    let mut list = cli(&app, &admin);
    list.args(["token", "list"]);
    let out = run_cli(list).await;
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&fingerprint) && table.contains("sofia"),
        "{table}"
    );
    assert!(!table.contains(&secret));

    // A member may not revoke; the admin may, and the next request is refused.
    let mut refused = cli(&app, &app.tokens["alice"]);
    refused.args(["token", "revoke", &fingerprint, "--reason", "Left"]);
    assert_eq!(run_cli(refused).await.status.code(), Some(1));
    let mut revoke = cli(&app, &admin);
    revoke.args(["token", "revoke", &fingerprint, "--reason", "Left"]);
    let out = run_cli(revoke).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        app.send(app.get("/goals", None).bearer_auth(&secret))
            .await
            .0,
        401
    );
    let mut short = cli(&app, &admin);
    short.args(["token", "revoke", "abc", "--reason", "Left"]);
    assert_eq!(run_cli(short).await.status.code(), Some(2));
    // `--for` is required.
    let mut missing = cli(&app, &admin);
    missing.args(["token", "create", "--role", "member"]);
    let out = run_cli(missing).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--for"));
}

#[tokio::test]
async fn the_cli_with_server_refuses_an_actor_that_is_not_the_tokens_and_appends_nothing() {
    let app = spawn_app().await;
    app.send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
        .await;
    let before = digest(&app).await;
    let alice = app.tokens["alice"].clone();
    let mut flag = cli(&app, &alice);
    flag.args(["--actor", "sam", "vote", "web-traffic-q3", "agree"]);
    let mut env = cli(&app, &alice);
    env.env("GOAL_LEDGER_ACTOR", "sam")
        .args(["vote", "web-traffic-q3", "agree"]);
    let mut grant = cli(&app, &app.tokens["admin"]);
    grant.args([
        "--actor", "sam", "token", "create", "--for", "sam", "--role", "admin",
    ]);
    for command in [flag, env] {
        let out = run_cli(command).await;
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            "error: --actor sam differs from the token's actor alice: the server records the token's actor; drop --actor (and GOAL_LEDGER_ACTOR) or use sam's token"
        );
    }
    let out = run_cli(grant).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("token's actor olivia"));
    assert_eq!(digest(&app).await, before, "nothing was appended");
    // The token's own name is fine.
    let mut same = cli(&app, &alice);
    same.args(["--actor", "alice", "vote", "web-traffic-q3", "agree"]);
    let out = run_cli(same).await;
    assert!(out.status.success(), "{out:?}");
    assert_ne!(digest(&app).await, before);
}
