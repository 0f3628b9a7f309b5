//! Signed notes (C2SP `signed-note`) with Ed25519, their keys in the text forms Go's
//! `golang.org/x/mod/sumdb/note` reads and writes (`PRIVATE+KEY+name+id+key` for the signer,
//! the `vkey` `name+id+key` for verifiers), and checkpoints (C2SP `tlog-checkpoint`).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::merkle::Hash;

/// The signature type byte of Ed25519 in a signed note.
const ED25519: u8 = 0x01;
/// The most signature lines a note may carry (the spec asks for at least 16).
const MAX_SIGNATURES: usize = 64;

/// Why a key or a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoteError(pub String);

fn refuse<T>(why: impl Into<String>) -> Result<T, NoteError> {
    Err(NoteError(why.into()))
}

/// Checks a key name: not empty, no Unicode spaces, no `+`.
pub fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
        return refuse(format!(
            "{name:?} cannot name a key: it must be non-empty, without spaces or '+' (e.g. example.com/goals)"
        ));
    }
    Ok(())
}

/// The key id: the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), big-endian.
pub fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ED25519]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A key that verifies notes: a name, its id and an Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub name: String,
    pub id: u32,
    key: VerifyingKey,
}

impl Verifier {
    /// Parses a vkey, `<name>+<8 hex id>+<base64(0x01 ‖ public key)>`.
    pub fn parse(vkey: &str) -> Result<Verifier, NoteError> {
        let vkey = vkey.trim();
        // The key's base64 may hold '+' itself: only the first two separate.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return refuse(format!("{vkey:?} is not a verifier key (name+id+key)"));
        };
        check_name(name)?;
        let id = u32::from_str_radix(id, 16)
            .ok()
            .filter(|_| id.len() == 8)
            .ok_or_else(|| NoteError(format!("the key id {id:?} is not 8 hex digits")))?;
        let bytes = BASE64
            .decode(key)
            .map_err(|e| NoteError(format!("the key is not base64: {e}")))?;
        let Some((&ED25519, public)) = bytes.split_first() else {
            return refuse("the key is not an Ed25519 key (type 0x01)");
        };
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| NoteError("an Ed25519 public key is 32 bytes".to_owned()))?;
        if key_id(name, &public) != id {
            return refuse(format!(
                "the key id {id:08x} does not belong to this name and key"
            ));
        }
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|e| NoteError(format!("not an Ed25519 public key: {e}")))?;
        Ok(Verifier {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// The vkey text.
    pub fn vkey(&self) -> String {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, BASE64.encode(bytes))
    }

    /// The text of `note` if one of its signatures is this key's and verifies. Signatures of
    /// other keys are ignored, as the spec requires.
    pub fn open<'n>(&self, note: &'n str) -> Result<&'n str, NoteError> {
        let (text, signatures) = split_note(note)?;
        let mut found = false;
        for line in signatures {
            let (name, sig) = parse_signature(line)?;
            if name != self.name || sig.len() < 4 || sig[..4] != self.id.to_be_bytes() {
                continue;
            }
            let sig = Signature::from_slice(&sig[4..])
                .map_err(|_| NoteError("a signature of this key is malformed".to_owned()))?;
            if self.key.verify_strict(text.as_bytes(), &sig).is_err() {
                return refuse(format!(
                    "the signature of {} does not verify: the note was altered or signed by another key",
                    self.name
                ));
            }
            found = true;
        }
        if !found {
            return refuse(format!(
                "the note carries no signature of the key {}+{:08x}",
                self.name, self.id
            ));
        }
        Ok(text)
    }
}

/// A note's text, with its final newline, its signatures not checked: for notes the ledger
/// signed and kept itself. Anything received goes through `Verifier::open`.
pub fn unverified_text(note: &str) -> Result<&str, NoteError> {
    Ok(split_note(note)?.0)
}

/// A note's text (with its final newline) and its signature lines.
fn split_note(note: &str) -> Result<(&str, Vec<&str>), NoteError> {
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return refuse("a signed note holds no control characters but newlines");
    }
    let Some(at) = note.rfind("\n\n") else {
        return refuse("not a signed note: no blank line before the signatures");
    };
    let (text, rest) = (&note[..=at], &note[at + 2..]);
    let Some(rest) = rest.strip_suffix('\n') else {
        return refuse("a signed note ends with a newline");
    };
    let lines: Vec<&str> = rest.split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return refuse(format!("more than {MAX_SIGNATURES} signatures"));
    }
    Ok((text, lines))
}

