//! Staging a batch: each job of a group commit is checked against the writer's working state
//! and turned into records (a command through `decide`, the deadline tick, an import's lines),
//! chained onto the batch, with the idempotency checks for client ids made here.

use super::*;
use crate::store::NewRecord;

#[derive(Default)]
pub(super) struct Staged {
    pub commit: CommitBatch,
    pub records: Vec<Record>,
    /// Client ids staged in this batch: fingerprint and answer.
    pub ids: HashMap<String, ([u8; 32], Appended)>,
}

impl Staged {
    /// Adds a record to the batch, with its index entries.
    pub fn push(&mut self, record: Record, bytes: Vec<u8>) {
        let e = &record.envelope;
        self.commit.records.push(NewRecord {
            seq: e.seq,
            bytes,
            stream: e.stream.to_string(),
            version: e.version,
        });
        self.records.push(record);
    }
}

impl Writer {
    pub(super) fn stage_request(
        &mut self,
        request: &Request,
        staged: &mut Staged,
    ) -> Result<Answer, AppendError> {
        // Only a command with a client id can be retried, so only it needs a fingerprint.
        let fp = request.id.as_ref().map(|_| fingerprint(request));
        if let (Some(id), Some(fp)) = (&request.id, fp) {
            if let Some((staged_fp, answer)) = staged.ids.get(id.as_str()) {
                return if *staged_fp == fp {
                    Ok(Answer::Replayed(Appended {
                        replayed: true,
                        ..answer.clone()
                    }))
                } else {
                    Err(AppendError::IdReused { id: id.to_string() })
                };
            }
            if let Some(entry) = self.core.store.find_id(id.as_str()).map_err(unavailable)? {
                if !entry.same_command(&fp) {
                    return Err(AppendError::IdReused { id: id.to_string() });
                }
                return self.replayed(entry).map(Answer::Replayed);
            }
        }
        let stream = request.command.stream();
        if let Some(expected) = request.expected_version {
            let actual = self.working.version_of(&stream);
            if expected != actual {
                return Err(AppendError::Conflict {
                    stream: stream.to_string(),
                    expected,
                    actual,
                });
            }
        }
        let now = self.now();
        let corrected = match request.command.corrects() {
            Some(seq) => self.check_in_at(seq, staged)?,
            None => None,
        };
        let ctx = Context {
            actor: request.actor.clone(),
            now,
            corrected,
        };
        let events =
            decide(&self.working, &request.command, &ctx).map_err(AppendError::Rejected)?;
        let id = request.id.as_ref().map(EventId::as_str);
        let by = (&request.actor, &request.auth);
        let seqs = self.stage_events(staged, by, id, events, now)?;
        let appended = Appended {
            seqs,
            stream: stream.to_string(),
            version: self.working.version_of(&stream),
            replayed: false,
            head: self.head,
        };
        if let (Some(id), Some(fp)) = (&request.id, fp) {
            staged.commit.ids.push((
                id.to_string(),
                IdEntry {
                    first: appended.seqs[0],
                    last: *appended.seqs.last().unwrap_or(&appended.seqs[0]),
                    fingerprint: fp,
                },
            ));
            staged.ids.insert(id.to_string(), (fp, appended.clone()));
        }
        Ok(Answer::Fresh(appended))
    }

    /// The answer to a retried command: what it appended the first time.
    fn replayed(&self, entry: IdEntry) -> Result<Appended, AppendError> {
        let bytes = self
            .core
            .store
            .record(entry.last)
            .map_err(unavailable)?
            .ok_or_else(|| {
                AppendError::Internal(format!("the id index names missing record {}", entry.last))
            })?;
        let record =
            decode_at(entry.last, &bytes).map_err(|e| AppendError::Internal(e.to_string()))?;
        Ok(Appended {
            seqs: (entry.first..=entry.last).collect(),
            stream: record.envelope.stream.to_string(),
            version: record.envelope.version,
            replayed: true,
            head: self.head,
        })
    }

    /// Looks up the check-in a correction names, on the log or earlier in this batch.
    fn check_in_at(&self, seq: u64, staged: &Staged) -> Result<Option<CheckInRef>, AppendError> {
        let record = match staged.records.iter().find(|r| r.envelope.seq == seq) {
            Some(r) => Some(r.clone()),
            None => match self.core.store.record(seq).map_err(unavailable)? {
                Some(bytes) => decode_at(seq, &bytes).ok(),
                None => None,
            },
        };
        Ok(record.and_then(|r| match r.event {
            Event::CheckInRecorded(c) => Some(CheckInRef {
                seq,
                goal: c.goal,
                key_result: c.key_result,
            }),
            _ => None,
        }))
    }

