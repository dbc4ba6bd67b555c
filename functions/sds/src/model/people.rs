//! People (users) and their role profiles: a role profile puts a person in an organisation with a
//! national RBAC job role (an R-code) and the activities (B-codes) granted to it explicitly. The
//! CIS2-style authorizer resolves a caller's role profile from these.

use serde::{Deserialize, Serialize};
use spine_shared::ports::{IndexKey, Item};

use super::{PERSON_SK, ROLE_GSI2_SK, encode, index_sk, org_staff_pk, person_pk, role_profile_pk, role_sk};

/// The national RBAC job roles the directory's role profiles hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum JobRole {
    #[serde(rename = "R8000")]
    ClinicalPractitioner,
    #[serde(rename = "R8001")]
    Nurse,
    #[serde(rename = "R8003")]
    HealthProfessional,
    #[serde(rename = "R8008")]
    AdminClinicalSupport,
    /// Reviews who accessed patients' records (the audit trail) and privacy alerts.
    #[serde(rename = "R0001")]
    PrivacyOfficer,
}

impl JobRole {
    pub fn code(self) -> &'static str {
        match self {
            JobRole::ClinicalPractitioner => "R8000",
            JobRole::Nurse => "R8001",
            JobRole::HealthProfessional => "R8003",
            JobRole::AdminClinicalSupport => "R8008",
            JobRole::PrivacyOfficer => "R0001",
        }
    }

    pub fn display(self) -> &'static str {
        match self {
            JobRole::ClinicalPractitioner => "Clinical Practitioner Access Role",
            JobRole::Nurse => "Nurse Access Role",
            JobRole::HealthProfessional => "Health Professional Access Role",
            JobRole::AdminClinicalSupport => "Admin/Clinical Support Access Role",
            JobRole::PrivacyOfficer => "Privacy Officer",
        }
    }
}

/// A user of the Spine (a CIS2 identity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The 12-digit user id (`uid`).
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    pub given: String,
    pub family: String,
}

impl Person {
    pub fn item(&self) -> Item {
        Item::new(person_pk(&self.user_id), PERSON_SK, encode(self))
    }
}

/// A person's role at one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleProfile {
    /// The 12-digit role profile id (what `NHSD-Session-URID` names).
    pub id: String,
    pub user_id: String,
    pub ods: String,
    pub job_role: JobRole,
    /// B-codes granted to this role profile explicitly.
    pub activities: Vec<String>,
    /// The public key prescriptions signed in this role are verified with (EPS): a P-256 point,
    /// SEC1 uncompressed, base64. Only prescribing roles have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
}

impl RoleProfile {
    /// Stored under its person, indexed by organisation and by its own id.
    pub fn item(&self) -> Item {
        Item::new(person_pk(&self.user_id), role_sk(&self.id), encode(self))
            .with_gsi1(IndexKey::new(org_staff_pk(&self.ods), index_sk(self.job_role.code(), &self.id)))
            .with_gsi2(IndexKey::new(role_profile_pk(&self.id), ROLE_GSI2_SK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_profile_is_found_by_person_organisation_and_id() {
        let r = RoleProfile {
            id: "555021935107".into(),
            user_id: "555021930100".into(),
            ods: "Y12345".into(),
            job_role: JobRole::ClinicalPractitioner,
            activities: vec!["B0820".into(), "B0825".into()],
            signing_key: None,
        };
        let item = r.item();
        assert_eq!((item.pk.as_str(), item.sk.as_str()), ("PERSON#555021930100", "ROLE#555021935107"));
        assert_eq!(item.gsi1.as_ref().unwrap().pk, "ORGSTAFF#Y12345");
        assert_eq!(item.gsi1.as_ref().unwrap().sk, "R8000|555021935107");
        assert_eq!(item.gsi2.as_ref().unwrap().pk, "ROLEPROFILE#555021935107");
        let v: serde_json::Value = serde_json::from_slice(&item.data).unwrap();
        assert_eq!(v["job_role"], "R8000");
    }
}
