//! Prescription signatures. `$prepare` answers the `digest` a prescriber signs: the base64 of a
//! small JSON SignedInfo naming the algorithm, the time, and the SHA-256 of the prescription's
//! signed fragments (its MedicationRequests, Patient and PractitionerRole) in canonical JSON
//! (object keys sorted, no insignificant whitespace). The prescriber signs the SignedInfo's bytes
//! with ES256 and sends, in the order's `Provenance.signature[0].data`, the base64 of
//! `{"signedInfo": <digest>, "signatureValue": <base64 of the 64-byte r‖s signature>}`.
//!
//! Verification recomputes the fragments' digest from the order itself (so a prescription changed
//! after signing fails) and checks the signature with the public key the Spine Directory has
//! registered for the prescriber's role profile. EPS signs with RS256 smartcard certificates; we
//! use ES256 with P-256 keys, as our tokens do, so no RSA code is built.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::EpsError;

pub const ALGORITHM: &str = "ES256";

#[derive(Serialize, Deserialize)]
struct SignedInfo {
    algorithm: String,
    digest: String,
    timestamp: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureData {
    signed_info: String,
    signature_value: String,
}

/// Writes `value` as canonical JSON: keys sorted at every level, no whitespace.
fn canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(k).unwrap_or_default());
                out.push(b':');
                canonical(&map[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(v, out);
            }
            out.push(b']');
        }
        scalar => out.extend(serde_json::to_vec(scalar).unwrap_or_default()),
    }
}

/// The base64 SHA-256 of the fragments' canonical JSON.
pub fn fragments_digest(fragments: &Value) -> String {
    let mut bytes = Vec::with_capacity(4096);
    canonical(fragments, &mut bytes);
    STANDARD.encode(Sha256::digest(&bytes))
}

/// `$prepare`'s `digest`: the base64 SignedInfo for these fragments at `timestamp`.
pub fn prepare(fragments: &Value, timestamp: &str) -> String {
    let info = SignedInfo {
        algorithm: ALGORITHM.to_owned(),
        digest: fragments_digest(fragments),
        timestamp: timestamp.to_owned(),
    };
    STANDARD.encode(serde_json::to_vec(&info).unwrap_or_default())
}

/// What a prescriber's system does with `$prepare`'s digest: signs it and builds
/// `Provenance.signature[0].data`. (Tests, sample events and the benchmark sign this way.)
pub fn sign(digest: &str, key: &SigningKey) -> Result<String, EpsError> {
    sign_with(digest, |info| {
        let signature: Signature = key.sign(info);
        Ok(signature.to_bytes().to_vec())
    })
}

/// [`sign`] with any P-256 signer of the SignedInfo returning the fixed-size `r ‖ s` signature
/// (deterministic here; the load generator signs with ring's faster, randomised one).
pub fn sign_with(digest: &str, sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, EpsError>) -> Result<String, EpsError> {
    let info = STANDARD.decode(digest).map_err(|_| EpsError::invalid_value("the digest is not base64"))?;
    let data = SignatureData { signed_info: digest.to_owned(), signature_value: STANDARD.encode(sign(&info)?) };
    Ok(STANDARD.encode(serde_json::to_vec(&data).unwrap_or_default()))
}

fn invalid() -> EpsError {
    EpsError::failure_to_process("Signature is invalid.")
}

/// Checks `data` (Provenance.signature.data) signs `fragments` under `public_key` (the directory's
/// base64 SEC1 point).
pub fn verify(data: &str, fragments: &Value, public_key: &str) -> Result<(), EpsError> {
    let data = STANDARD.decode(data).map_err(|_| invalid())?;
    let data: SignatureData = serde_json::from_slice(&data).map_err(|_| invalid())?;
    let info_bytes = STANDARD.decode(&data.signed_info).map_err(|_| invalid())?;
    let info: SignedInfo = serde_json::from_slice(&info_bytes).map_err(|_| invalid())?;
    if info.algorithm != ALGORITHM {
        return Err(EpsError::failure_to_process(format!("Signature algorithm must be {ALGORITHM}.")));
    }
    if info.digest != fragments_digest(fragments) {
        return Err(EpsError::failure_to_process("Signature doesn't match prescription."));
    }
    let key = STANDARD
        .decode(public_key)
        .map_err(|_| EpsError::internal("a role profile's registered signing key is not base64"))?;
    let signature = STANDARD.decode(&data.signature_value).map_err(|_| invalid())?;
    // ring's P-256 (assembly; it also rejects a key that is not a point on the curve).
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &key)
        .verify(&info_bytes, &signature)
        .map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32].into()).unwrap()
    }

    fn public(k: &SigningKey) -> String {
        STANDARD.encode(k.verifying_key().to_encoded_point(false).as_bytes())
    }

    #[test]
    fn the_digest_ignores_key_order_and_whitespace_but_not_content() {
        let a = json!({"b": [1, {"y": "z", "x": null}], "a": true});
        let b: Value = serde_json::from_str(r#"{ "a" : true, "b": [1, {"x": null, "y": "z"}] }"#).unwrap();
        assert_eq!(fragments_digest(&a), fragments_digest(&b));
        assert_ne!(fragments_digest(&a), fragments_digest(&json!({"a": false, "b": [1, {"y": "z", "x": null}]})));
    }

    #[test]
    fn a_signature_verifies_only_for_its_fragments_and_its_key() {
        let fragments = json!({"medicationRequests": [{"id": "1"}]});
        let digest = prepare(&fragments, "2026-11-22T10:00:00+00:00");
        let data = sign(&digest, &key(7)).unwrap();
        verify(&data, &fragments, &public(&key(7))).unwrap();
        let other_key = verify(&data, &fragments, &public(&key(8))).unwrap_err();
        assert_eq!(other_key.diagnostics(), "Signature is invalid.");
        let changed = verify(&data, &json!({"medicationRequests": [{"id": "2"}]}), &public(&key(7))).unwrap_err();
        assert_eq!(changed.diagnostics(), "Signature doesn't match prescription.");
        assert_eq!(
            verify("not base64!", &fragments, &public(&key(7))).unwrap_err().code(),
            Some("FAILURE_TO_PROCESS_MESSAGE")
        );
    }
}
