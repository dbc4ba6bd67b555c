//! The parameters of the privacy officer's search, `GET /AuditEvent`, and the one `Query` each
//! search is. Exactly one of:
//!
//! - `patient=<NHS number>` (or `https://fhir.nhs.uk/Id/nhs-number|<n>`): the patient's accesses;
//! - `agent=<subject>` (or `<system>|<subject>` with the sds-user-id, client-id or nhs-login-id
//!   system): one caller's accesses;
//! - `type=privacy-alert` (or `<audit-alert system>|privacy-alert`) with `date=yyyy-mm-dd`
//!   (default: today, UTC): one day's privacy alerts.
//!
//! For a patient or an agent, `date` filters by day (`eq`, `ge`, `gt`, `le`, `lt`, no prefix
//! meaning `eq`; at most one lower and one upper bound), a `BETWEEN` on the index sort key, whose
//! time prefix sorts as text. `_count` is 1–100 (default 50); `_page` continues a search from the
//! `next` link. Newest first.
//!
//! Errors: none or several of `patient`/`agent`/`type`, a repeated parameter, or two bounds on one
//! side → `INVALID_SEARCH_DATA`; a malformed NHS number, subject, date, `_count` or `_page`, or an
//! empty date range → `INVALID_VALUE`; a `type` other than `privacy-alert` → `UNSUPPORTED_VALUE`;
//! any other parameter → `ADDITIONAL_PROPERTIES`.

use spine_shared::ports::{Cursor, Index, KeyCondition, Query};
use spine_shared::{ErrorCode, NhsNumber, SpineError, SpineResult};

use super::page_token;
use crate::fhir::{
    ALERT_SYSTEM, CLIENT_ID_SYSTEM, NHS_LOGIN_ID_SYSTEM, NHS_NUMBER_SYSTEM, PRIVACY_ALERT, SDS_USER_ID_SYSTEM,
};
use crate::model;

pub const DEFAULT_COUNT: usize = 50;
pub const MAX_COUNT: usize = 100;
const NAMES: [&str; 6] = ["patient", "agent", "type", "date", "_count", "_page"];
/// Above every character of a sort key (`<time>#<uuid>`), so `<day>~` ends a day.
const END: &str = "~";
/// Below every sort key.
const START: &str = "0";

