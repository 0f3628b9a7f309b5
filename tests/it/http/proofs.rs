//! What an auditor asks the server for, over a real port: the latest checkpoint and the key
//! that verifies it, a checkpoint kept by size, inclusion and consistency proofs that check
//! against those checkpoints, and clear errors for what does not exist.

use goal_ledger::proofs::{check, leaf_hash, Checkpoint, ProofFile, Verifier};

use super::*;

async fn text(app: &App, path: &str) -> (u16, String) {
    let r = app.get(path, Some("reader")).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn checkpoints_and_proofs_over_http_verify_against_the_public_key() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/ledger/public-key", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let key = Verifier::parse(&r.text().await.unwrap()).unwrap();
    let (status, note) = text(&app, "/ledger/checkpoint").await;
    assert_eq!(status, 200, "{note}");
    let body = key.open(&note).unwrap().to_owned();
    let cp = Checkpoint::parse(&body).unwrap();
    assert_eq!(cp.origin, key.name);
    assert_eq!(cp.size, app.ledger.digest().seq);
    // Every record's proof checks against that checkpoint.
    for seq in 1..=cp.size {
        let (status, file) = text(
            &app,
            &format!("/ledger/proofs/inclusion?seq={seq}&size={}", cp.size),
        )
        .await;
        assert_eq!(status, 200, "{file}");
        let proof = ProofFile::parse(&file).unwrap();
        assert_eq!(proof.checkpoint, note);
        assert_eq!(proof.index, seq - 1);
        let record = app.ledger.store().record(seq).unwrap().unwrap();
        assert_eq!(proof.extra.as_deref(), Some(&record[..]));
        check::inclusion(
            seq - 1,
            cp.size,
            &leaf_hash(&record),
            &proof.hashes,
            &cp.root,
        )
        .unwrap();
    }
    // Grow the ledger, sign on demand, and prove the new tree extends the old.
    adopted(&app).await;
    let r = app
        .post("/ledger/checkpoint", Some("alice"), json!(null))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let newer = r.text().await.unwrap();
    let new = Checkpoint::parse(key.open(&newer).unwrap()).unwrap();
    assert!(new.size > cp.size);
    let (status, lines) = text(
        &app,
        &format!(
            "/ledger/proofs/consistency?from={}&to={}",
            cp.size, new.size
        ),
    )
    .await;
    assert_eq!(status, 200);
    let proof = goal_ledger::proofs::proof_file::parse_hash_lines(&lines).unwrap();
    check::consistency(cp.size, new.size, &proof, &cp.root, &new.root).unwrap();
    // Both are kept, by size.
    let (_, kept) = text(&app, &format!("/ledger/checkpoints/{}", cp.size)).await;
    assert_eq!(kept, note);
    let sizes: Value = app
        .get("/ledger/checkpoints", Some("reader"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sizes["latest"], new.size);
}

#[tokio::test]
async fn proofs_of_what_does_not_exist_are_clear_errors() {
    let app = spawn_app().await;
    let head = app.ledger.digest().seq;
    for (path, status, says) in [
        (
            format!("/ledger/proofs/inclusion?seq={}", head + 1),
            404,
            "there is no record",
        ),
        ("/ledger/proofs/inclusion?seq=abc".to_owned(), 400, "seq"),
        (
            "/ledger/proofs/inclusion?seq=1&size=2".to_owned(),
            404,
            "no checkpoint of 2 records",
        ),
        (
            "/ledger/proofs/consistency?from=0&to=3".to_owned(),
            400,
            "at least 1",
        ),
        (
            format!("/ledger/proofs/consistency?from=1&to={}", head + 5),
            404,
            "holds",
        ),
        (
            "/ledger/checkpoints/999999".to_owned(),
            404,
            "no checkpoint of 999999",
        ),
    ] {
        let (got, body) = text(&app, &path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body.contains(says), "{path}: {body}");
    }
    // Reads need a token; signing needs a member.
    let r = app
        .client
        .get(format!("{}/ledger/checkpoint", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .post("/ledger/checkpoint", Some("reader"), json!(null))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_server_signs_a_checkpoint_when_the_head_moved_and_none_while_it_stands_still() {
    let dir = temp_dir();
    let ledger = goal_ledger::ledger::Ledger::open(dir.path(), Default::default()).unwrap();
    let config = goal_ledger::server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        public_read: true,
        checkpoint_every: std::time::Duration::from_millis(100),
        ..Default::default()
    };
    let server = goal_ledger::server::start(ledger.clone(), config)
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);
    let sizes = || async {
        let v: Value = reqwest::get(format!("{url}/ledger/checkpoints"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["sizes"].as_array().unwrap().clone()
    };
    for (who, command) in departments() {
        run(&ledger, who, command).await.unwrap();
    }
    let head = ledger.digest().seq;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sizes().await.last() != Some(&json!(head)) {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint of {head}: {:?}",
            sizes().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Standing still for many signer periods signs nothing more.
    let signed = sizes().await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(sizes().await, signed);
    server.shutdown().await.unwrap();
}
