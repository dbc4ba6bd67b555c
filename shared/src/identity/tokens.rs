//! ES256 access tokens: [`TokenSigner`] mints them from a P-256 key (PKCS#8 PEM), [`TokenVerifier`]
//! checks them against a [`Jwks`] (RFC 7517) and returns the caller's [`Identity`] or a [`Denial`].
//!
//! `jsonwebtoken` is built with no crypto backend of its own: this module installs an ES256-only
//! provider on the RustCrypto `p256` crate, so no RSA, EdDSA, HMAC or P-384 code is compiled or
//! linked, and even a token whose header slipped past the algorithm check could not be verified
//! with anything but ES256. `generate_p256_pkcs8_pem` makes a key for the local Spine's data dir.

use std::fmt;
use std::sync::Once;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{ErrorKind, Result as JwtResult};
use jsonwebtoken::signature::{Error as SignatureError, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Claims, Denial, Identity};
use crate::{SpineError, SpineResult};

pub use super::LEEWAY_SECONDS;
/// Longer strings are refused before any parsing: our tokens are well under 2 KiB.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// A new P-256 private key as PKCS#8 PEM, from the operating system's random source.
pub fn generate_p256_pkcs8_pem() -> SpineResult<String> {
    let key = p256::SecretKey::random(&mut rand_core::OsRng);
    let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(SpineError::internal)?;
    Ok(pem.to_string())
}

/// Signs access tokens with one P-256 key.
pub struct TokenSigner {
    kid: String,
    issuer: String,
    key: EncodingKey,
    public: Jwk,
}

/// Names the key, never prints it.
impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSigner").field("kid", &self.kid).field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// A signer for a PKCS#8 PEM P-256 private key, publishing it under `kid`.
    pub fn from_pem(pkcs8_pem: &str, kid: &str, issuer: &str) -> SpineResult<Self> {
        let secret = p256::SecretKey::from_pkcs8_pem(pkcs8_pem)
            .map_err(|e| SpineError::internal(format!("signing key is not a P-256 PKCS#8 PEM key: {e}")))?;
        let der = secret.to_pkcs8_der().map_err(SpineError::internal)?;
        let point = secret.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(SpineError::internal("P-256 public key has no affine coordinates"));
        };
        let public = Jwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
            kid: kid.to_owned(),
            use_: Some("sig".into()),
            alg: Some("ES256".into()),
        };
        Ok(TokenSigner {
            kid: kid.to_owned(),
            issuer: issuer.to_owned(),
            key: EncodingKey::from_ec_der(der.as_bytes()),
            public,
        })
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.public
    }

    /// A token for `identity`, meant for `audience`, valid for `ttl` from now.
    pub fn mint(&self, identity: &Identity, audience: &str, ttl: Duration) -> SpineResult<String> {
        self.mint_at(identity, audience, ttl, OffsetDateTime::now_utc())
    }

    /// As [`TokenSigner::mint`], issued at `now`.
    pub fn mint_at(
        &self,
        identity: &Identity,
        audience: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> SpineResult<String> {
        ensure_provider();
        let iat = now.unix_timestamp();
        let exp = iat.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let claims = Claims::new(identity, &self.issuer, audience, iat, exp, uuid::Uuid::new_v4().to_string());
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(SpineError::internal)
    }
}

/// An RFC 7517 JSON Web Key; only EC P-256 signing keys are used, other members are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub crv: String,
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub y: String,
    #[serde(default)]
    pub kid: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

/// A JWK Set: what the Spine publishes and what a verifier trusts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn from_signer(signer: &TokenSigner) -> Self {
        Jwks { keys: vec![signer.jwk().clone()] }
    }
}

/// Verifies access tokens from one issuer for one audience.
pub struct TokenVerifier {
    issuer: String,
    audience: String,
    keys: Vec<(String, DecodingKey)>,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("TokenVerifier")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("kids", &kids)
            .finish()
    }
}

impl TokenVerifier {
    /// Trusts the set's EC P-256 signing keys that have a `kid` and valid coordinates; any other
    /// key is skipped with a warning.
    pub fn new(issuer: &str, audience: &str, jwks: &Jwks) -> Self {
        let mut keys = Vec::new();
        for jwk in &jwks.keys {
            match sec1_point(jwk) {
                Some(point) => keys.push((jwk.kid.clone(), DecodingKey::from_ec_der(&point))),
                None => tracing::warn!(kid = %jwk.kid, kty = %jwk.kty, "JWKS key skipped: not a usable ES256 key"),
            }
        }
        TokenVerifier { issuer: issuer.to_owned(), audience: audience.to_owned(), keys }
    }

