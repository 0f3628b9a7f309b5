//! Projections: the state every query reads, rebuilt from records. The current state of every
//! goal and team lives in memory and is saved to the store as a snapshot (one entry per goal and
//! team, plus the sequence it covers), so opening a ledger loads the snapshot and replays only the
//! records after it. History, timeline and as-of views read one stream through its index, so
//! their cost follows the goal's size, not the ledger's.

pub mod due;
pub mod history;
pub mod timeline;
pub mod views;

use std::collections::BTreeMap;

use crate::domain::{apply, Goal, Meta, Singles, State, StreamId, Team};
use crate::record::{decode, Record};
use crate::store::{ProjectionEntry, StoreError, StoreRead};

/// The snapshot format; a snapshot in another format is ignored and rebuilt.
pub const FORMAT: u32 = 1;

/// A record that does not replay: the ledger is damaged or was not written by this program.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("record {seq} cannot be replayed: {reason}; run `goal-ledger verify`")]
    Record { seq: u64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Decodes stored bytes, naming the sequence on failure.
pub fn decode_at(seq: u64, bytes: &[u8]) -> Result<Record, ReplayError> {
    let record = decode(bytes).map_err(|e| ReplayError::Record {
        seq,
        reason: e.to_string(),
    })?;
    if record.envelope.seq != seq {
        return Err(ReplayError::Record {
            seq,
            reason: format!("it says it is record {}", record.envelope.seq),
        });
    }
    Ok(record)
}

/// Folds one decoded record into `state`.
pub fn apply_record(state: &mut State, record: &Record) -> Result<(), ReplayError> {
    let e = &record.envelope;
    apply(
        state,
        Meta {
            seq: e.seq,
            version: e.version,
            at: e.recorded_at,
            actor: &e.actor,
        },
        &record.event,
    )
    .map_err(|i| ReplayError::Record {
        seq: i.seq,
        reason: i.problem,
    })
}

/// Replays the records `state.seq + 1 ..= to` from the store into `state`, checking that
/// sequence numbers are contiguous. `progress` is called with the number replayed so far.
pub fn catch_up(
    store: &dyn StoreRead,
    state: &mut State,
    to: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, ReplayError> {
    let mut done = 0;
    for item in store.records_in(state.seq + 1, to) {
        let (seq, bytes) = item?;
        if seq != state.seq + 1 {
            return Err(ReplayError::Record {
                seq: state.seq + 1,
                reason: "it is missing".to_owned(),
            });
        }
        apply_record(state, &decode_at(seq, &bytes)?)?;
        done += 1;
        if done % 8192 == 0 {
            progress(done);
        }
    }
    if state.seq != to {
        return Err(ReplayError::Record {
            seq: state.seq + 1,
            reason: "it is missing".to_owned(),
        });
    }
    progress(done);
    Ok(done)
}

/// Loads the snapshot of the state, if there is a usable one. On a store other instances
/// share, one of them may save a snapshot while this one reads it: the mark is read again
/// after the entries, and a snapshot that changed meanwhile is read again (twice at most, then
/// none is used and the log is replayed from its start).
pub fn load_snapshot(store: &dyn StoreRead, head: u64) -> Result<State, ReplayError> {
    for _ in 0..3 {
        let Some((seq, FORMAT)) = store.snapshot_mark()? else {
            return Ok(State::default());
        };
        if seq > head {
            return Ok(State::default());
        }
        let state = read_snapshot(store, seq)?;
        if store.snapshot_mark()? == Some((seq, FORMAT)) {
            return Ok(state);
        }
    }
    Ok(State::default())
}

/// The snapshot's entries as a state at `seq`, its mark.
fn read_snapshot(store: &dyn StoreRead, seq: u64) -> Result<State, ReplayError> {
    let mut goals = BTreeMap::new();
    let mut teams = BTreeMap::new();
    let mut singles = Singles::default();
    for item in store.snapshot_entries() {
        let (key, value) = item?;
        let bad = |e: serde_json::Error| StoreError::Corrupt(format!("projection entry: {e}"));
        match key.first() {
            Some(b'g') => {
                let goal: Goal = serde_json::from_slice(&value).map_err(bad)?;
                goals.insert(goal.id.clone(), goal);
            }
            Some(b't') => {
                let team: Team = serde_json::from_slice(&value).map_err(bad)?;
                teams.insert(team.id.clone(), team);
            }
            Some(b'a') => singles.access = serde_json::from_slice(&value).map_err(bad)?,
            Some(b'c') => singles.cycles = serde_json::from_slice(&value).map_err(bad)?,
            Some(b'w') => singles.webhooks = serde_json::from_slice(&value).map_err(bad)?,
            _ => {}
        }
    }
    Ok(State::from_parts(teams, goals, singles, seq))
}

/// The projection entry of one stream as `state` has it (`None`: delete).
pub fn entry(state: &State, stream: &StreamId) -> ProjectionEntry {
    match stream {
        StreamId::Goal(id) => (
            format!("g{id}").into_bytes(),
            state.goals.get(id).and_then(|g| serde_json::to_vec(g).ok()),
        ),
        StreamId::Team(id) => (
            format!("t{id}").into_bytes(),
            state.teams.get(id).and_then(|t| serde_json::to_vec(t).ok()),
        ),
        StreamId::Access => (b"a".to_vec(), serde_json::to_vec(&state.access).ok()),
        StreamId::Cycles => (b"c".to_vec(), serde_json::to_vec(&state.cycles).ok()),
        StreamId::Webhooks => (b"w".to_vec(), serde_json::to_vec(&state.webhooks).ok()),
    }
}

/// Every projection entry of `state`.
pub fn all_entries(state: &State) -> Vec<ProjectionEntry> {
    state
        .goals
        .keys()
        .map(|id| StreamId::Goal(id.clone()))
        .chain(state.teams.keys().map(|id| StreamId::Team(id.clone())))
        .chain([StreamId::Access, StreamId::Cycles, StreamId::Webhooks])
        .map(|s| entry(state, &s))
        .collect()
}

/// The records of one stream, decoded, up to and including `upto`.
pub fn stream_records(
    store: &dyn StoreRead,
    stream: &StreamId,
    upto: u64,
) -> Result<Vec<Record>, ReplayError> {
    store
        .stream_records(&stream.to_string(), upto)?
        .iter()
        .map(|(seq, bytes)| decode_at(*seq, bytes))
        .collect()
}

/// A goal as it stood after the records of its stream up to `upto`.
pub fn goal_as_of(records: &[Record]) -> Result<Option<Goal>, ReplayError> {
    let mut state = State::default();
    let mut id = None;
    for r in records {
        apply_record(&mut state, r)?;
        if let StreamId::Goal(g) = &r.envelope.stream {
            id = Some(g.clone());
        }
    }
    Ok(id.and_then(|id| state.goals.remove(&id)))
}