/// A signature line: `— <name> <base64>`.
fn parse_signature(line: &str) -> Result<(&str, Vec<u8>), NoteError> {
    let bad = || NoteError(format!("{line:?} is not a signature line (— name base64)"));
    let rest = line.strip_prefix("\u{2014} ").ok_or_else(bad)?;
    let (name, sig) = rest.split_once(' ').ok_or_else(bad)?;
    check_name(name)?;
    let sig = BASE64.decode(sig).map_err(|_| bad())?;
    Ok((name, sig))
}

/// A key that signs notes.
pub struct Signer {
    pub name: String,
    id: u32,
    key: SigningKey,
}

impl Signer {
    /// A new key named `name`, from the system's random source.
    pub fn generate(name: &str) -> Result<Signer, NoteError> {
        check_name(name)?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| NoteError(format!("no randomness for a new key: {e}")))?;
        Ok(Signer::from_seed(name, seed))
    }

    fn from_seed(name: &str, seed: [u8; 32]) -> Signer {
        let key = SigningKey::from_bytes(&seed);
        Signer {
            name: name.to_owned(),
            id: key_id(name, key.verifying_key().as_bytes()),
            key,
        }
    }

    /// Parses `PRIVATE+KEY+<name>+<8 hex id>+<base64(0x01 ‖ 32-byte seed)>`.
    pub fn parse(text: &str) -> Result<Signer, NoteError> {
        let text = text.trim();
        let bad = || {
            NoteError(
                "not a signing key: expected PRIVATE+KEY+<name>+<id>+<key> (as `goal-ledger` and Go's sumdb/note write them)"
                    .to_owned(),
            )
        };
        let rest = text.strip_prefix("PRIVATE+KEY+").ok_or_else(bad)?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        check_name(name)?;
        let bytes = BASE64.decode(key).map_err(|_| bad())?;
        let Some((&ED25519, seed)) = bytes.split_first() else {
            return Err(bad());
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad())?;
        let signer = Signer::from_seed(name, seed);
        if format!("{:08x}", signer.id) != id {
            return refuse(format!(
                "the signing key's id {id} does not belong to its name and key"
            ));
        }
        Ok(signer)
    }

    /// The private key's text form (keep it secret: mode 0600).
    pub fn private_text(&self) -> String {
        let mut bytes = vec![ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}\n",
            self.name,
            self.id,
            BASE64.encode(bytes)
        )
    }

    /// The verifier of this key.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// `text` (ending in a newline) signed: the text, a blank line, one signature line.
    pub fn sign(&self, text: &str) -> String {
        let mut sig = self.id.to_be_bytes().to_vec();
        sig.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.name, BASE64.encode(sig))
    }
}

/// A checkpoint's body: the origin, the tree size and its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint<'a> {
    pub origin: &'a str,
    pub size: u64,
    pub root: Hash,
}

impl<'a> Checkpoint<'a> {
    /// The note text: three lines, each ending in a newline.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        )
    }

    /// Parses a checkpoint's note text (extension lines are allowed and ignored).
    pub fn parse(text: &'a str) -> Result<Checkpoint<'a>, NoteError> {
        let mut lines = text.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return refuse("a checkpoint has three lines: origin, size, root");
        };
        if origin.is_empty() {
            return refuse("a checkpoint's origin is not empty");
        }
        let size = size
            .parse::<u64>()
            .ok()
            .filter(|n| n.to_string() == size)
            .ok_or_else(|| NoteError(format!("{size:?} is not a tree size")))?;
        let root = BASE64
            .decode(root)
            .ok()
            .and_then(|r| Hash::try_from(r).ok())
            .ok_or_else(|| NoteError(format!("{root:?} is not a base64 SHA-256 root")))?;
        Ok(Checkpoint { origin, size, root })
    }
}

/// Base64 of a hash, as proofs and checkpoints write it.
pub fn encode_hash(hash: &Hash) -> String {
    BASE64.encode(hash)
}

/// A base64 hash (any length: a proof checker compares it as given).
pub fn decode_hash(text: &str) -> Result<Vec<u8>, NoteError> {
    BASE64
        .decode(text.trim())
        .map_err(|_| NoteError(format!("{text:?} is not base64")))
}