    /// The caller's identity if `token` is a well-formed ES256 token signed by a trusted key, from
    /// our issuer, for our audience, and current at `now`; otherwise a 401 [`Denial`].
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<Identity, Denial> {
        self.verify_claims(token, now)?.into_identity()
    }

    /// As [`TokenVerifier::verify`], returning the verified claims (which the API Gateway
    /// authorizer passes on to the functions); they are checked to describe a complete identity.
    pub fn verify_claims(&self, token: &str, now: OffsetDateTime) -> Result<Claims, Denial> {
        ensure_provider();
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(Denial::unauthenticated("token is empty or too long"));
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Denial::unauthenticated("malformed token"))?;
        if header.alg != Algorithm::ES256 {
            return Err(Denial::unauthenticated(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| Denial::unauthenticated("token has no kid"))?;
        let (_, key) = self
            .keys
            .iter()
            .find(|(k, _)| *k == kid)
            .ok_or_else(|| Denial::unauthenticated("token names a key we do not trust"))?;

        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_exp = false; // checked below against `now`
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| {
                Denial::unauthenticated(match e.kind() {
                    ErrorKind::InvalidSignature => "signature does not verify",
                    ErrorKind::InvalidIssuer => "token is from another issuer",
                    ErrorKind::InvalidAudience => "token is for another audience",
                    ErrorKind::MissingRequiredClaim(_) => "token lacks a required claim",
                    _ => "malformed token",
                })
            })?
            .claims;

        let now = now.unix_timestamp();
        if claims.exp <= now - LEEWAY_SECONDS {
            return Err(Denial::unauthenticated("token has expired"));
        }
        if claims.iat > now + LEEWAY_SECONDS || claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECONDS) {
            return Err(Denial::unauthenticated("token is not valid yet"));
        }
        if claims.iat > claims.exp {
            return Err(Denial::unauthenticated("token expires before it was issued"));
        }
        claims.clone().into_identity()?;
        Ok(claims)
    }
}

/// The uncompressed SEC1 point of a usable ES256 JWK with a `kid`.
fn sec1_point(jwk: &Jwk) -> Option<Vec<u8>> {
    if jwk.kid.is_empty() {
        return None;
    }
    es256_point(jwk)
}

/// The uncompressed SEC1 point of an EC P-256 signing JWK (ES256 or no `alg`, `sig` or no `use`)
/// whose coordinates are a point on the curve.
pub fn es256_point(jwk: &Jwk) -> Option<Vec<u8>> {
    let usable = jwk.kty == "EC"
        && jwk.crv == "P-256"
        && jwk.alg.as_deref().is_none_or(|a| a == "ES256")
        && jwk.use_.as_deref().is_none_or(|u| u == "sig");
    if !usable {
        return None;
    }
    let (x, y) = (URL_SAFE_NO_PAD.decode(&jwk.x).ok()?, URL_SAFE_NO_PAD.decode(&jwk.y).ok()?);
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let point = [&[0x04][..], &x, &y].concat();
    VerifyingKey::from_sec1_bytes(&point).ok().map(|_| point)
}

/// The process's `jsonwebtoken` crypto provider: ES256 on `p256`, nothing else.
static ES256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: es256_signer,
    verifier_factory: es256_verifier,
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// Installs [`ES256_ONLY`] once. Should another provider already be installed, it is kept: our
/// `Validation` admits ES256 alone whichever provider runs.
fn ensure_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = ES256_ONLY.install_default();
    });
}

fn es256_signer(alg: &Algorithm, key: &EncodingKey) -> JwtResult<Box<dyn JwtSigner>> {
    if *alg != Algorithm::ES256 || key.family() != AlgorithmFamily::Ec {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let key = SigningKey::from_pkcs8_der(key.inner()).map_err(|_| ErrorKind::InvalidEcdsaKey)?;
    Ok(Box::new(Es256Signer(key)))
}

fn es256_verifier(alg: &Algorithm, key: &DecodingKey) -> JwtResult<Box<dyn JwtVerifier>> {
    if *alg != Algorithm::ES256 || key.family() != AlgorithmFamily::Ec {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let key = VerifyingKey::from_sec1_bytes(key.as_bytes()).map_err(|_| ErrorKind::InvalidEcdsaKey)?;
    Ok(Box::new(Es256Verifier(key)))
}

struct Es256Signer(SigningKey);

impl Signer<Vec<u8>> for Es256Signer {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let signature: Signature = self.0.try_sign(msg)?;
        Ok(signature.to_vec())
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

struct Es256Verifier(VerifyingKey);

impl Verifier<Vec<u8>> for Es256Verifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), SignatureError> {
        self.0.verify(msg, &Signature::from_slice(signature)?)
    }
}

impl JwtVerifier for Es256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

#[cfg(test)]
mod tests;
