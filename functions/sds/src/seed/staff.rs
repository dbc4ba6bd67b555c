//! The synthetic staff: people with role profiles at the organisations that have clinical or
//! administrative users — four at a GP practice (two clinical practitioners, a nurse, an
//! administrator), three at a trust, one at a pharmacy, dental practice, laboratory or council.
//! User ids count up from 600 000 000 001 and role profile ids from 700 000 000 001, in
//! directory order.

use crate::model::{JobRole, OrgType, Organisation, Person, RoleProfile};
use crate::seed::organisations::rng_for;

const GIVEN: [&str; 24] = [
    "Aisha", "Ben", "Chloe", "Daniel", "Eleanor", "Farhan", "Georgia", "Harry", "Isla", "Jack", "Kavya", "Liam",
    "Maya", "Noah", "Olivia", "Priya", "Rory", "Sophie", "Tariq", "Una", "Victor", "Willow", "Yusuf", "Zara",
];
const FAMILY: [&str; 24] = [
    "Ashworth",
    "Bradshaw",
    "Chowdhury",
    "Dlamini",
    "Ellison",
    "Fairbairn",
    "Gallagher",
    "Hussain",
    "Iqbal",
    "Jennings",
    "Kowalski",
    "Lindqvist",
    "Mensah",
    "Nakamura",
    "Oyelaran",
    "Pemberton",
    "Quinlan",
    "Rahman",
    "Sutcliffe",
    "Thackeray",
    "Underwood",
    "Varga",
    "Wainwright",
    "Yardley",
];

/// The activities (B-codes) granted explicitly to a role profile of this job role: B0820 (view
/// demographics) to all clinical and administrative roles, B0825 (amend demographics, which
/// includes B0820) to all of those but health professionals; a privacy officer holds B8001
/// (review the audit trail) and no access to records. The national RBAC baseline is not public;
/// these grants are ours.
pub fn activities(role: JobRole) -> Vec<String> {
    let codes: &[&str] = match role {
        JobRole::HealthProfessional => &["B0820"],
        JobRole::PrivacyOfficer => &["B8001"],
        _ => &["B0820", "B0825"],
    };
    codes.iter().map(|c| c.to_string()).collect()
}

/// The job roles of the staff an organisation of this type has.
fn staffing(kind: OrgType) -> &'static [JobRole] {
    use JobRole::*;
    match kind {
        OrgType::GpPractice => &[ClinicalPractitioner, ClinicalPractitioner, Nurse, AdminClinicalSupport],
        OrgType::NhsTrust => &[ClinicalPractitioner, Nurse, AdminClinicalSupport],
        OrgType::Pharmacy | OrgType::DentalPractice | OrgType::Laboratory => &[HealthProfessional],
        OrgType::LocalAuthority => &[AdminClinicalSupport],
        _ => &[],
    }
}

/// The next user and role profile numbers.
pub struct StaffIds {
    user: u64,
    role: u64,
}

impl Default for StaffIds {
    fn default() -> Self {
        StaffIds { user: 600_000_000_001, role: 700_000_000_001 }
    }
}

/// The staff of one organisation, each with one role profile there.
pub fn staff_of(org: &Organisation, ids: &mut StaffIds) -> Vec<(Person, RoleProfile)> {
    let mut out = Vec::new();
    for &job_role in staffing(org.kind) {
        let user_id = ids.user.to_string();
        let role_id = ids.role.to_string();
        ids.user += 1;
        ids.role += 1;
        let mut rng = rng_for(&user_id);
        let prefix = (job_role == JobRole::ClinicalPractitioner).then(|| "Dr".to_owned());
        let person = Person {
            user_id: user_id.clone(),
            prefix,
            given: rng.pick(&GIVEN).to_string(),
            family: rng.pick(&FAMILY).to_string(),
        };
        let role = super::signing_keys::with_signing_key(RoleProfile {
            id: role_id,
            user_id,
            ods: org.ods.clone(),
            job_role,
            activities: activities(job_role),
            signing_key: None,
        });
        out.push((person, role));
    }
    out
}
