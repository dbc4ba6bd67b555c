//! Role-based access (`shared/policy.json`): which callers may call a route. The caller's access
//! mode must be one the route allows; a healthcare worker must also hold the route's activity
//! (B-code), from their role profile or their job role's baseline, directly or by inclusion
//! (B0825 Amend Patient Demographics includes B0820 View Patient Demographics).
//!
//! Applications and patients pass on their access mode alone here. What narrows them is checked by
//! the handlers, which see the request: a patient may reach only their own NHS number, and an
//! application-restricted caller only the searches and fields its product allows.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use super::{Denial, HealthcareWorker, Identity, Principal};
use crate::routes::Route;

const POLICY_JSON: &str = include_str!("../../policy.json");

/// Our activity for "any authenticated caller whose access mode the route allows".
pub const ANY_CALLER: &str = "B0000";

/// A CIS activity (B-code).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Activity {
    pub name: String,
    /// Activities that holding this one also grants.
    #[serde(default)]
    pub includes: Vec<String>,
    /// Why each inclusion holds, by included activity.
    #[serde(default)]
    pub why: BTreeMap<String, String>,
}

/// A CIS job role (R-code) and its baseline activities.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Role {
    pub name: String,
    pub activities: Vec<String>,
}

/// The access policy: activities and roles by code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Policy {
    pub activities: BTreeMap<String, Activity>,
    pub roles: BTreeMap<String, Role>,
}

