//! `checkpoint` and `prove`, locally or through a server, and what `verify` and `import` need to
//! check a checkpoint or a proof: the trusted public key and the checkpoint's signed root.

use std::path::Path;

use serde_json::json;

use super::Ctx;
use crate::api::{path, routes};
use crate::cli::args::{CheckpointArgs, KeyArg, ProveArgs};
use crate::cli::backend::Backend;
use crate::cli::error::{usage, CliError};
use crate::ledger::{key_path, Expected};
use crate::proofs::note::{encode_hash, unverified_text};
use crate::proofs::proof_file::hash_lines;
use crate::proofs::{Checkpoint, Signer, Verifier};

/// `checkpoint`: the latest (signed now if the head moved), one of a size, or the public key.
pub async fn checkpoint(ctx: &Ctx<'_>, a: &CheckpointArgs) -> Result<(), CliError> {
    let text = match ctx.backend {
        Backend::Remote(remote) => {
            let route = match (a.public_key, a.size) {
                (true, _) => routes::PUBLIC_KEY.to_owned(),
                (false, Some(size)) => path(routes::CHECKPOINT_OF, &[&size.to_string()]),
                (false, None) => routes::CHECKPOINT.to_owned(),
            };
            remote.text(&route, &[]).await?
        }
        Backend::Local { ledger, .. } => {
            if a.public_key {
                let key = ledger
                    .public_key()
                    .ok_or(crate::ledger::ProofError::NoKey)?;
                key + "\n"
            } else {
                let kept = match a.size {
                    Some(size) => ledger.checkpoint_of(size).ok_or_else(|| {
                        CliError::Refused(format!(
                            "no checkpoint of {size} records was signed; signed sizes: {:?}",
                            ledger.checkpoint_sizes()
                        ))
                    })?,
                    None => ledger.sign_checkpoint()?,
                };
                kept.note
            }
        }
    };
    if a.public_key {
        return ctx
            .out
            .print(&json!({ "vkey": text.trim_end() }), || text.clone());
    }
    let parsed = parse_note(&text)?;
    ctx.out.print(
        &json!({"origin": parsed.0, "size": parsed.1, "root": encode_hash(&parsed.2), "note": text}),
        || text.clone(),
    )
}

/// A signed checkpoint's origin, size and root, unchecked (it came from the ledger itself).
fn parse_note(note: &str) -> Result<(String, u64, [u8; 32]), CliError> {
    let refused = |e: crate::proofs::NoteError| CliError::Refused(e.0);
    let cp = Checkpoint::parse(unverified_text(note).map_err(refused)?).map_err(refused)?;
    Ok((cp.origin.to_owned(), cp.size, cp.root))
}

/// `prove`: an inclusion proof file, or a consistency proof's lines.
pub async fn prove(ctx: &Ctx<'_>, a: &ProveArgs) -> Result<(), CliError> {
    let text = match (&a.consistency, a.seq) {
        (Some(sizes), _) => {
            let (from, to) = (sizes[0], sizes[1]);
            match ctx.backend {
                Backend::Remote(remote) => {
                    let query = [("from", from.to_string()), ("to", to.to_string())];
                    remote.text(routes::CONSISTENCY_PROOF, &query).await?
                }
                Backend::Local { ledger, .. } => hash_lines(&ledger.consistency_proof(from, to)?),
            }
        }
        (None, Some(seq)) => match ctx.backend {
            Backend::Remote(remote) => {
                let mut query = vec![("seq", seq.to_string())];
                query.extend(a.size.map(|s| ("size", s.to_string())));
                remote.text(routes::INCLUSION_PROOF, &query).await?
            }
            Backend::Local { ledger, .. } => ledger.inclusion_proof(seq, a.size)?.text(),
        },
        (None, None) => {
            return Err(usage(
                "name the record to prove (SEQ), or --consistency FROM TO",
            ))
        }
    };
    match &a.out {
        Some(out) => {
            std::fs::write(out, &text)
                .map_err(|e| usage(format!("cannot write {}: {e}", out.display())))?;
            eprintln!("wrote the proof to {}", out.display());
            Ok(())
        }
        None => ctx.out.print(&json!({ "proof": text }), || text.clone()),
    }
}

/// The key checkpoints must be signed by: `--key` (a vkey, or a file holding one), else the
/// data directory's own signing key.
pub fn trusted_key(key: &KeyArg, data_dir: &Path) -> Result<Verifier, CliError> {
    if let Some(key) = &key.key {
        let text = match Path::new(key).is_file() {
            true => std::fs::read_to_string(key)
                .map_err(|e| usage(format!("cannot read the key file {key}: {e}")))?,
            false => key.clone(),
        };
        return Verifier::parse(&text).map_err(|e| usage(format!("--key: {e}")));
    }
    let own = key_path(data_dir);
    match std::fs::read_to_string(&own) {
        Ok(text) => Ok(Signer::parse(&text)
            .map_err(|e| usage(format!("{}: {e}", own.display())))?
            .verifier()),
        Err(_) => Err(usage(
            "checking a signature needs the ledger's public key: pass --key VKEY (`goal-ledger checkpoint --public-key`, or GET /ledger/public-key on its server)",
        )),
    }
}

/// Reads a signed checkpoint from `file` and checks its signature and origin against `key`.
pub fn read_checkpoint(file: &Path, key: &Verifier) -> Result<Expected, CliError> {
    let note = std::fs::read_to_string(file)
        .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    signed_root(&note, key, &format!("the checkpoint {}", file.display()))
}

/// A signed checkpoint's size and root, once its signature and origin hold.
pub fn signed_root(note: &str, key: &Verifier, what: &str) -> Result<Expected, CliError> {
    let unverified = |why: String| CliError::Unverified(format!("{what}: {why}"));
    let text = key.open(note).map_err(|e| unverified(e.0))?;
    let cp = Checkpoint::parse(text).map_err(|e| unverified(e.0))?;
    if cp.origin != key.name {
        return Err(unverified(format!(
            "its origin is {:?} but the key is {:?}'s",
            cp.origin, key.name
        )));
    }
    Ok(Expected {
        size: cp.size,
        root: cp.root,
        what: what.to_owned(),
    })
}