    pub(super) fn stage_tick(
        &mut self,
        staged: &mut Staged,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        for events in tick(&self.working, now) {
            // Deterministic ids: a proposal reaches its closing time once.
            let id = match events.first() {
                Some(Event::ProposalDecided(d)) => format!("deadline:{}:{}", d.goal, d.proposal),
                _ => EventId::random().to_string(),
            };
            let by = (&Actor::system(), &Auth::System);
            self.stage_events(staged, by, Some(&id), events, now)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Encodes, chains and applies one command's events, each recorded `by` that actor and
    /// auth; all or nothing.
    fn stage_events(
        &mut self,
        staged: &mut Staged,
        (actor, auth): (&Actor, &Auth),
        id: Option<&str>,
        events: Vec<Event>,
        now: DateTime<Utc>,
    ) -> Result<Vec<u64>, AppendError> {
        let mut versions: HashMap<StreamId, u64> = HashMap::new();
        let mut head = self.head;
        let mut out = Vec::with_capacity(events.len());
        for (i, event) in events.into_iter().enumerate() {
            let stream = event.stream();
            let version = versions
                .entry(stream.clone())
                .or_insert_with(|| self.working.version_of(&stream));
            *version += 1;
            let record_id = match id {
                Some(id) if i == 0 => id.to_owned(),
                Some(id) => format!("{id}/{}", i + 1),
                None => EventId::random().to_string(),
            };
            let envelope = Envelope {
                seq: head.seq + 1,
                stream,
                version: *version,
                id: record_id,
                actor: actor.clone(),
                auth: auth.clone(),
                recorded_at: now,
                prev: head.hash,
            };
            let bytes = encode(&envelope, &event);
            if bytes.len() > MAX_RECORD_BYTES {
                return Err(AppendError::TooLarge { bytes: bytes.len() });
            }
            head = Digest {
                seq: envelope.seq,
                hash: RecordHash::of(&bytes),
            };
            out.push((Record { envelope, event }, bytes));
        }
        let mut seqs = Vec::with_capacity(out.len());
        for (record, bytes) in out {
            apply_record(&mut self.working, &record)
                .map_err(|i| AppendError::Internal(format!("decided events do not apply: {i}")))?;
            seqs.push(record.envelope.seq);
            staged.push(record, bytes);
        }
        self.head = head;
        self.last_at = now;
        Ok(seqs)
    }

    /// Stages records that continue the log as they are, byte for byte.
    pub(super) fn stage_import(
        &mut self,
        records: &[Vec<u8>],
        staged: &mut Staged,
    ) -> Result<u64, AppendError> {
        let mut scratch = self.working.clone();
        let mut head = self.head;
        let mut last_at = self.last_at;
        let mut new = Vec::with_capacity(records.len());
        let mut groups: Vec<(String, IdEntry)> = Vec::new();
        for bytes in records {
            let seq = head.seq + 1;
            let record =
                decode_at(seq, bytes).map_err(|e| AppendError::ImportRefused(e.to_string()))?;
            if record.envelope.prev != head.hash {
                return Err(AppendError::ImportRefused(format!(
                    "record {seq} does not continue this ledger (its prev is not the hash of record {})",
                    head.seq
                )));
            }
            if record.envelope.recorded_at < last_at {
                return Err(AppendError::ImportRefused(format!(
                    "record {seq} was recorded at {}, before record {} ({}): a ledger's times never go back",
                    crate::record::format_time(record.envelope.recorded_at),
                    head.seq,
                    crate::record::format_time(last_at)
                )));
            }
            apply_record(&mut scratch, &record)
                .map_err(|e| AppendError::ImportRefused(e.to_string()))?;
            let id = &record.envelope.id;
            match (id.split_once('/'), groups.last_mut()) {
                (Some((base, _)), Some((last, entry))) if base == last => entry.last = seq,
                _ => groups.push((
                    id.clone(),
                    IdEntry {
                        first: seq,
                        last: seq,
                        fingerprint: [0; 32],
                    },
                )),
            }
            head = Digest {
                seq,
                hash: RecordHash::of(bytes),
            };
            last_at = last_at.max(record.envelope.recorded_at);
            new.push((record, bytes.clone()));
        }
        let count = new.len() as u64;
        for (record, bytes) in new {
            staged.push(record, bytes);
        }
        // Any of the imported ids may have been a client's: index them all, as they were.
        staged.commit.ids.extend(groups);
        self.working = scratch;
        self.head = head;
        self.last_at = last_at;
        Ok(count)
    }
}
