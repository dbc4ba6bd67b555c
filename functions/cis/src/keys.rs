//! P-256 public keys as JSON Web Keys (RFC 7517) and their RFC 7638 thumbprints. Every key the
//! Spine signs with (the local PEM key and the KMS key alike) and every key a client registers is
//! named by its thumbprint, so a `kid` is derived from the key itself and never chosen by hand.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::PublicKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::DecodePrivateKey;
use sha2::{Digest, Sha256};
use spine_shared::identity::{Jwk, TokenSigner};
use spine_shared::{SpineError, SpineResult};

/// The RFC 7638 thumbprint of an EC P-256 key: base64url (no padding) of the SHA-256 of the
/// key's required members in lexicographic order, without whitespace.
pub fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The public JWK of a P-256 key: `kid` is its thumbprint, `use` sig, `alg` ES256.
pub fn jwk_of(key: &PublicKey) -> Jwk {
    let point = key.to_encoded_point(false);
    // An uncompressed point of a valid public key always has both coordinates.
    let x = URL_SAFE_NO_PAD.encode(point.x().map(|c| c.as_slice()).unwrap_or_default());
    let y = URL_SAFE_NO_PAD.encode(point.y().map(|c| c.as_slice()).unwrap_or_default());
    Jwk {
        kty: "EC".into(),
        crv: "P-256".into(),
        kid: thumbprint(&x, &y),
        x,
        y,
        use_: Some("sig".into()),
        alg: Some("ES256".into()),
    }
}

/// The P-256 public key a JWK describes, if it is an EC P-256 signing key with valid coordinates
/// (a point on the curve). Keys for other algorithms or uses are `None`.
pub fn public_key_of(jwk: &Jwk) -> Option<PublicKey> {
    PublicKey::from_sec1_bytes(&spine_shared::identity::tokens::es256_point(jwk)?).ok()
}

/// The public JWK of a PKCS#8 PEM P-256 private key.
pub fn jwk_from_pem(pkcs8_pem: &str) -> SpineResult<Jwk> {
    let secret = p256::SecretKey::from_pkcs8_pem(pkcs8_pem)
        .map_err(|_| SpineError::internal("signing key is not a P-256 PKCS#8 PEM key"))?;
    Ok(jwk_of(&secret.public_key()))
}

/// A token signer for a PKCS#8 PEM P-256 private key, published under its thumbprint.
pub fn signer_from_pem(pkcs8_pem: &str, issuer: &str) -> SpineResult<TokenSigner> {
    let jwk = jwk_from_pem(pkcs8_pem)?;
    TokenSigner::from_pem(pkcs8_pem, &jwk.kid, issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1 works the thumbprint of an RSA key; this is the same construction on the
    /// EC example key of RFC 7517 appendix A.1, checked against an independent computation
    /// (`printf '{"crv":"P-256","kty":"EC","x":"…","y":"…"}' | sha256sum | xxd -r -p | base64url`).
    #[test]
    fn the_thumbprint_hashes_the_canonical_members() {
        let x = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
        let y = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";
        assert_eq!(thumbprint(x, y), "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s");
    }

    #[test]
    fn a_pem_key_round_trips_through_its_jwk() {
        let pem = spine_shared::identity::generate_p256_pkcs8_pem().unwrap();
        let jwk = jwk_from_pem(&pem).unwrap();
        assert_eq!(jwk.kid, thumbprint(&jwk.x, &jwk.y));
        let key = public_key_of(&jwk).unwrap();
        assert_eq!(jwk_of(&key), jwk);
        let signer = signer_from_pem(&pem, "https://issuer").unwrap();
        assert_eq!(signer.jwk(), &jwk);
    }

    #[test]
    fn keys_that_are_not_p256_signing_keys_are_refused() {
        let pem = spine_shared::identity::generate_p256_pkcs8_pem().unwrap();
        let good = jwk_from_pem(&pem).unwrap();
        for bad in [
            Jwk { kty: "RSA".into(), ..good.clone() },
            Jwk { crv: "P-384".into(), ..good.clone() },
            Jwk { alg: Some("RS512".into()), ..good.clone() },
            Jwk { use_: Some("enc".into()), ..good.clone() },
            Jwk { x: "AAAA".into(), ..good.clone() },
            Jwk { y: good.x.clone(), ..good.clone() },
        ] {
            assert!(public_key_of(&bad).is_none(), "{bad:?}");
        }
    }
}
