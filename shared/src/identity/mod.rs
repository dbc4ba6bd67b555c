//! Who is calling: the caller's [`Identity`] in one of the three access modes of the NHS API
//! platform (healthcare worker with a CIS2-style role profile, application-restricted, patient with
//! an NHS login–style vector of trust), the JWT [`Claims`] the Spine issues for it, and [`Denial`],
//! why a caller is turned away (401 unauthenticated or 403 not allowed). [`tokens`] signs and
//! verifies the tokens; [`policy`] decides whether an identity may call a route.
//!
//! The pipeline (`pipeline::access`) authenticates every call to a protected route, then asks the
//! policy; the API Gateway authorizer and the local gateway verify tokens with the same code.

pub mod policy;
#[cfg(feature = "tokens")]
pub mod tokens;

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ErrorCode, NhsNumber, SpineError};

pub use policy::Policy;
#[cfg(feature = "tokens")]
pub use tokens::{Jwk, Jwks, TokenSigner, TokenVerifier, generate_p256_pkcs8_pem};

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECONDS: i64 = 30;

/// The access modes of the NHS API platform, spelled as `shared/routes.json` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessMode {
    /// User-restricted: a member of staff with a CIS2 smartcard or equivalent, acting in one role.
    HealthcareWorker,
    /// Application-restricted: a system with no user (signed-JWT client credentials).
    Application,
    /// User-restricted: a patient signed in with NHS login, limited to their own record.
    Patient,
}

impl AccessMode {
    /// The name used in the route table and in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::HealthcareWorker => "healthcare-worker",
            AccessMode::Application => "application",
            AccessMode::Patient => "patient",
        }
    }
}

/// A verified caller: the token subject and what the access mode says about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The token's `sub`: the user id, the application's client id or the patient's NHS login id.
    pub subject: String,
    pub principal: Principal,
}

/// The caller's details in its access mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    HealthcareWorker(HealthcareWorker),
    Application(Application),
    Patient(Patient),
}

/// A member of staff acting in one role profile (CIS2 `selected_roleid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthcareWorker {
    /// The CIS user id (UUID, `NHSD-User-Identity`).
    pub user_id: String,
    /// The selected role profile (`NHSD-Session-URID`), e.g. `555021935107`.
    pub role_profile_id: String,
    /// The job role R-code of that role profile, e.g. `R8000`.
    pub job_role: String,
    /// The ODS code of the organisation the role is held at.
    pub organisation: String,
    /// The B-code activities of the role profile (the role's baseline is added by the policy).
    pub activities: Vec<String>,
}

/// A system calling with no user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The client id the application authenticated with.
    pub client_id: String,
    /// Its accredited system id, when it has one.
    pub asid: Option<String>,
    /// The ODS code of the organisation that runs it.
    pub organisation: String,
}

/// A patient (NHS login). Debug redacts the NHS number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    pub nhs_number: NhsNumber,
    /// The NHS login vector of trust (RFC 8485 `vot`), e.g. `P9.Cp.Cd`.
    pub vector_of_trust: String,
}

impl Identity {
    pub fn access_mode(&self) -> AccessMode {
        match self.principal {
            Principal::HealthcareWorker(_) => AccessMode::HealthcareWorker,
            Principal::Application(_) => AccessMode::Application,
            Principal::Patient(_) => AccessMode::Patient,
        }
    }
}

/// The claims of an access token the Spine issues: the registered claims, then the identity under
/// plain names, only those of its access mode present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    pub access_mode: AccessMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_profile_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nhs_number: Option<NhsNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_of_trust: Option<String>,
}

impl Claims {
    /// The claims for an identity; `nbf` is left out (the verifier checks it when present).
    pub fn new(identity: &Identity, iss: &str, aud: &str, iat: i64, exp: i64, jti: String) -> Self {
        let mut c = Claims {
            iss: iss.to_owned(),
            aud: aud.to_owned(),
            sub: identity.subject.clone(),
            iat,
            exp,
            nbf: None,
            jti,
            access_mode: identity.access_mode(),
            user_id: None,
            role_profile_id: None,
            job_role: None,
            organisation: None,
            activities: Vec::new(),
            client_id: None,
            asid: None,
            nhs_number: None,
            vector_of_trust: None,
        };
        match &identity.principal {
            Principal::HealthcareWorker(w) => {
                c.user_id = Some(w.user_id.clone());
                c.role_profile_id = Some(w.role_profile_id.clone());
                c.job_role = Some(w.job_role.clone());
                c.organisation = Some(w.organisation.clone());
                c.activities = w.activities.clone();
            }
            Principal::Application(a) => {
                c.client_id = Some(a.client_id.clone());
                c.asid = a.asid.clone();
                c.organisation = Some(a.organisation.clone());
            }
            Principal::Patient(p) => {
                c.nhs_number = Some(p.nhs_number);
                c.vector_of_trust = Some(p.vector_of_trust.clone());
            }
        }
        c
    }

