//! Matching and scoring one record against a search. Every supplied parameter gives a quality
//! from 0 to 1 and the score is their mean, rounded to four places: 1.0 only when every value
//! matched the current record exactly. A non-fuzzy search drops a record when any parameter does
//! not match; a fuzzy search drops it only when no name matches, and otherwise lets gender,
//! postcode, date of death and GP lower the score.

use spine_shared::fhir::HumanName;
use time::Date;
use time::macros::format_description;

use super::params::{Pattern, SearchRequest, normalise_phone};
use crate::model::PatientRecord;
use crate::names::{fold, fold_postcode, glob, soundex};

/// Qualities of a match of one value.
const EXACT: f64 = 1.0;
const HISTORIC: f64 = 0.95;
const WILDCARD: f64 = 0.9;
const WILDCARD_HISTORIC: f64 = 0.85;
const SOUNDS_LIKE: f64 = 0.8;
const TRANSPOSED: f64 = 0.7;
/// The lowest score a fuzzy match may have.
const FUZZY_THRESHOLD: f64 = 0.6;

pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = format_description!("[year]-[month]-[day]");
    Date::parse(s.get(..10)?, &fmt).ok()
}

/// The score of `record` for `req`, or `None` when it is not a match.
pub fn score(req: &SearchRequest, record: &PatientRecord) -> Option<f64> {
    let p = &record.patient;
    let mut qualities: Vec<f64> = Vec::with_capacity(8);

    let birth = p.birth_date.as_deref().and_then(parse_date)?;
    if !req.birthdate.contains(birth) {
        return None;
    }
    qualities.push(EXACT);

    let mut name_matched = false;
    if let Some(family) = &req.family {
        let q = name_quality(req, record, family, NamePart::Family);
        name_matched |= q > 0.0;
        if !req.fuzzy && q == 0.0 {
            return None;
        }
        qualities.push(q);
    }
    for given in &req.given {
        let q = name_quality(req, record, given, NamePart::Given);
        name_matched |= q > 0.0;
        if !req.fuzzy && q == 0.0 {
            return None;
        }
        qualities.push(q);
    }
    if req.fuzzy && !name_matched {
        return None;
    }

    let mut soft = |matched: Option<f64>| -> Option<()> {
        let q = matched.unwrap_or(0.0);
        if !req.fuzzy && q == 0.0 {
            return None;
        }
        qualities.push(q);
        Some(())
    };
    if let Some(g) = &req.gender {
        soft((p.gender.as_deref() == Some(g.as_str())).then_some(EXACT))?;
    }
    if let Some(pc) = &req.postcode {
        soft(postcode_quality(req, record, pc))?;
    }
    if let Some(range) = &req.death_date {
        let died = p.deceased_date_time.as_deref().and_then(parse_date);
        soft(died.filter(|d| range.contains(*d)).map(|_| EXACT))?;
    }
    if let Some(gp) = &req.general_practitioner {
        soft(p.general_practitioner.iter().any(|g| g.identifier.value.eq_ignore_ascii_case(gp)).then_some(EXACT))?;
    }
    // Email and phone match exactly in every kind of search.
    if let Some(email) = &req.email {
        let hit = record.telecom(req.history).any(|t| {
            t.system.as_deref() == Some("email") && t.value.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(email))
        });
        if !hit {
            return None;
        }
        qualities.push(EXACT);
    }
    if let Some(phone) = &req.phone {
        let hit = record.telecom(req.history).any(|t| {
            t.system.as_deref() == Some("phone") && t.value.as_deref().is_some_and(|v| normalise_phone(v) == *phone)
        });
        if !hit {
            return None;
        }
        qualities.push(EXACT);
    }

    let score = (qualities.iter().sum::<f64>() / qualities.len() as f64 * 10_000.0).round() / 10_000.0;
    if req.fuzzy && score < FUZZY_THRESHOLD {
        return None;
    }
    if req.exact && score < 1.0 {
        return None;
    }
    Some(score)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NamePart {
    Family,
    Given,
}

fn parts(name: &HumanName, part: NamePart) -> Vec<String> {
    match part {
        NamePart::Family => name.family.iter().map(|f| fold(f)).collect(),
        NamePart::Given => name.given.iter().map(|g| fold(g)).collect(),
    }
}

/// The best quality with which `pattern` matches the record's names in `part`.
fn name_quality(req: &SearchRequest, record: &PatientRecord, pattern: &Pattern, part: NamePart) -> f64 {
    let current = record.patient.name.len();
    let mut best: f64 = 0.0;
    for (i, name) in record.names(req.history).enumerate() {
        let historic = i >= current;
        for value in parts(name, part) {
            let q = if pattern.wildcard {
                if glob(&pattern.folded, &value) { if historic { WILDCARD_HISTORIC } else { WILDCARD } } else { 0.0 }
            } else if value == pattern.folded {
                if historic { HISTORIC } else { EXACT }
            } else if req.fuzzy && soundex(&value).is_some() && soundex(&value) == soundex(&pattern.folded) {
                SOUNDS_LIKE
            } else {
                0.0
            };
            best = best.max(q);
        }
        if req.fuzzy && best < TRANSPOSED {
            // Transposed names: the searched family is recorded as a given name, or the reverse.
            let other = if part == NamePart::Family { NamePart::Given } else { NamePart::Family };
            let code = soundex(&pattern.folded);
            if parts(name, other).iter().any(|v| *v == pattern.folded || (code.is_some() && soundex(v) == code)) {
                best = best.max(TRANSPOSED);
            }
        }
    }
    best
}

fn postcode_quality(req: &SearchRequest, record: &PatientRecord, pattern: &Pattern) -> Option<f64> {
    let current = record.patient.address.len();
    record
        .addresses(req.history)
        .enumerate()
        .filter_map(|(i, a)| {
            let value = fold_postcode(a.postal_code.as_deref()?);
            let historic = i >= current;
            if pattern.wildcard {
                glob(&pattern.folded, &value).then_some(if historic { WILDCARD_HISTORIC } else { WILDCARD })
            } else {
                (value == pattern.folded).then_some(if historic { HISTORIC } else { EXACT })
            }
        })
        .reduce(f64::max)
}
