//! A goal's history and timeline come in pages (`?limit=&before=`, default 200, newest first as
//! pages, each in log order) with a `next` link to the older ones; following the links gives
//! every entry once, and `--server` commands follow them for the whole history.

use super::*;

async fn get(app: &App, path: &str) -> (u16, Value) {
    let r = app.get(path, Some("reader")).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// `n` check-ins by alice on the adopted web-traffic goal, each accepted.
async fn check_in_times(app: &App, n: u32) {
    for i in 0..n {
        let body = json!({"key_result": "visits", "value": 40000 + i, "health": "on-track"});
        let path = "/goals/web-traffic-q3/check-ins";
        assert_eq!(app.send(app.post(path, Some("alice"), body)).await.0, 201);
    }
}

#[tokio::test]
async fn timeline_and_history_pages_link_to_the_older_ones_and_cover_everything_once() {
    let app = spawn_app().await;
    adopted(&app).await;
    check_in_times(&app, 25).await;
    for base in [
        "/goals/web-traffic-q3/timeline",
        "/goals/web-traffic-q3/history",
    ] {
        let (_, all) = get(&app, base).await;
        assert!(
            all["next"].is_null(),
            "{base}: under 200 entries is one page"
        );
        let every: Vec<u64> = all["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        let mut pages = Vec::new();
        let mut link = Some(format!("{base}?limit=4"));
        while let Some(path) = link {
            let (status, page) = get(&app, &path).await;
            assert_eq!(status, 200, "{path}");
            let seqs: Vec<u64> = page["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_u64().unwrap())
                .collect();
            assert!(seqs.len() <= 4 && !seqs.is_empty(), "{path}: {seqs:?}");
            assert!(
                seqs.windows(2).all(|w| w[0] < w[1]),
                "each page in log order"
            );
            pages.push(seqs);
            link = page["next"].as_str().map(str::to_owned);
        }
        // Newest page first; together, every entry once.
        pages.reverse();
        assert_eq!(pages.concat(), every, "{base}");
        if base.ends_with("timeline") {
            assert!(
                pages.len() > 5,
                "{base}: 25 check-ins and more make pages of 4: {pages:?}"
            );
        }
        for bad in ["?limit=0", "?limit=1001", "?before=x", "?page=2"] {
            let r = app
                .get(&format!("{base}{bad}"), Some("reader"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400, "{base}{bad}");
        }
    }
    // The timeline of 25 check-ins and more is paged at 200 by default: here one page.
    let (_, timeline) = get(&app, "/goals/web-traffic-q3/timeline?limit=10").await;
    assert_eq!(timeline["entries"].as_array().unwrap().len(), 10);
    assert!(timeline["next"].as_str().unwrap().contains("before="));
}

#[tokio::test]
async fn the_goal_page_shows_its_timeline_a_page_at_a_time_newest_first() {
    // Given a goal with 110 check-ins (over 100 timeline entries),
    let app = spawn_app().await;
    adopted(&app).await;
    check_in_times(&app, 110).await;
    let head = app.ledger.digest().seq;
    let app = &app;
    let html = |path: String| async move {
        let r = app.get(&path, Some("reader")).header("accept", "text/html");
        r.send().await.unwrap().text().await.unwrap()
    };
    // The rows' sequence numbers, in page order.
    let rows = |page: &str| -> Vec<u64> {
        page.split("<tr><td class=\"num\">")
            .skip(1)
            .filter_map(|row| row.split('<').next()?.parse().ok())
            .collect()
    };
    // when a browser opens the goal page,
    let first = html("/goals/web-traffic-q3".into()).await;
    // then it shows the newest 100 entries, newest first, and links to the older ones,
    let seqs = rows(&first);
    assert_eq!(seqs.len(), 100);
    assert_eq!(seqs[0], head);
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    let older = first
        .split("<a rel=\"next\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    // and the older page holds the rest, down to the goal's first record, with no link further.
    let second = html(older).await;
    let rest = rows(&second);
    assert_eq!(rest[0], seqs[99] - 1);
    assert!(!second.contains("rel=\"next\""));
    let (_, all) = app
        .send(app.get("/goals/web-traffic-q3/timeline?limit=1000", Some("reader")))
        .await;
    assert_eq!(
        seqs.len() + rest.len(),
        all["entries"].as_array().unwrap().len()
    );
    // A page size out of range is refused, for a browser and an API client alike.
    for accept in ["text/html", "application/json"] {
        let r = app.get("/goals/web-traffic-q3?limit=0", Some("reader"));
        let status = r.header("accept", accept).send().await.unwrap().status();
        assert_eq!(status, 400, "{accept}");
    }
}