/// Whose accesses a search reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Patient(NhsNumber),
    Agent(String),
    /// One day's privacy alerts, `yyyy-mm-dd`.
    Alerts(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchParams {
    pub target: Target,
    /// Inclusive sort-key bounds from `date`, for a patient or an agent.
    pub from: Option<String>,
    pub to: Option<String>,
    pub count: usize,
    pub page: Option<Cursor>,
}

impl SearchParams {
    /// The index and partition the search reads.
    pub fn partition(&self) -> (Index, String) {
        match &self.target {
            Target::Patient(n) => (Index::Gsi1, model::patient_pk(&n.to_string())),
            Target::Agent(s) => (Index::Gsi2, model::agent_pk(s)),
            Target::Alerts(day) => (Index::Gsi1, model::alerts_pk(day)),
        }
    }

    /// The query of one page, newest first. It asks for one item more than `_count`, so a full
    /// last page is known to be the last.
    pub fn query(&self) -> Query {
        let (index, pk) = self.partition();
        let sk = match (&self.from, &self.to) {
            (None, None) => KeyCondition::All,
            (from, to) => KeyCondition::Between(
                from.clone().unwrap_or_else(|| START.to_owned()),
                to.clone().unwrap_or_else(|| END.to_owned()),
            ),
        };
        Query::new(index, pk, sk).descending().limit(self.count + 1).after(self.page.clone())
    }
}

fn invalid_search(msg: impl Into<String>) -> SpineError {
    SpineError::new(ErrorCode::InvalidSearchData, msg)
}

fn invalid(name: &str, value: &str, what: &str) -> SpineError {
    let shown: String = value.chars().take(64).collect();
    SpineError::new(ErrorCode::InvalidValue, format!("Invalid value - '{shown}' in '{name}' is not {what}"))
}

/// Parses the query; `today` (`yyyy-mm-dd`, UTC) is the day of an alert search without `date`.
pub fn parse(query: &[(String, String)], today: &str) -> SpineResult<SearchParams> {
    let mut once: [Option<&str>; 6] = [None; 6];
    let mut dates: Vec<&str> = Vec::new();
    for (name, value) in query {
        let Some(i) = NAMES.iter().position(|n| n == name) else {
            let shown: String = name.chars().take(64).collect();
            return Err(SpineError::new(
                ErrorCode::AdditionalProperties,
                format!("Illegal query parameter '{shown}' - this search takes {}", NAMES.join(", ")),
            ));
        };
        if name == "date" {
            dates.push(value);
        } else if once[i].replace(value).is_some() {
            return Err(invalid_search(format!("'{name}' may be given once")));
        }
    }
    let [patient, agent, kind, _, count, page] = once;
    let target = match (patient, agent, kind) {
        (Some(p), None, None) => Target::Patient(nhs_number(p)?),
        (None, Some(a), None) => Target::Agent(subject(a)?),
        (None, None, Some(t)) => {
            alert_type(t)?;
            Target::Alerts(alert_day(&dates, today)?)
        }
        _ => return Err(invalid_search("Search by exactly one of 'patient', 'agent' or 'type=privacy-alert'")),
    };
    let (from, to) = if matches!(target, Target::Alerts(_)) { (None, None) } else { bounds(&dates)? };
    let count = match count {
        None => DEFAULT_COUNT,
        Some(c) => c
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_COUNT).contains(n) && c.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| invalid("_count", c, &format!("a number from 1 to {MAX_COUNT}")))?,
    };
    let mut params = SearchParams { target, from, to, count, page: None };
    if let Some(token) = page {
        let cursor = page_token::decode(token).ok_or_else(|| invalid("_page", token, "a page of this search"))?;
        if cursor.index_key.as_ref().map(|k| &k.pk) != Some(&params.partition().1) {
            return Err(invalid("_page", token, "a page of this search"));
        }
        params.page = Some(cursor);
    }
    Ok(params)
}

fn nhs_number(value: &str) -> SpineResult<NhsNumber> {
    let n = match value.split_once('|') {
        Some((system, n)) if system == NHS_NUMBER_SYSTEM => n,
        Some(_) => {
            return Err(invalid("patient", value, &format!("an NHS number or '{NHS_NUMBER_SYSTEM}|<NHS number>'")));
        }
        None => value,
    };
    NhsNumber::parse(n.trim()).map_err(|_| invalid("patient", value, "a valid NHS number"))
}

fn subject(value: &str) -> SpineResult<String> {
    let s = match value.split_once('|') {
        Some((system, s)) if [SDS_USER_ID_SYSTEM, CLIENT_ID_SYSTEM, NHS_LOGIN_ID_SYSTEM].contains(&system) => s,
        Some(_) => return Err(invalid("agent", value, "a user id, client id or NHS login id")),
        None => value,
    };
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic() && b != b'|');
    if ok { Ok(s.to_owned()) } else { Err(invalid("agent", value, "a user id, client id or NHS login id")) }
}

fn alert_type(value: &str) -> SpineResult<()> {
    let code = value.strip_prefix(ALERT_SYSTEM).and_then(|v| v.strip_prefix('|')).unwrap_or(value);
    if code == PRIVACY_ALERT {
        return Ok(());
    }
    let shown: String = value.chars().take(64).collect();
    Err(SpineError::new(
        ErrorCode::UnsupportedValue,
        format!("Unsupported value - 'type' '{shown}': only '{PRIVACY_ALERT}'"),
    ))
}

