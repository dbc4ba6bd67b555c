//! Prescribers' signing keys in the synthetic directory. Each prescribing role profile (clinical
//! practitioners, R8000) gets a P-256 key pair derived from its role profile id, so the local
//! Spine, the tests, the sample events and the benchmark can sign prescriptions as any synthetic
//! prescriber without a key store: the directory registers the public half, and
//! [`synthetic_signing_key`] gives the private half to whoever plays the prescriber. These keys
//! are public knowledge by construction: they exist for synthetic data only, never for real people.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};

use crate::model::{JobRole, RoleProfile};

/// Whether a role profile of this job role prescribes (and so has a signing key).
pub fn prescribes(job_role: JobRole) -> bool {
    job_role == JobRole::ClinicalPractitioner
}

/// The synthetic private key of a role profile: a scalar from SHA-256 of a label and the id
/// (re-hashed in the vanishing case that it is not a valid scalar).
pub fn synthetic_signing_key(role_profile_id: &str) -> SigningKey {
    let mut seed: [u8; 32] = Sha256::digest(format!("spine synthetic prescriber key:{role_profile_id}")).into();
    loop {
        if let Ok(key) = SigningKey::from_bytes(&seed.into()) {
            return key;
        }
        seed = Sha256::digest(seed).into();
    }
}

/// The public key as the directory registers it: SEC1 uncompressed, base64.
pub fn public_key_text(key: &SigningKey) -> String {
    STANDARD.encode(key.verifying_key().to_encoded_point(false).as_bytes())
}

/// The role profile with its synthetic signing key registered, if it prescribes.
pub fn with_signing_key(mut role: RoleProfile) -> RoleProfile {
    if prescribes(role.job_role) {
        role.signing_key = Some(public_key_text(&synthetic_signing_key(&role.id)));
    }
    role
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prescribers_key_is_stable_and_its_own() {
        let a = public_key_text(&synthetic_signing_key("555021935107"));
        assert_eq!(a, public_key_text(&synthetic_signing_key("555021935107")));
        assert_ne!(a, public_key_text(&synthetic_signing_key("555021935108")));
        assert_eq!(STANDARD.decode(&a).unwrap().len(), 65, "an uncompressed P-256 point");
    }
}
