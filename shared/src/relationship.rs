//! Legitimate relationships: whether a healthcare worker's organisation has a reason to see a
//! patient's record. The Spine holds two: the patient's registered GP practice (from their PDS
//! record) and an open care episode (recorded by `cis-create-episode`, kept here under the
//! patient's key until it ends). Where a route allows it (`relationship` in the route table), a
//! worker without one may claim it with the `NHSD-Legitimate-Relationship` header — `self-claimed`
//! or `emergency` — and a reason in `NHSD-Access-Reason`; that access is allowed, and its audit
//! event is a privacy alert (the SCR's alert types 1 and 2).
//!
//! Patients and applications are not asked for one: a patient sees only their own record and an
//! application only what its access mode allows.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::audit::Basis;
use crate::identity::Principal;
use crate::pipeline::ApiRequest;
use crate::ports::{Item, RecordStore};
use crate::routes::Route;
use crate::{ErrorCode, NhsNumber, SpineError, SpineResult};

/// `self-claimed` or `emergency`.
pub const CLAIM_HEADER: &str = "nhsd-legitimate-relationship";
/// The reason for a claimed relationship: 3 to 500 printable characters.
pub const REASON_HEADER: &str = "nhsd-access-reason";

/// The longest a care episode stays open without being renewed.
pub const MAX_EPISODE_DAYS: i64 = 90;

/// An open care episode between a patient and an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    pub organisation: String,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339; the episode is closed from then on (and the item expires).
    pub end: String,
}

impl Episode {
    /// The item under the patient's key, expiring when the episode ends.
    pub fn item(&self, nhs: NhsNumber) -> Item {
        let (pk, sk) = episode_key(nhs, &self.organisation);
        let mut item = Item::new(pk, sk, serde_json::to_vec(self).unwrap_or_default());
        item.expires_at = OffsetDateTime::parse(&self.end, &Rfc3339).ok().map(|t| t.unix_timestamp());
        item
    }

    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        OffsetDateTime::parse(&self.end, &Rfc3339).is_ok_and(|end| end > now)
    }
}

/// `PATIENT#<nhs>` / `EPISODE#<ods>`.
pub fn episode_key(nhs: NhsNumber, ods: &str) -> (String, String) {
    (format!("PATIENT#{nhs}"), format!("EPISODE#{}", ods.to_ascii_uppercase()))
}

/// The open episode between `nhs` and `ods`, if any.
pub async fn open_episode(store: &dyn RecordStore, nhs: NhsNumber, ods: &str) -> SpineResult<Option<Episode>> {
    let (pk, sk) = episode_key(nhs, ods);
    let Some(item) = store.get(&pk, &sk).await.map_err(SpineError::internal)? else { return Ok(None) };
    let episode: Episode = serde_json::from_slice(&item.data).map_err(SpineError::internal)?;
    Ok(episode.is_open(OffsetDateTime::now_utc()).then_some(episode))
}

/// On what the caller may see the patient: `None` where the route table does not ask for a
/// relationship, and for callers who need none (patients, applications); the basis for a
/// healthcare worker; or 403 `ACCESS_DENIED` when there is none and none is claimed. A malformed
/// claim is 400 `INVALID_VALUE`.
pub async fn establish(
    store: &dyn RecordStore,
    route: &Route,
    request: &ApiRequest,
    nhs: NhsNumber,
    registered_practice: Option<&str>,
) -> SpineResult<Option<(Basis, Option<String>)>> {
    if !route.relationship {
        return Ok(None);
    }
    let Some(Principal::HealthcareWorker(worker)) = request.caller().map(|c| &c.principal) else {
        return Ok(None);
    };
    let claim = claimed(request)?;
    if registered_practice.is_some_and(|p| p.eq_ignore_ascii_case(&worker.organisation)) {
        return Ok(Some((Basis::RegisteredPractice, None)));
    }
    if open_episode(store, nhs, &worker.organisation).await?.is_some() {
        return Ok(Some((Basis::CareEpisode, None)));
    }
    match claim {
        Some((basis, reason)) => Ok(Some((basis, Some(reason)))),
        None => Err(SpineError::new(
            ErrorCode::Forbidden,
            "No legitimate relationship with this patient: the organisation is not the registered practice and has no \
             open care episode; a self-claimed or emergency access must say so in NHSD-Legitimate-Relationship with a \
             reason in NHSD-Access-Reason",
        )),
    }
}

/// The relationship the request claims, if any.
fn claimed(request: &ApiRequest) -> SpineResult<Option<(Basis, String)>> {
    let Some(kind) = request.header(CLAIM_HEADER) else {
        return Ok(None);
    };
    let basis = match kind.trim().to_ascii_lowercase().as_str() {
        "self-claimed" => Basis::SelfClaimed,
        "emergency" => Basis::Emergency,
        _ => {
            return Err(SpineError::new(
                ErrorCode::InvalidValue,
                "Invalid value - NHSD-Legitimate-Relationship must be self-claimed or emergency",
            ));
        }
    };
    let reason = request.header(REASON_HEADER).map(str::trim).unwrap_or_default();
    let printable = reason.chars().all(|c| !c.is_control());
    if !(3..=500).contains(&reason.chars().count()) || !printable {
        return Err(SpineError::new(
            ErrorCode::InvalidValue,
            "Invalid value - a claimed relationship needs NHSD-Access-Reason: 3 to 500 printable characters",
        ));
    }
    Ok(Some((basis, reason.to_owned())))
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::identity::fixtures;
    use crate::routes;

    #[tokio::test]
    async fn the_route_table_decides_whether_a_relationship_is_needed() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::adapters::embedded::EmbeddedStore::open(dir.path()).unwrap().records();
        let request = ApiRequest { identity: Some(fixtures::worker("R8000", &[])), ..Default::default() };
        let nhs = NhsNumber::parse("9000000017").unwrap();
        let mut route = routes::by_function("pds-get-related-people").unwrap().clone();
        assert!(route.relationship);
        let refused = establish(&store, &route, &request, nhs, Some("Y99999")).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Forbidden);
        let basis = establish(&store, &route, &request, nhs, Some("Y12345")).await.unwrap();
        assert_eq!(basis.map(|(b, _)| b), Some(Basis::RegisteredPractice));
        route.relationship = false;
        assert_eq!(establish(&store, &route, &request, nhs, Some("Y99999")).await.unwrap(), None);
    }
}
