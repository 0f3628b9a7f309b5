//! Standard Webhooks' symmetric signature (`v1`): HMAC-SHA256 with a 24 to 64 byte secret,
//! shown to people as `whsec_` and standard base64, over `msg_id.timestamp.body`, sent as
//! `v1,<base64>` in the `webhook-signature` header (a space-delimited list, so a secret can be
//! rotated without downtime). A webhook's secret is derived from the data directory's key and
//! the webhook's id, so a server recomputes it instead of storing it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix that marks a symmetric webhook secret.
const PREFIX: &str = "whsec_";
/// The signature identifier of HMAC-SHA256 signatures.
const VERSION: &str = "v1";
/// The BLAKE3 context string of `Secret::derive`: never change it, or every secret changes.
const DERIVE_CONTEXT: &str = "goal-ledger 2026 webhook secret";
/// The secret lengths the spec allows, in bytes.
const LENGTHS: std::ops::RangeInclusive<usize> = 24..=64;

type HmacSha256 = Hmac<Sha256>;

/// A webhook signing secret: 24 to 64 raw bytes. `Display` gives the `whsec_` form a person
/// copies into their receiver; `Debug` does not show the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    bytes: Vec<u8>,
}

/// Why a text is not a webhook secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The text lacks the `whsec_` prefix: copy the whole secret.
    #[error("a webhook secret starts with whsec_; copy the whole secret as it was shown")]
    NoPrefix,
    /// What follows `whsec_` is not standard base64: the secret was cut or altered.
    #[error(
        "the part after whsec_ is not standard base64 ({0}); copy the whole secret as it was shown"
    )]
    NotBase64(String),
    /// The secret decodes to too few or too many bytes.
    #[error("a webhook secret is 24 to 64 bytes; this one decodes to {0}")]
    Length(usize),
}

impl Secret {
    /// Reads a secret in its `whsec_<standard base64>` form.
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let encoded = text.strip_prefix(PREFIX).ok_or(SecretError::NoPrefix)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|e| SecretError::NotBase64(e.to_string()))?;
        if !LENGTHS.contains(&bytes.len()) {
            return Err(SecretError::Length(bytes.len()));
        }
        Ok(Secret { bytes })
    }

    /// The secret of webhook `webhook_id` under the data directory's `key`: 32 bytes of BLAKE3
    /// in key-derivation mode, so the same key and id always give the same secret and no
    /// secret needs storing.
    pub fn derive(key: &[u8; 32], webhook_id: &str) -> Secret {
        let mut hasher = blake3::Hasher::new_derive_key(DERIVE_CONTEXT);
        hasher.update(key);
        hasher.update(webhook_id.as_bytes());
        Secret {
            bytes: hasher.finalize().as_bytes().to_vec(),
        }
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The HMAC over the signed content, `msg_id.timestamp.body`.
    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        // HMAC accepts a key of any length; `Secret` holds 24 to 64 bytes.
        let mut mac = HmacSha256::new_from_slice(&self.bytes).expect("HMAC takes any key length");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PREFIX}{}", STANDARD.encode(&self.bytes))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes, hidden)", self.bytes.len())
    }
}

/// The `webhook-signature` value for a message: `v1,` and the base64 HMAC-SHA256 of
/// `msg_id.timestamp.body`. `msg_id` must not contain a `.` (the spec's guard against
/// ambiguous signed content); the ids this crate makes never do.
pub fn sign(secret: &Secret, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    debug_assert!(!msg_id.contains('.'), "a webhook message id has no '.'");
    let tag = secret.mac(msg_id, timestamp, body).finalize().into_bytes();
    format!("{VERSION},{}", STANDARD.encode(tag))
}

