//! The command line with `--server`: every command sent to the running server.

use super::*;

#[tokio::test]
async fn the_cli_with_server_sends_every_command_to_the_running_server() {
    let app = spawn_app().await;
    let url = app.url.clone();
    let tokens = app.tokens.clone();
    let data = app.dir.path().join("unused");
    let cli = move |token: &str, args: &[&str]| {
        let mut c = assert_cmd::Command::cargo_bin("goal-ledger").unwrap();
        c.env("GOAL_LEDGER_SERVER", &url)
            .env("GOAL_LEDGER_TOKEN", &tokens[token])
            .env("GOAL_LEDGER_DATA", &data)
            .args(args);
        c
    };
    let run = |token: &'static str, args: &'static [&'static str]| {
        let cli = cli.clone();
        tokio::task::spawn_blocking(move || cli(token, args).assert())
    };
    run(
        "alice",
        &[
            "propose",
            "web-traffic-q3",
            "--title",
            "Increase website traffic",
            "--team",
            "marketing",
            "--team",
            "sales",
            "--kr",
            "visits:40000:48000:visits/month",
            "--start",
            "2026-07-01",
            "--due",
            "2026-09-30",
            "--rule",
            "threshold:0.5",
            "--reason",
            "Supports customer acquisition",
        ],
    )
    .await
    .unwrap()
    .success();
    run("alice", &["vote", "web-traffic-q3", "agree"])
        .await
        .unwrap()
        .success();
    let out = run("sam", &["vote", "web-traffic-q3", "agree"])
        .await
        .unwrap()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("[active]"));
    run(
        "sam",
        &[
            "check-in",
            "web-traffic-q3",
            "--kr",
            "visits",
            "--value",
            "43000",
            "--health",
            "on-track",
        ],
    )
    .await
    .unwrap()
    .success();
    // Rules and roles answer with the same exit codes as local mode.
    let refused = run("carol", &["vote", "web-traffic-q3", "agree"])
        .await
        .unwrap()
        .code(1);
    assert!(String::from_utf8_lossy(&refused.get_output().stderr).contains("no open proposal"));
    run(
        "reader",
        &[
            "check-in",
            "web-traffic-q3",
            "--kr",
            "visits",
            "--value",
            "1",
            "--health",
            "on-track",
        ],
    )
    .await
    .unwrap()
    .code(1);
    run(
        "alice",
        &[
            "check-in",
            "web-traffic-q3",
            "--kr",
            "visits",
            "--value",
            "1",
            "--health",
            "on-track",
            "--confidence",
            "11",
        ],
    )
    .await
    .unwrap()
    .code(2);

    let show = run("reader", &["--output", "json", "show", "web-traffic-q3"])
        .await
        .unwrap()
        .success();
    let goal: Value = serde_json::from_slice(&show.get_output().stdout).unwrap();
    assert_eq!(goal["key_results"][0]["current"], 43000.0);
    let recorded = app.ledger.goal(&goal_id("web-traffic-q3")).unwrap();
    assert_eq!(
        recorded.current[&kr("visits")].by,
        actor("sam"),
        "the token's actor, not --actor"
    );
    run("reader", &["history", "web-traffic-q3"])
        .await
        .unwrap()
        .success();
    run("reader", &["timeline", "--team", "sales"])
        .await
        .unwrap()
        .success();
    run("reader", &["list", "--status", "active"])
        .await
        .unwrap()
        .success();
    run("reader", &["verify"]).await.unwrap().success();
    let digest = run("reader", &["digest"]).await.unwrap().success();
    assert_eq!(
        String::from_utf8_lossy(&digest.get_output().stdout).trim(),
        app.ledger.digest().to_string()
    );
    let log = run("reader", &["log", "--after", "0", "--limit", "1000"])
        .await
        .unwrap()
        .success();
    assert_eq!(
        log.get_output().stdout,
        exported(&app.ledger),
        "raw records, exactly as stored"
    );
    run("admin", &["import", "x.jsonl"]).await.unwrap().code(2);
}