/// The one day of an alert search.
fn alert_day(dates: &[&str], today: &str) -> SpineResult<String> {
    match dates {
        [] => Ok(today.to_owned()),
        [d] => {
            let day = d.strip_prefix("eq").unwrap_or(d);
            valid_day(day).then(|| day.to_owned()).ok_or_else(|| invalid("date", d, "one day, yyyy-mm-dd"))
        }
        _ => Err(invalid_search("Privacy alerts are searched one day at a time: give 'date' once")),
    }
}

/// The inclusive sort-key bounds of a patient or agent search's `date` values.
fn bounds(dates: &[&str]) -> SpineResult<(Option<String>, Option<String>)> {
    let (mut from, mut to) = (None, None);
    for d in dates {
        let (prefix, day) = if d.len() > 2 && d.as_bytes()[..2].iter().all(u8::is_ascii_alphabetic) {
            d.split_at(2)
        } else {
            ("eq", *d)
        };
        if !valid_day(day) {
            return Err(invalid("date", d, "a day, yyyy-mm-dd, with an optional eq, ge, gt, le or lt prefix"));
        }
        let (lower, upper) = match prefix {
            "eq" => (Some(day.to_owned()), Some(format!("{day}{END}"))),
            "ge" => (Some(day.to_owned()), None),
            "gt" => (Some(format!("{day}{END}")), None),
            "le" => (None, Some(format!("{day}{END}"))),
            "lt" => (None, Some(day.to_owned())),
            _ => return Err(invalid("date", d, "a day, yyyy-mm-dd, with an optional eq, ge, gt, le or lt prefix")),
        };
        for (bound, slot) in [(lower, &mut from), (upper, &mut to)] {
            if let Some(b) = bound
                && slot.replace(b).is_some()
            {
                return Err(invalid_search("'date' takes at most one lower and one upper bound"));
            }
        }
    }
    if let (Some(f), Some(t)) = (&from, &to)
        && f > t
    {
        return Err(SpineError::new(ErrorCode::InvalidValue, "Invalid value - the 'date' range is empty"));
    }
    Ok((from, to))
}