/// Whether `header_value` (a space-delimited list of signatures, as in `webhook-signature`)
/// holds a `v1` signature of this message under `secret`. Other versions (such as `v1a`) and
/// malformed entries are skipped; tags are compared in constant time. This checks the
/// signature only: a receiver also refuses timestamps too far from its clock.
pub fn verify(
    secret: &Secret,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    header_value: &str,
) -> bool {
    let mac = secret.mac(msg_id, timestamp, body);
    header_value
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == VERSION)
        .filter_map(|(_, encoded)| STANDARD.decode(encoded).ok())
        .any(|tag| mac.clone().verify_slice(&tag).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of the spec's reference library (standard-webhooks/standard-webhooks,
    /// `libraries/rust/src/lib.rs`, `test_sign`); the spec text itself shows a signature but
    /// not the secret that made it.
    const REFERENCE_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const REFERENCE_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const REFERENCE_TS: i64 = 1649367553;
    const REFERENCE_BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const REFERENCE_SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn reference() -> Secret {
        Secret::parse(REFERENCE_SECRET).unwrap()
    }

    #[test]
    fn the_reference_libraries_test_vector_is_reproduced_byte_for_byte() {
        let secret = reference();
        assert_eq!(secret.as_bytes().len(), 24);
        let signature = sign(&secret, REFERENCE_ID, REFERENCE_TS, REFERENCE_BODY);
        assert_eq!(signature, REFERENCE_SIGNATURE);
        assert!(verify(
            &secret,
            REFERENCE_ID,
            REFERENCE_TS,
            REFERENCE_BODY,
            REFERENCE_SIGNATURE
        ));
    }

    #[test]
    fn a_secret_reads_back_from_its_whsec_form() {
        assert_eq!(reference().to_string(), REFERENCE_SECRET);
        let derived = Secret::derive(&[7; 32], "wh-0a1b2c3d");
        assert_eq!(Secret::parse(&derived.to_string()).unwrap(), derived);
    }

    #[test]
    fn a_derived_secret_is_fixed_by_the_key_and_the_webhook_id() {
        let key = [42u8; 32];
        let secret = Secret::derive(&key, "wh-0a1b2c3d");
        assert_eq!(secret.as_bytes().len(), 32);
        assert_eq!(secret, Secret::derive(&key, "wh-0a1b2c3d"));
        assert_ne!(secret, Secret::derive(&key, "wh-0a1b2c3e"));
        assert_ne!(secret, Secret::derive(&[43u8; 32], "wh-0a1b2c3d"));
        let mut expected = blake3::Hasher::new_derive_key("goal-ledger 2026 webhook secret");
        expected.update(&key).update(b"wh-0a1b2c3d");
        assert_eq!(secret.as_bytes(), expected.finalize().as_bytes());
    }

    #[test]
    fn texts_that_are_not_secrets_are_refused_with_the_reason() {
        assert_eq!(
            Secret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            Err(SecretError::NoPrefix)
        );
        assert!(matches!(
            Secret::parse("whsec_not base64!"),
            Err(SecretError::NotBase64(_))
        ));
        let short = format!("whsec_{}", STANDARD.encode([1u8; 23]));
        assert_eq!(Secret::parse(&short), Err(SecretError::Length(23)));
        let long = format!("whsec_{}", STANDARD.encode([1u8; 65]));
        assert_eq!(Secret::parse(&long), Err(SecretError::Length(65)));
        let longest = format!("whsec_{}", STANDARD.encode([1u8; 64]));
        assert!(Secret::parse(&longest).is_ok());
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let shown = format!("{:?}", reference());
        assert!(!shown.contains("C2FVsBQ"), "{shown}");
    }

    #[test]
    fn a_signature_verifies_and_a_changed_byte_timestamp_or_id_does_not() {
        let secret = Secret::derive(&[9; 32], "wh-12345678");
        let body = br#"{"type":"vote-needed","timestamp":"2026-01-02T03:04:05Z","data":{}}"#;
        let header = sign(&secret, "msg_17", 1_767_323_045, body);
        assert!(verify(&secret, "msg_17", 1_767_323_045, body, &header));

        let mut changed = body.to_vec();
        changed[10] ^= 1;
        assert!(!verify(&secret, "msg_17", 1_767_323_045, &changed, &header));
        assert!(!verify(&secret, "msg_17", 1_767_323_046, body, &header));
        assert!(!verify(&secret, "msg_18", 1_767_323_045, body, &header));
        let other = Secret::derive(&[9; 32], "wh-87654321");
        assert!(!verify(&other, "msg_17", 1_767_323_045, body, &header));
    }

    #[test]
    fn any_v1_signature_in_the_list_verifies_and_other_versions_are_skipped() {
        let secret = reference();
        // The spec's example header: an unrelated `v1` and a `v1a` (asymmetric) signature.
        let spec_example = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";
        let args = (REFERENCE_ID, REFERENCE_TS, REFERENCE_BODY);
        assert!(!verify(&secret, args.0, args.1, args.2, spec_example));
        let rotated = format!("{spec_example} {REFERENCE_SIGNATURE}");
        assert!(verify(&secret, args.0, args.1, args.2, &rotated));
        let tag = REFERENCE_SIGNATURE.trim_start_matches("v1,");
        for malformed in ["", " ", tag, &format!("v1a,{tag}"), "v1,***", "v1,"] {
            assert!(
                !verify(&secret, args.0, args.1, args.2, malformed),
                "{malformed:?}"
            );
        }
    }
}