    /// The identity the claims describe; a claim its access mode needs is missing → 401.
    pub fn into_identity(self) -> Result<Identity, Denial> {
        fn need<T>(v: Option<T>, claim: &'static str) -> Result<T, Denial> {
            v.ok_or_else(|| Denial::unauthenticated(format!("token lacks the {claim} claim its access mode needs")))
        }
        let principal = match self.access_mode {
            AccessMode::HealthcareWorker => Principal::HealthcareWorker(HealthcareWorker {
                user_id: need(self.user_id, "user_id")?,
                role_profile_id: need(self.role_profile_id, "role_profile_id")?,
                job_role: need(self.job_role, "job_role")?,
                organisation: need(self.organisation, "organisation")?,
                activities: self.activities,
            }),
            AccessMode::Application => Principal::Application(Application {
                client_id: need(self.client_id, "client_id")?,
                asid: self.asid,
                organisation: need(self.organisation, "organisation")?,
            }),
            AccessMode::Patient => Principal::Patient(Patient {
                nhs_number: need(self.nhs_number, "nhs_number")?,
                vector_of_trust: need(self.vector_of_trust, "vector_of_trust")?,
            }),
        };
        Ok(Identity { subject: self.sub, principal })
    }
}

/// Whether a denial is about who the caller is (401) or what they may do (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenialKind {
    /// No token, or one that is malformed, badly signed, expired or not meant for us: 401.
    Unauthenticated,
    /// A valid caller whose access mode or activities do not allow the route: 403.
    Forbidden,
}

/// Why a caller is turned away. The reason is for the audit trail and the log; it never holds
/// token contents or patient data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub kind: DenialKind,
    pub reason: Cow<'static, str>,
}

impl Denial {
    pub fn unauthenticated(reason: impl Into<Cow<'static, str>>) -> Self {
        Denial { kind: DenialKind::Unauthenticated, reason: reason.into() }
    }

    pub fn forbidden(reason: impl Into<Cow<'static, str>>) -> Self {
        Denial { kind: DenialKind::Forbidden, reason: reason.into() }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Denial {}

/// 401 answers with a fixed diagnostic (the reason stays in the log, so a caller probing tokens
/// learns nothing); 403 names the missing access mode or activity, which helps the caller and
/// reveals nothing about anyone else.
impl From<Denial> for SpineError {
    fn from(d: Denial) -> Self {
        match d.kind {
            DenialKind::Unauthenticated => {
                SpineError::new(ErrorCode::AccessDenied, "Missing, invalid or expired access token")
            }
            DenialKind::Forbidden => SpineError::new(ErrorCode::Forbidden, d.reason),
        }
    }
}

/// Identities for the tests of this module and its children.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// Dr Amelia Hart's role profile at Boar Lane (the seeded `555021935107`), with this role
    /// and these role-profile activities.
    pub fn worker(job_role: &str, activities: &[&str]) -> Identity {
        Identity {
            subject: "a1b2c3d4-0000-4000-8000-000000000001".into(),
            principal: Principal::HealthcareWorker(HealthcareWorker {
                user_id: "a1b2c3d4-0000-4000-8000-000000000001".into(),
                role_profile_id: "555021935107".into(),
                job_role: job_role.into(),
                organisation: "Y12345".into(),
                activities: activities.iter().map(|a| (*a).to_owned()).collect(),
            }),
        }
    }

    pub fn application() -> Identity {
        Identity {
            subject: "boar-lane-gp-system".into(),
            principal: Principal::Application(Application {
                client_id: "boar-lane-gp-system".into(),
                asid: Some("200000000101".into()),
                organisation: "Y12345".into(),
            }),
        }
    }

    pub fn patient() -> Identity {
        Identity {
            subject: "nhs-login-5f2e".into(),
            principal: Principal::Patient(Patient {
                nhs_number: NhsNumber::parse("9000000009").unwrap(),
                vector_of_trust: "P9.Cp.Cd".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_modes_use_the_route_table_spelling() {
        for m in [AccessMode::HealthcareWorker, AccessMode::Application, AccessMode::Patient] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
    }

    #[test]
    fn debug_never_prints_the_nhs_number() {
        let id = fixtures::patient();
        assert!(!format!("{id:?}").contains("9000000009"));
        let claims = Claims::new(&id, "iss", "aud", 0, 1, "j".into());
        assert!(!format!("{claims:?}").contains("9000000009"));
        assert_eq!(claims.into_identity().unwrap(), id);
    }

    #[test]
    fn missing_mode_claims_are_unauthenticated() {
        let mut c = Claims::new(&fixtures::application(), "iss", "aud", 0, 1, "j".into());
        c.access_mode = AccessMode::Patient;
        assert_eq!(c.into_identity().unwrap_err().kind, DenialKind::Unauthenticated);
    }

    #[test]
    fn denials_map_to_401_and_403() {
        let e: SpineError = Denial::unauthenticated("signature invalid").into();
        assert_eq!(e.status(), 401);
        assert!(!e.diagnostics.contains("signature"));
        let e: SpineError = Denial::forbidden("role R8010 lacks B0825").into();
        assert_eq!((e.status(), e.diagnostics.as_str()), (403, "role R8010 lacks B0825"));
    }
}
