//! Compact JWS with ES256 only (RFC 7515; RFC 7518 §3.4): the signing input of a header and
//! claims, the JOSE form of an ECDSA P-256 signature (`r‖s`, 64 bytes), and the parsing and
//! verification of a token against a P-256 key. A token naming any other algorithm (`none`,
//! `HS256`, `RS512`, …) is refused before a key is looked at, so no algorithm confusion is
//! possible. Used where the Spine signs without `jsonwebtoken`'s encoder (KMS) and where it
//! verifies a client's assertion against the client's own keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::PublicKey;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use spine_shared::{SpineError, SpineResult};

/// Longer strings are refused before any decoding.
pub const MAX_JWS_LEN: usize = 8 * 1024;

/// The protected header of an ES256 JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Extensions the signer says must be understood: we understand none, so any is refused.
    #[serde(default, skip_serializing)]
    pub crit: Option<serde_json::Value>,
}

impl Header {
    /// `{"alg":"ES256","typ":"JWT","kid":…}`.
    pub fn es256(kid: &str) -> Self {
        Header { alg: "ES256".into(), typ: Some("JWT".into()), kid: Some(kid.to_owned()), crit: None }
    }
}

/// `base64url(header).base64url(claims)`: what is signed.
pub fn signing_input<C: Serialize>(header: &Header, claims: &C) -> SpineResult<String> {
    let header = serde_json::to_vec(header).map_err(SpineError::internal)?;
    let claims = serde_json::to_vec(claims).map_err(SpineError::internal)?;
    Ok(format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims)))
}

/// The compact token: the signing input and the signature in its JOSE form. A high-S signature
/// (as KMS may return) is normalised to low-S, which every verifier accepts.
pub fn assemble(signing_input: &str, signature: &Signature) -> String {
    let signature = signature.normalize_s().unwrap_or(*signature);
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Signs `claims` with a local P-256 key.
pub fn sign<C: Serialize>(header: &Header, claims: &C, key: &SigningKey) -> SpineResult<String> {
    let input = signing_input(header, claims)?;
    let signature: Signature = key.try_sign(input.as_bytes()).map_err(SpineError::internal)?;
    Ok(assemble(&input, &signature))
}

/// Why a token could not be read or verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsError {
    /// Not three base64url parts, a header or claims that are not JSON, or too long.
    Malformed,
    /// The header names an algorithm other than ES256 (or a `crit` extension).
    Algorithm,
    /// The signature does not verify with the key.
    Signature,
}

/// A parsed, not yet verified, ES256 token.
#[derive(Debug)]
pub struct Unverified<'a> {
    pub header: Header,
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// Splits and decodes a compact JWS and checks its header names ES256.
pub fn parse(token: &str) -> Result<Unverified<'_>, JwsError> {
    if token.is_empty() || token.len() > MAX_JWS_LEN {
        return Err(JwsError::Malformed);
    }
    let (signing_input, signature) = token.rsplit_once('.').ok_or(JwsError::Malformed)?;
    let (header, payload) = signing_input.split_once('.').ok_or(JwsError::Malformed)?;
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| JwsError::Malformed);
    let header: Header = serde_json::from_slice(&decode(header)?).map_err(|_| JwsError::Malformed)?;
    if header.alg != "ES256" || header.crit.is_some() {
        return Err(JwsError::Algorithm);
    }
    Ok(Unverified { header, signing_input, payload: decode(payload)?, signature: decode(signature)? })
}

impl Unverified<'_> {
    /// The claims, before the signature is checked: only to find which key to check it with.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, JwsError> {
        serde_json::from_slice(&self.payload).map_err(|_| JwsError::Malformed)
    }

    /// Checks the signature with `key`.
    pub fn verify(&self, key: &PublicKey) -> Result<(), JwsError> {
        let signature = Signature::from_slice(&self.signature).map_err(|_| JwsError::Signature)?;
        VerifyingKey::from(key).verify(self.signing_input.as_bytes(), &signature).map_err(|_| JwsError::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn key() -> SigningKey {
        SigningKey::random(&mut rand_core::OsRng)
    }

    #[test]
    fn a_signed_token_verifies_with_its_key_only() {
        let k = key();
        let token = sign(&Header::es256("k1"), &json!({"sub": "a"}), &k).unwrap();
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.header.kid.as_deref(), Some("k1"));
        assert_eq!(parsed.claims::<Value>().unwrap()["sub"], "a");
        assert_eq!(parsed.verify(&(*k.verifying_key()).into()), Ok(()));
        assert_eq!(parsed.verify(&(*key().verifying_key()).into()), Err(JwsError::Signature));
    }

    #[test]
    fn a_changed_payload_no_longer_verifies() {
        let k = key();
        let token = sign(&Header::es256("k1"), &json!({"sub": "a"}), &k).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(br#"{"sub":"b"}"#), parts[2]);
        assert_eq!(parse(&forged).unwrap().verify(&(*k.verifying_key()).into()), Err(JwsError::Signature));
    }

    #[test]
    fn other_algorithms_and_critical_extensions_are_refused() {
        let enc = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        for header in [
            json!({"alg": "none"}),
            json!({"alg": "HS256", "kid": "k1"}),
            json!({"alg": "RS512", "kid": "k1"}),
            json!({"alg": "es256", "kid": "k1"}),
            json!({"alg": "ES256", "kid": "k1", "crit": ["exp"]}),
        ] {
            let token = format!("{}.{}.{}", enc(header.clone()), enc(json!({"sub": "a"})), "c2ln");
            assert_eq!(parse(&token).unwrap_err(), JwsError::Algorithm, "{header}");
        }
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let long = "a".repeat(MAX_JWS_LEN + 1);
        for bad in ["", "a", "a.b", "a.b.c.d", "!!.e30.c2ln", "e30=.e30.c2ln", long.as_str()] {
            assert_eq!(parse(bad).unwrap_err(), JwsError::Malformed, "{bad}");
        }
        let no_sig = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256"}"#), URL_SAFE_NO_PAD.encode("{}"));
        let parsed = parse(&no_sig).unwrap();
        assert_eq!(parsed.verify(&(*key().verifying_key()).into()), Err(JwsError::Signature));
    }
}
