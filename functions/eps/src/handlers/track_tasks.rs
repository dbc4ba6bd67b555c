//! `GET /Task`: the tracker. By prescription (`focus:identifier` or `identifier`) or by patient
//! (`patient:identifier`, an NHS number, optionally `system|value`) — at least one is required —
//! narrowed by `business-status` (a prescription status code) and `authored-on` (`eq`, `ge`, `le`,
//! `gt`, `lt` prefixes on a `YYYY-MM-DD` day; may repeat). Answers a searchset of Tasks, one per
//! prescription, with its status, holder and line items.

use async_trait::async_trait;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};
use spine_shared::{NhsNumber, SpineResult};

use super::{EpsContext, answer};
use crate::error::EpsError;
use crate::fhir::{NHS_NUMBER, PRESCRIPTION_ORDER_NUMBER, resources};
use crate::model::Prescription;
use crate::prescription_id::PrescriptionId;
use crate::status::PrescriptionStatus;

pub struct TrackTasks(pub EpsContext);

const PARAMETERS: [&str; 5] =
    ["focus:identifier", "identifier", "patient:identifier", "business-status", "authored-on"];

#[async_trait]
impl Handler for TrackTasks {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        answer(track(&self.0, req).await)
    }
}

/// A token parameter's value, without the expected system (`system|value` or `value`).
fn token<'a>(value: &'a str, system: &str) -> Result<&'a str, EpsError> {
    match value.split_once('|') {
        Some((s, v)) if s == system || s.is_empty() => Ok(v),
        Some(_) => Err(EpsError::invalid_value(format!("The identifier system must be {system}."))),
        None => Ok(value),
    }
}

/// The day range of the `authored-on` parameters (inclusive ends).
fn day_range(values: &[&str]) -> Result<(Option<String>, Option<String>), EpsError> {
    let day_format = time::macros::format_description!("[year]-[month]-[day]");
    let (mut from, mut to) = (None::<time::Date>, None::<time::Date>);
    for v in values {
        let (prefix, day) = if v.len() > 10 { v.split_at(v.len() - 10) } else { ("eq", *v) };
        let day = time::Date::parse(day, day_format).map_err(|_| {
            EpsError::invalid_value(
                "authored-on must be a date (YYYY-MM-DD) with an optional eq, ge, le, gt or lt prefix.",
            )
        })?;
        let (lo, hi) = match prefix {
            "eq" => (Some(day), Some(day)),
            "ge" => (Some(day), None),
            "gt" => (day.next_day(), None),
            "le" => (None, Some(day)),
            "lt" => (None, day.previous_day()),
            _ => return Err(EpsError::invalid_value("authored-on's prefix must be eq, ge, le, gt or lt.")),
        };
        from = from.max(lo).or(lo).or(from);
        to = match (to, hi) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let text = |d: Option<time::Date>| d.and_then(|d| d.format(day_format).ok());
    Ok((text(from), text(to)))
}

async fn track(ctx: &EpsContext, req: &ApiRequest) -> Result<ApiResponse, EpsError> {
    if let Some((unknown, _)) = req.query.iter().find(|(k, _)| !PARAMETERS.contains(&k.as_str()) && !k.starts_with('_'))
    {
        return Err(EpsError::invalid_value(format!(
            "Unsupported search parameter '{}'.",
            unknown.chars().take(64).collect::<String>()
        )));
    }
    let values = |name: &str| req.query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    let single = |name: &str| -> Result<Option<&str>, EpsError> {
        match values(name).as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(EpsError::invalid_value(format!("Parameter {name} may be given once."))),
        }
    };
    let prescription = match (single("focus:identifier")?, single("identifier")?) {
        (Some(a), Some(b)) if a != b => {
            return Err(EpsError::invalid_value("focus:identifier and identifier name different prescriptions."));
        }
        (a, b) => a.or(b).map(|v| token(v, PRESCRIPTION_ORDER_NUMBER)).transpose()?,
    };
    let patient = single("patient:identifier")?.map(|v| token(v, NHS_NUMBER)).transpose()?;
    let status = single("business-status")?
        .map(|s| {
            PrescriptionStatus::from_code(s).ok_or_else(|| {
                EpsError::invalid_value("business-status must be a prescription status code (0001–0009).")
            })
        })
        .transpose()?;
    let (from, to) = day_range(&values("authored-on"))?;
    let found: Vec<Prescription> = match (prescription, patient) {
        (None, None) => {
            return Err(EpsError::invalid(
                "At least one of focus:identifier, identifier or patient:identifier is required.",
            ));
        }
        (Some(id), patient) => {
            // A query string's unescaped '+' (a check character) arrives as a space; an id has none.
            let id = PrescriptionId::parse(&id.replace(' ', "+"))?;
            let nhs = patient
                .map(NhsNumber::parse)
                .transpose()
                .map_err(|_| EpsError::invalid_value("patient:identifier is not a valid NHS number."))?;
            let day = |p: &Prescription| p.authored_on.get(..10).map(str::to_owned);
            ctx.store
                .get(id.as_str())
                .await?
                .into_iter()
                .filter(|p| nhs.is_none_or(|n| p.nhs_number == n.to_string()))
                .filter(|p| status.is_none_or(|s| p.state.status == s))
                .filter(|p| from.as_ref().is_none_or(|f| day(p).is_some_and(|d| &d >= f)))
                .filter(|p| to.as_ref().is_none_or(|t| day(p).is_some_and(|d| &d <= t)))
                .collect()
        }
        (None, Some(nhs)) => {
            let nhs = NhsNumber::parse(nhs)
                .map_err(|_| EpsError::invalid_value("patient:identifier is not a valid NHS number."))?;
            ctx.store.for_patient(&nhs.to_string(), status, from.as_deref(), to.as_deref()).await?
        }
    };
    let patients: Vec<NhsNumber> = found.iter().filter_map(|p| NhsNumber::parse(&p.nhs_number).ok()).collect();
    Ok(ApiResponse::fhir_json(200, &resources::tasks(&found)).with_patients(patients))
}
