//! The live event feed (`/events/stream`): catch up, then new records live, in order.

use super::*;

#[tokio::test]
async fn the_event_stream_catches_up_then_delivers_new_records_live_in_order() {
    let app = spawn_app().await;
    let head = app.ledger.digest().seq;
    let response = app
        .get("/events/stream?after=3", Some("reader"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let mut seqs = Vec::new();
    let mut wrote = false;
    while seqs.last() != Some(&(head + 1)) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(id) = event.lines().find_map(|l| l.strip_prefix("id: ")) {
                let data = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                let record: Value = serde_json::from_str(data).unwrap();
                assert_eq!(record["seq"].to_string(), id);
                seqs.push(id.parse::<u64>().unwrap());
            }
        }
        if seqs.last() == Some(&head) && !wrote {
            // Caught up: now a live write.
            app.send(app.post("/goals", Some("alice"), goal_body("web-traffic-q3")))
                .await;
            wrote = true;
        }
    }
    assert_eq!(seqs, (4..=head + 1).collect::<Vec<_>>());
}
