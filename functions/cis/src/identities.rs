//! The identities tokens are minted for, built from what the Spine knows: a healthcare worker
//! from a Spine Directory person and the role profile they act in (CIS2's `selected_roleid`), a
//! patient from an NHS number and NHS login subject, an application from its registration. The
//! token endpoint, the local Spine's ready-made tokens and `spine token` all build them here.

use spine_sds::model::{Person, RoleProfile};
use spine_shared::NhsNumber;
use spine_shared::identity::{Application, HealthcareWorker, Identity, Patient, Principal};

use crate::clients::Client;

/// Why no role profile could be chosen for a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChoice {
    /// The selected role profile is not one of theirs.
    NotTheirs,
    /// They hold several and none was selected: their ids.
    Required(Vec<String>),
    /// They hold none.
    NoRole,
}

impl RoleChoice {
    /// Says what went wrong (role profile ids are not secret; the caller has authenticated).
    pub fn describe(&self) -> String {
        match self {
            RoleChoice::NotTheirs => "selected_roleid is not one of this user's role profiles".into(),
            RoleChoice::Required(ids) => {
                format!("selected_roleid is required: this user holds role profiles {}", ids.join(", "))
            }
            RoleChoice::NoRole => "This user holds no role profile".into(),
        }
    }
}

/// The role profile a worker acts in: the selected one, or their only one.
pub fn choose_role<'a>(roles: &'a [RoleProfile], selected: Option<&str>) -> Result<&'a RoleProfile, RoleChoice> {
    match (selected, roles) {
        (Some(id), _) => roles.iter().find(|r| r.id == id).ok_or(RoleChoice::NotTheirs),
        (None, []) => Err(RoleChoice::NoRole),
        (None, [only]) => Ok(only),
        (None, several) => Err(RoleChoice::Required(several.iter().map(|r| r.id.clone()).collect())),
    }
}

/// A healthcare worker acting in `role`.
pub fn worker(person: &Person, role: &RoleProfile) -> Identity {
    Identity {
        subject: person.user_id.clone(),
        principal: Principal::HealthcareWorker(HealthcareWorker {
            user_id: person.user_id.clone(),
            role_profile_id: role.id.clone(),
            job_role: role.job_role.code().to_owned(),
            organisation: role.ods.clone(),
            activities: role.activities.clone(),
        }),
    }
}

/// A patient signed in with NHS login.
pub fn patient(nhs_number: NhsNumber, subject: &str, vector_of_trust: &str) -> Identity {
    Identity {
        subject: subject.to_owned(),
        principal: Principal::Patient(Patient { nhs_number, vector_of_trust: vector_of_trust.to_owned() }),
    }
}

/// A registered application.
pub fn application(client: &Client) -> Identity {
    Identity {
        subject: client.client_id.clone(),
        principal: Principal::Application(Application {
            client_id: client.client_id.clone(),
            asid: client.asid.clone(),
            organisation: client.organisation.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spine_sds::seed::reference::people;

    #[test]
    fn the_only_role_is_chosen_and_several_need_a_selection() {
        let all = people();
        let (hart, hart_roles) = &all[0];
        let (_, okafor_roles) = &all[1];
        assert_eq!(choose_role(okafor_roles, None).unwrap().id, okafor_roles[0].id);
        let e = choose_role(hart_roles, None).unwrap_err();
        assert_eq!(e, RoleChoice::Required(vec!["555021935107".into(), "555021935108".into()]));
        assert!(e.describe().contains("555021935107, 555021935108"));
        assert_eq!(choose_role(hart_roles, Some(&okafor_roles[0].id)).unwrap_err(), RoleChoice::NotTheirs);
        assert_eq!(choose_role(&[], None).unwrap_err(), RoleChoice::NoRole);
        let role = choose_role(hart_roles, Some("555021935108")).unwrap();
        let Principal::HealthcareWorker(w) = worker(hart, role).principal else { panic!("a worker") };
        assert_eq!((w.job_role.as_str(), w.organisation.as_str()), ("R8000", "B13001"));
    }
}