impl Policy {
    /// The policy in `shared/policy.json`, parsed once. Were it unreadable, the empty policy
    /// would deny every healthcare worker (fail closed); a test keeps it readable.
    pub fn embedded() -> &'static Policy {
        static POLICY: OnceLock<Policy> = OnceLock::new();
        POLICY.get_or_init(|| Policy::from_json(POLICY_JSON).unwrap_or_default())
    }

    pub fn from_json(json: &str) -> Result<Policy, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Whether `identity` may call `route`; a denial is 403.
    pub fn allows(&self, identity: &Identity, route: &Route) -> Result<(), Denial> {
        let mode = identity.access_mode().as_str();
        if !route.access.iter().any(|m| m == mode) {
            return Err(Denial::forbidden(format!("{mode} access is not allowed for {}", route.function)));
        }
        let Principal::HealthcareWorker(worker) = &identity.principal else {
            return Ok(());
        };
        if route.activity == ANY_CALLER || self.activities_of(worker).contains(route.activity.as_str()) {
            return Ok(());
        }
        let name = self.activities.get(&route.activity).map_or("unknown activity", |a| a.name.as_str());
        Err(Denial::forbidden(format!(
            "role {} does not have activity {} ({name}) needed for {}",
            worker.job_role, route.activity, route.function
        )))
    }

    /// Every activity a worker holds: their role profile's, their role's baseline, and all that
    /// these include, transitively.
    pub fn activities_of<'a>(&'a self, worker: &'a HealthcareWorker) -> BTreeSet<&'a str> {
        let baseline = self.roles.get(&worker.job_role).map(|r| r.activities.as_slice()).unwrap_or_default();
        let mut pending: Vec<&str> = worker.activities.iter().chain(baseline).map(String::as_str).collect();
        let mut held = BTreeSet::new();
        while let Some(code) = pending.pop() {
            if held.insert(code)
                && let Some(activity) = self.activities.get(code)
            {
                pending.extend(activity.includes.iter().map(String::as_str));
            }
        }
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::DenialKind;
    use crate::identity::fixtures::{application, patient, worker};
    use crate::routes::{self, by_function};

    fn route(function: &str) -> &'static Route {
        by_function(function).unwrap()
    }

    fn forbidden(result: Result<(), Denial>) -> Denial {
        let denial = result.unwrap_err();
        assert_eq!(denial.kind, DenialKind::Forbidden);
        assert_eq!(crate::SpineError::from(denial.clone()).status(), 403);
        denial
    }

    #[test]
    fn the_policy_parses_and_is_consistent() {
        let p = Policy::embedded();
        assert!(p.activities.len() >= 8 && p.roles.len() >= 5);
        assert!(p.activities.contains_key(ANY_CALLER));
        for (code, a) in &p.activities {
            assert!(code.starts_with('B') && code.len() == 5, "{code}");
            for inc in &a.includes {
                assert!(p.activities.contains_key(inc), "{code} includes unknown {inc}");
                assert!(a.why.contains_key(inc), "{code} includes {inc} without saying why");
            }
        }
        for (code, r) in &p.roles {
            assert!(code.starts_with('R') && code.len() == 5, "{code}");
            for a in &r.activities {
                assert!(p.activities.contains_key(a), "{code} has unknown {a}");
            }
        }
    }

    #[test]
    fn every_route_names_an_activity_the_policy_knows() {
        for r in routes::all().iter().filter(|r| !r.is_public() && !r.is_mesh()) {
            assert!(Policy::embedded().activities.contains_key(&r.activity), "{} needs {}", r.function, r.activity);
        }
    }

    #[test]
    fn amending_demographics_includes_viewing_them() {
        let p = Policy::embedded();
        let amender = worker("R9999", &["B0825"]); // no baseline: the profile's activity alone
        assert!(p.allows(&amender, route("pds-get-patient")).is_ok());
        assert!(p.allows(&amender, route("pds-search-patients")).is_ok());
        assert!(p.allows(&amender, route("pds-update-patient")).is_ok());
        let viewer = worker("R9999", &["B0820"]);
        assert!(forbidden(p.allows(&viewer, route("pds-update-patient"))).reason.contains("B0825"));
    }

    #[test]
    fn a_role_baseline_grants_its_activities() {
        let p = Policy::embedded();
        let gp = worker("R8000", &[]);
        for f in ["pds-get-patient", "pds-update-patient", "pds-create-patient", "sds-get-organization"] {
            assert!(p.allows(&gp, route(f)).is_ok(), "{f}");
        }
        let pharmacy_manager = worker("R9999", &["B0572"]);
        assert!(
            p.activities_of(match &pharmacy_manager.principal {
                Principal::HealthcareWorker(w) => w,
                _ => unreachable!(),
            })
            .is_superset(&BTreeSet::from(["B0572", "B0570", "B0401"]))
        );
    }

    #[test]
    fn a_role_without_the_activity_is_denied() {
        let p = Policy::embedded();
        let student = worker("R8004", &[]);
        assert!(p.allows(&student, route("pds-get-patient")).is_ok());
        let denial = forbidden(p.allows(&student, route("pds-create-patient")));
        assert_eq!(
            denial.reason,
            "role R8004 does not have activity B0825 (Amend Patient Demographics) needed for pds-create-patient"
        );
        forbidden(p.allows(&worker("R8010", &[]), route("pds-update-patient")));
    }

    #[test]
    fn any_caller_routes_need_no_activity() {
        assert!(Policy::embedded().allows(&worker("R9999", &[]), route("sds-get-device")).is_ok());
    }

    #[test]
    fn access_mode_must_be_allowed_by_the_route() {
        let p = Policy::embedded();
        let denial = forbidden(p.allows(&patient(), route("pds-search-patients")));
        assert_eq!(denial.reason, "patient access is not allowed for pds-search-patients");
        forbidden(p.allows(&patient(), route("pds-create-patient")));
        forbidden(p.allows(&patient(), route("sds-get-organization")));
        forbidden(p.allows(&application(), route("pds-update-patient")));
        assert!(p.allows(&patient(), route("pds-get-patient")).is_ok());
        assert!(p.allows(&application(), route("pds-search-patients")).is_ok());
    }

    #[test]
    fn an_unreadable_policy_denies_every_worker() {
        let empty = Policy::default();
        forbidden(empty.allows(&worker("R8000", &[]), route("pds-get-patient")));
        assert!(Policy::from_json("{").is_err());
    }
}
