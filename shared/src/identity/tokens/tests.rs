//! Tests of token minting and verification: round trips in every access mode, and every way a
//! token must be refused with 401 without a panic.

use std::sync::OnceLock;

use super::*;
use crate::identity::DenialKind;
use crate::identity::fixtures::{application, patient, worker};

const ISS: &str = "https://spine.local";
const AUD: &str = "https://spine.local/api";
const HOUR: Duration = Duration::from_secs(3600);

fn key_pem(n: usize) -> &'static str {
    static KEYS: OnceLock<[String; 2]> = OnceLock::new();
    &KEYS.get_or_init(|| [generate_p256_pkcs8_pem().unwrap(), generate_p256_pkcs8_pem().unwrap()])[n]
}

fn signer() -> TokenSigner {
    TokenSigner::from_pem(key_pem(0), "k1", ISS).unwrap()
}

fn verifier() -> TokenVerifier {
    TokenVerifier::new(ISS, AUD, &Jwks::from_signer(&signer()))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

fn minted() -> String {
    signer().mint_at(&worker("R8000", &["B0825"]), AUD, HOUR, now()).unwrap()
}

fn refused(token: &str) -> Denial {
    let denial = verifier().verify(token, now()).unwrap_err();
    assert_eq!(denial.kind, DenialKind::Unauthenticated, "{}", denial.reason);
    assert_eq!(SpineError::from(denial.clone()).status(), 401);
    denial
}

fn b64(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

#[test]
fn every_access_mode_round_trips() {
    for identity in [worker("R8000", &["B0825", "B0264"]), application(), patient()] {
        let token = signer().mint_at(&identity, AUD, HOUR, now()).unwrap();
        assert_eq!(verifier().verify(&token, now()).unwrap(), identity);
    }
}

#[test]
fn mint_uses_the_clock() {
    let token = signer().mint(&application(), AUD, HOUR).unwrap();
    assert!(verifier().verify(&token, OffsetDateTime::now_utc()).is_ok());
}

#[test]
fn the_header_names_es256_and_the_kid() {
    let header = jsonwebtoken::decode_header(minted()).unwrap();
    assert_eq!((header.alg, header.kid.as_deref(), header.typ.as_deref()), (Algorithm::ES256, Some("k1"), Some("JWT")));
}

#[test]
fn expiry_is_enforced_with_a_small_leeway() {
    let token = minted();
    let at = |s: i64| now() + time::Duration::seconds(s);
    assert!(verifier().verify(&token, at(3600 + LEEWAY_SECONDS - 1)).is_ok());
    let denial = verifier().verify(&token, at(3600 + LEEWAY_SECONDS)).unwrap_err();
    assert_eq!((denial.kind, denial.reason.as_ref()), (DenialKind::Unauthenticated, "token has expired"));
}

#[test]
fn a_token_issued_in_the_future_is_refused() {
    let token = minted();
    let denial = verifier().verify(&token, now() - time::Duration::seconds(LEEWAY_SECONDS + 1)).unwrap_err();
    assert_eq!(denial.reason, "token is not valid yet");
}

#[test]
fn another_issuer_or_audience_is_refused() {
    let other_issuer = TokenSigner::from_pem(key_pem(0), "k1", "https://elsewhere").unwrap();
    let token = other_issuer.mint_at(&application(), AUD, HOUR, now()).unwrap();
    assert_eq!(refused(&token).reason, "token is from another issuer");
    let token = signer().mint_at(&application(), "https://other-api", HOUR, now()).unwrap();
    assert_eq!(refused(&token).reason, "token is for another audience");
}

#[test]
fn a_tampered_payload_is_refused() {
    let token = minted();
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["job_role"] = "R8001".into();
    let forged = format!("{}.{}.{}", parts[0], b64(&claims.to_string()), parts[2]);
    assert_eq!(refused(&forged).reason, "signature does not verify");
}

#[test]
fn a_token_signed_by_another_key_is_refused() {
    let impostor = TokenSigner::from_pem(key_pem(1), "k1", ISS).unwrap();
    let token = impostor.mint_at(&application(), AUD, HOUR, now()).unwrap();
    assert_eq!(refused(&token).reason, "signature does not verify");
}

#[test]
fn an_unknown_kid_is_refused() {
    let other = TokenSigner::from_pem(key_pem(0), "k2", ISS).unwrap();
    let token = other.mint_at(&application(), AUD, HOUR, now()).unwrap();
    assert_eq!(refused(&token).reason, "token names a key we do not trust");
}

#[test]
fn alg_none_and_hmac_tokens_are_refused() {
    let claims = minted().split('.').nth(1).unwrap().to_owned();
    let none = format!("{}.{claims}.", b64(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#));
    refused(&none);
    for alg in ["HS256", "HS512", "RS256", "ES384", "EdDSA"] {
        let header = b64(&format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"k1"}}"#));
        let sig = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let denial = refused(&format!("{header}.{claims}.{sig}"));
        assert!(denial.reason.contains("is not accepted"), "{alg}: {}", denial.reason);
    }
}

#[test]
fn a_token_without_a_kid_is_refused() {
    let token = minted();
    let rest = token.split_once('.').unwrap().1;
    assert_eq!(refused(&format!("{}.{rest}", b64(r#"{"alg":"ES256","typ":"JWT"}"#))).reason, "token has no kid");
}

#[test]
fn malformed_strings_are_refused_without_a_panic() {
    let long = "a".repeat(MAX_TOKEN_LEN + 1);
    let header = b64(r#"{"alg":"ES256","kid":"k1"}"#);
    for junk in [
        "",
        "a.b",
        "a.b.c",
        "....",
        "garbage",
        "Bearer x.y.z",
        "\u{0}\u{ff}.é.ü",
        long.as_str(),
        &format!("{header}.e30.AAAA"),
        &format!("{header}.not base64!.AAAA"),
        &format!("{header}.{}.{}", b64("[]"), b64("x")),
    ] {
        refused(junk);
    }
}

#[test]
fn a_token_missing_identity_claims_is_refused() {
    // Signed by our key but carrying no healthcare-worker claims.
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k1".into());
    let iat = now().unix_timestamp();
    let claims = serde_json::json!({
        "iss": ISS, "aud": AUD, "sub": "x", "iat": iat, "exp": iat + 60, "jti": "j",
        "access_mode": "healthcare-worker"
    });
    let token = jsonwebtoken::encode(&header, &claims, &signer().key).unwrap();
    assert!(refused(&token).reason.contains("user_id"));
}

#[test]
fn the_jwks_publishes_the_public_key_only() {
    let jwks = serde_json::to_value(Jwks::from_signer(&signer())).unwrap();
    let key = &jwks["keys"][0];
    let mut members: Vec<&str> = key.as_object().unwrap().keys().map(String::as_str).collect();
    members.sort();
    assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["use"], &key["kid"]),
        (&"EC".into(), &"P-256".into(), &"ES256".into(), &"sig".into(), &"k1".into())
    );
    for c in ["x", "y"] {
        assert_eq!(URL_SAFE_NO_PAD.decode(key[c].as_str().unwrap()).unwrap().len(), 32);
    }
    let parsed: Jwks = serde_json::from_value(jwks).unwrap();
    assert_eq!(parsed, Jwks::from_signer(&signer()));
}

#[test]
fn unusable_jwks_keys_are_skipped() {
    let mut jwks: Jwks = serde_json::from_str(
        r#"{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-256","kid":"bad","x":"AA","y":"AA"}]}"#,
    )
    .unwrap();
    assert_eq!(format!("{:?}", TokenVerifier::new(ISS, AUD, &jwks)).matches("kids: []").count(), 1);
    jwks.keys.push(signer().jwk().clone());
    assert!(TokenVerifier::new(ISS, AUD, &jwks).verify(&minted(), now()).is_ok());
}

#[test]
fn keys_are_never_debug_printed() {
    let pem = key_pem(0);
    let printed = format!("{:?}", signer());
    assert!(printed.contains("k1") && !printed.contains("PRIVATE"));
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(TokenSigner::from_pem("not a key", "k", ISS).is_err());
}
