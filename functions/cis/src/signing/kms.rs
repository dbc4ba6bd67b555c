//! [`KmsSigner`]: access tokens signed by an AWS KMS key (key spec `ECC_NIST_P256`, usage
//! `SIGN_VERIFY`, env `SPINE_SIGNING_KEY_ID`), so the private key never leaves KMS. At cold
//! start `GetPublicKey` gives the SubjectPublicKeyInfo the JWKS publishes (under its RFC 7638
//! thumbprint); each token is one `Sign` call (`ECDSA_SHA_256` over the raw signing input), its DER
//! signature turned into the 64-byte JOSE form.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyUsageType, MessageType, SigningAlgorithmSpec};
use p256::ecdsa::Signature;
use p256::pkcs8::DecodePublicKey;
use spine_shared::identity::{Claims, Identity, Jwk, Jwks};
use spine_shared::{SpineError, SpineResult};
use time::OffsetDateTime;

use super::TokenMinter;
use crate::jws::{self, Header};
use crate::keys::jwk_of;

/// KMS signs at most 4096 bytes of raw message; our tokens are well under 2 KiB.
const MAX_RAW_MESSAGE: usize = 4096;

/// A token signer whose key lives in KMS.
pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    key_id: String,
    issuer: String,
    jwk: Jwk,
}

impl fmt::Debug for KmsSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsSigner").field("kid", &self.jwk.kid).field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl KmsSigner {
    /// Reads the key's public half from KMS (once, at cold start) and checks it is a P-256
    /// signing key.
    pub async fn connect(client: aws_sdk_kms::Client, key_id: &str, issuer: &str) -> SpineResult<Self> {
        let out = client
            .get_public_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| SpineError::internal(format!("KMS GetPublicKey failed: {}", DisplayErrorContext(e))))?;
        // The SubjectPublicKeyInfo names its curve, so parsing it as P-256 checks the key spec.
        if out.key_usage() != Some(&KeyUsageType::SignVerify) {
            return Err(SpineError::internal("the KMS signing key is not a SIGN_VERIFY key"));
        }
        let der = out.public_key().ok_or_else(|| SpineError::internal("KMS returned no public key"))?;
        let public = p256::PublicKey::from_public_key_der(der.as_ref())
            .map_err(|_| SpineError::internal("the KMS signing key is not an ECC_NIST_P256 key"))?;
        Ok(KmsSigner { client, key_id: key_id.to_owned(), issuer: issuer.to_owned(), jwk: jwk_of(&public) })
    }

    /// The signer Lambda's environment names: key `SPINE_SIGNING_KEY_ID`, the SDK configured as
    /// every other client is (`spine_shared::adapters::aws::config_from_env`).
    pub async fn from_env(issuer: &str) -> Result<Self, String> {
        let key_id = std::env::var("SPINE_SIGNING_KEY_ID").map_err(|_| "SPINE_SIGNING_KEY_ID is not set".to_owned())?;
        let config = spine_shared::adapters::aws::config_from_env()?;
        KmsSigner::connect(aws_sdk_kms::Client::new(&config), &key_id, issuer).await.map_err(|e| e.diagnostics)
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }
}

#[async_trait]
impl TokenMinter for KmsSigner {
    fn jwks(&self) -> Jwks {
        Jwks { keys: vec![self.jwk.clone()] }
    }

    async fn mint(&self, identity: &Identity, audience: &str, ttl: Duration) -> SpineResult<String> {
        let iat = OffsetDateTime::now_utc().unix_timestamp();
        let exp = iat.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let claims = Claims::new(identity, &self.issuer, audience, iat, exp, uuid::Uuid::new_v4().to_string());
        let input = jws::signing_input(&Header::es256(&self.jwk.kid), &claims)?;
        if input.len() > MAX_RAW_MESSAGE {
            return Err(SpineError::internal("token too large for a KMS raw signature"));
        }
        let out = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(input.as_bytes()))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(|e| SpineError::internal(format!("KMS Sign failed: {}", DisplayErrorContext(e))))?;
        let der = out.signature().ok_or_else(|| SpineError::internal("KMS returned no signature"))?;
        let signature =
            Signature::from_der(der.as_ref()).map_err(|_| SpineError::internal("KMS signature is not DER ECDSA"))?;
        Ok(jws::assemble(&input, &signature))
    }
}
