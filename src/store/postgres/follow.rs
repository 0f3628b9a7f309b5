//! Following the other instances: a commit sends `NOTIFY goal_ledger_head` (payload: the
//! committing instance's id and the new head's seq) inside its transaction, so the notice goes
//! out exactly when the records are visible. Each instance keeps one connection of its own (not
//! from the pool, which recycles connections) that `LISTEN`s, and calls the ledger's `moved`
//! for every notice from another instance, and every `poll` as well: notices sent while this
//! connection was down are lost, so after a reconnect, and on every poll, the ledger reads the
//! head itself. A lost connection is made again, waiting 100 ms doubling to 5 s between tries.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::{AsyncMessage, Config, NoTls};

/// The channel commits notify on.
pub(super) const CHANNEL: &str = "goal_ledger_head";

/// The longest wait between tries to listen again.
const MOST_BACKOFF: Duration = Duration::from_secs(5);

/// Listens for other instances' commits until the store's runtime stops.
pub(super) async fn follow(
    config: Config,
    instance: String,
    moved: Arc<dyn Fn() + Send + Sync>,
    poll: Duration,
) {
    // The poll runs whether or not the listening connection is up.
    let polled = moved.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            polled();
        }
    });
    let mut backoff = Duration::from_millis(100);
    loop {
        let started = std::time::Instant::now();
        let listened = listen(&config, &instance, &*moved).await;
        if started.elapsed() > MOST_BACKOFF * 6 {
            backoff = Duration::from_millis(100);
        }
        if let Err(e) = listened {
            tracing::warn!(error = %super::db_text(&e), "lost the connection that listens for other instances' commits; reconnecting");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MOST_BACKOFF);
    }
}

/// One connection's life: listen, tell `moved` of every other instance's commit, until the
/// connection fails.
async fn listen(
    config: &Config,
    instance: &str,
    moved: &(dyn Fn() + Send + Sync),
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (notices, mut heard) = tokio::sync::mpsc::unbounded_channel::<String>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message? {
                AsyncMessage::Notification(n) => {
                    let _ = notices.send(n.payload().to_owned());
                }
                _ => continue,
            }
        }
        Ok(())
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    // Whatever was appended while no one listened.
    moved();
    while let Some(payload) = heard.recv().await {
        if from_other(&payload, instance) {
            moved();
        }
    }
    drop(client);
    match driver.await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}

/// Whether a notice's payload (`instance:seq`) names another instance.
fn from_other(payload: &str, instance: &str) -> bool {
    payload.split_once(':').map(|(from, _)| from) != Some(instance)
}

#[cfg(test)]
mod tests {
    use super::from_other;

    #[test]
    fn a_notice_of_this_instances_own_commit_is_not_followed() {
        assert!(!from_other("abc:12", "abc"));
        assert!(from_other("def:12", "abc"));
        assert!(from_other("garbage", "abc"));
    }
}
