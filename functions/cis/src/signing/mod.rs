//! Who signs the Spine's access tokens: [`TokenMinter`], implemented by shared's [`TokenSigner`]
//! (a P-256 PEM key on disk, the local Spine) and by [`KmsSigner`] (a KMS key, in AWS; feature
//! `kms`). Both publish the key under its RFC 7638 thumbprint and sign ES256, so the same
//! `TokenVerifier` checks tokens from either.

#[cfg(feature = "kms")]
mod kms;

use std::time::Duration;

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::identity::{Identity, Jwks, TokenSigner};

#[cfg(feature = "kms")]
pub use kms::KmsSigner;

/// Signs access tokens and publishes the public key that verifies them.
#[async_trait]
pub trait TokenMinter: Send + Sync {
    /// The public keys that verify this minter's tokens.
    fn jwks(&self) -> Jwks;

    /// A token for `identity`, meant for `audience`, valid for `ttl` from now.
    async fn mint(&self, identity: &Identity, audience: &str, ttl: Duration) -> SpineResult<String>;
}

#[async_trait]
impl TokenMinter for TokenSigner {
    fn jwks(&self) -> Jwks {
        Jwks::from_signer(self)
    }

    async fn mint(&self, identity: &Identity, audience: &str, ttl: Duration) -> SpineResult<String> {
        TokenSigner::mint(self, identity, audience, ttl)
    }
}

/// The minter of functions that sign nothing (`cis-create-episode`): it publishes no key and
/// refuses to mint, so such a function needs no access to the signing key.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSigner;

#[async_trait]
impl TokenMinter for NoSigner {
    fn jwks(&self) -> Jwks {
        Jwks::default()
    }

    async fn mint(&self, _identity: &Identity, _audience: &str, _ttl: Duration) -> SpineResult<String> {
        Err(spine_shared::SpineError::internal("this function has no signing key"))
    }
}
