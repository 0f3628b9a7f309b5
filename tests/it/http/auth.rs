//! Who may write: no token, an unknown or revoked token and a reader's token are all refused.

use super::*;

#[tokio::test]
async fn every_write_refuses_no_token_an_unknown_or_revoked_token_and_a_reader() {
    let app = spawn_app().await;
    adopted(&app).await;
    let revoke = goal_ledger::domain::Command::RevokeToken {
        token: goal_ledger::domain::TokenHash::of(&app.tokens["carol"]),
        reason: "left".into(),
    };
    run(&app.ledger, "olivia", revoke).await.unwrap();
    let before = exported(&app.ledger);
    for (method, path, body) in writes() {
        let (status, problem) = app.send(request(&app, method, path, &body)).await;
        assert_eq!(status, 401, "{method} {path} without a token: {problem}");
        let (status, _) = app
            .send(request(&app, method, path, &body).bearer_auth("not-a-token"))
            .await;
        assert_eq!(status, 401, "{method} {path} with an unknown token");
        let (status, problem) = app
            .send(request(&app, method, path, &body).bearer_auth(&app.tokens["carol"]))
            .await;
        assert_eq!(
            status, 401,
            "{method} {path} with a revoked token: {problem}"
        );
        let (status, problem) = app
            .send(request(&app, method, path, &body).bearer_auth(&app.tokens["reader"]))
            .await;
        assert_eq!(
            status, 403,
            "{method} {path} with a reader token: {problem}"
        );
        assert!(
            problem["detail"].as_str().unwrap().contains("reader role"),
            "{problem}"
        );
    }
    // Team management needs an admin.
    let (status, _) = app
        .send(app.post(
            "/teams",
            Some("alice"),
            json!({"id": "finance", "name": "Finance"}),
        ))
        .await;
    assert_eq!(status, 403);
    assert_eq!(exported(&app.ledger), before);
    // Reads need a token without --public-read.
    assert_eq!(app.send(app.get("/goals", None)).await.0, 401);
    // No token, hash or secret, appears in a response.
    let (_, events) = app
        .send(app.get("/events?limit=1000", Some("reader")))
        .await;
    assert!(!events.to_string().contains("test-token-"));
}