/// `yyyy-mm-dd`, a real date.
pub fn valid_day(s: &str) -> bool {
    s.len() == 10 && time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: &str = "2025-11-22";

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn code(pairs: &[(&str, &str)]) -> ErrorCode {
        parse(&q(pairs), TODAY).unwrap_err().code
    }

    #[test]
    fn each_target_reads_its_partition_newest_first() {
        let p = parse(&q(&[("patient", "https://fhir.nhs.uk/Id/nhs-number|9000000009")]), TODAY).unwrap();
        let query = p.query();
        assert_eq!((query.index, query.pk.as_str()), (Index::Gsi1, "PATIENT#9000000009"));
        assert_eq!((query.ascending, query.limit, query.sk), (false, Some(51), KeyCondition::All));
        let p = parse(&q(&[("agent", "https://fhir.nhs.uk/Id/sds-user-id|555021935106"), ("_count", "5")]), TODAY);
        let query = p.unwrap().query();
        assert_eq!((query.index, query.pk.as_str(), query.limit), (Index::Gsi2, "AGENT#555021935106", Some(6)));
        let alerts = parse(&q(&[("type", "privacy-alert")]), TODAY).unwrap();
        assert_eq!(alerts.partition(), (Index::Gsi1, "ALERTS#2025-11-22".to_owned()));
        let alerts = parse(&q(&[("type", "privacy-alert"), ("date", "2025-11-01")]), TODAY).unwrap();
        assert_eq!(alerts.target, Target::Alerts("2025-11-01".into()));
    }

    #[test]
    fn dates_bound_the_index_sort_key() {
        let sk = |dates: &[&str]| {
            let mut pairs = vec![("patient", "9000000009")];
            pairs.extend(dates.iter().map(|d| ("date", *d)));
            parse(&q(&pairs), TODAY).unwrap().query().sk
        };
        let between = |a: &str, b: &str| KeyCondition::Between(a.into(), b.into());
        assert_eq!(sk(&["ge2025-01-01", "le2025-01-31"]), between("2025-01-01", "2025-01-31~"));
        assert_eq!(sk(&["2025-01-01"]), between("2025-01-01", "2025-01-01~"));
        assert_eq!(sk(&["gt2025-01-01"]), between("2025-01-01~", "~"));
        assert_eq!(sk(&["lt2025-01-01"]), between("0", "2025-01-01"));
        let range = between("2025-01-01", "2025-01-31~");
        assert!(range.matches("2025-01-31T23:59:59.999999Z#e") && !range.matches("2025-02-01T00:00:00.000000Z#e"));
    }

    #[test]
    fn every_bad_search_is_a_400_with_its_code() {
        use ErrorCode::*;
        assert_eq!(code(&[]), InvalidSearchData);
        assert_eq!(code(&[("date", "2025-01-01")]), InvalidSearchData);
        assert_eq!(code(&[("patient", "9000000009"), ("agent", "x")]), InvalidSearchData);
        assert_eq!(code(&[("patient", "9000000009"), ("type", "privacy-alert")]), InvalidSearchData);
        assert_eq!(code(&[("patient", "9000000009"), ("patient", "9000000017")]), InvalidSearchData);
        assert_eq!(
            code(&[("patient", "9000000009"), ("date", "ge2025-01-01"), ("date", "ge2025-02-01")]),
            InvalidSearchData
        );
        assert_eq!(
            code(&[("type", "privacy-alert"), ("date", "2025-01-01"), ("date", "2025-01-02")]),
            InvalidSearchData
        );
        assert_eq!(code(&[("patient", "9000000000")]), InvalidValue);
        assert_eq!(code(&[("patient", "900000000")]), InvalidValue);
        assert_eq!(code(&[("patient", "")]), InvalidValue);
        assert_eq!(code(&[("patient", "https://example.com|9000000009")]), InvalidValue);
        assert_eq!(code(&[("agent", "")]), InvalidValue);
        assert_eq!(code(&[("agent", "a b")]), InvalidValue);
        assert_eq!(code(&[("agent", "https://example.com|x")]), InvalidValue);
        assert_eq!(code(&[("patient", "9000000009"), ("date", "2025-02-30")]), InvalidValue);
        assert_eq!(code(&[("patient", "9000000009"), ("date", "xx2025-02-01")]), InvalidValue);
        assert_eq!(
            code(&[("patient", "9000000009"), ("date", "ge2025-02-01"), ("date", "le2025-01-01")]),
            InvalidValue
        );
        assert_eq!(code(&[("type", "privacy-alert"), ("date", "ge2025-01-01")]), InvalidValue);
        for c in ["0", "101", "-1", "+5", "ten", ""] {
            assert_eq!(code(&[("patient", "9000000009"), ("_count", c)]), InvalidValue, "{c}");
        }
        assert_eq!(code(&[("patient", "9000000009"), ("_page", "garbage")]), InvalidValue);
        assert_eq!(code(&[("type", "access")]), UnsupportedValue);
        assert_eq!(code(&[("patient", "9000000009"), ("family", "Smith")]), AdditionalProperties);
    }

    #[test]
    fn a_page_token_must_belong_to_the_search() {
        let cursor = |ipk: &str| {
            page_token::encode(&Cursor {
                pk: "EVENT#e".into(),
                sk: "EVENT".into(),
                index_key: Some(spine_shared::ports::IndexKey::new(ipk, "2025-01-01T00:00:00.000000Z#e")),
            })
            .unwrap()
        };
        let ok = parse(&q(&[("patient", "9000000009"), ("_page", &cursor("PATIENT#9000000009"))]), TODAY);
        assert!(ok.unwrap().page.is_some());
        let other = parse(&q(&[("patient", "9000000009"), ("_page", &cursor("PATIENT#9000000017"))]), TODAY);
        assert_eq!(other.unwrap_err().code, ErrorCode::InvalidValue);
    }
}
