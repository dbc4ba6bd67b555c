//! The PDS rules that narrow an access mode beyond the route table (which already keeps
//! application-restricted callers away from PATCH and POST): a patient reaches only their own
//! record, and an application-restricted search returns one unique match at most.

use spine_shared::identity::{AccessMode, Principal};
use spine_shared::pipeline::ApiRequest;
use spine_shared::{ErrorCode, NhsNumber, SpineError, SpineResult};

/// A patient (NHS login) may reach only the record of their own NHS number: anything else is 403,
/// whether or not that record exists.
pub(crate) fn own_record_only(req: &ApiRequest, nhs: NhsNumber) -> SpineResult<()> {
    match req.caller().map(|c| &c.principal) {
        Some(Principal::Patient(p)) if p.nhs_number != nhs => {
            Err(SpineError::new(ErrorCode::Forbidden, "A patient may access only their own record"))
        }
        _ => Ok(()),
    }
}

pub(crate) fn application_restricted(req: &ApiRequest) -> bool {
    req.caller().is_some_and(|c| c.access_mode() == AccessMode::Application)
}

/// `_max-results`, when given, must be 1 in application-restricted mode.
pub(crate) fn single_result_for_applications(req: &ApiRequest) -> SpineResult<()> {
    match req.query.iter().find(|(k, _)| k == "_max-results") {
        Some((_, v)) if v.trim() != "1" => Err(SpineError::new(
            ErrorCode::InvalidValueForAccessMode,
            format!("Invalid value - '{v}' in field '_max-results': application-restricted access allows only 1"),
        )),
        _ => Ok(()),
    }
}
