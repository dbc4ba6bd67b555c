//! The PDS field rules a patient must keep after an update or on creation: gender, dates of birth
//! and death, names, addresses, telecom, GP and extensions. Pure functions over the old and new
//! resource; they may normalise (prefix full stops) but never reach a store.

use std::collections::HashMap;

use spine_shared::fhir::{Patient, Period};
use spine_shared::{ErrorCode, SpineError, SpineResult};
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::search::matching::parse_date;

pub const DEATH_NOTIFICATION_URL: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus";
const COMMUNICATION_URL: &str = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSCommunication";
const CONTACT_PREFERENCE_URL: &str = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference";
const SINGLE_EXTENSIONS: [&str; 5] = [
    "Extension-UKCore-NominatedPharmacy",
    "Extension-UKCore-PreferredDispenserOrganization",
    "Extension-UKCore-MedicalApplianceSupplier",
    "Extension-UKCore-ContactPreference",
    "Extension-UKCore-DeathNotificationStatus",
];
const TEMP_ADDRESS_TEXTS: [&str; 7] = [
    "Second Home",
    "Student Accommodation",
    "Respite Care Address",
    "Temporary Residence Address",
    "Convalescence Home",
    "Mobile Home",
    "Holiday Home",
];
const MAX_NAME_LEN: usize = 35;

fn invalid(why: impl AsRef<str>) -> SpineError {
    SpineError::new(ErrorCode::InvalidUpdate, format!("Invalid update with error - {}", why.as_ref()))
}

fn unsupported(why: impl AsRef<str>) -> SpineError {
    SpineError::new(ErrorCode::UnsupportedValue, format!("Unsupported value - {}", why.as_ref()))
}

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// Parses PDS's date of death: `YYYY-MM-DDTHH:MM:SS+00:00` (zero UTC offset), or a plain date.
pub fn parse_death(s: &str) -> Option<Date> {
    if s.len() == 10 {
        return parse_date(s);
    }
    let body = s.strip_suffix("+00:00")?;
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(body, &fmt).ok().map(|dt| dt.date())
}

fn check_period(field: &str, period: Option<&Period>, today: Date) -> SpineResult<()> {
    let Some(p) = period else { return Ok(()) };
    let start = match p.start.as_deref() {
        None => return Err(invalid(format!("{field} period must have a start date"))),
        Some(s) => parse_date(s)
            .filter(|_| s.len() == 10)
            .ok_or_else(|| invalid(format!("{field} period start is not a date")))?,
    };
    if start > today {
        return Err(invalid(format!("{field} period start cannot be in the future")));
    }
    if let Some(e) = p.end.as_deref() {
        let end = parse_date(e)
            .filter(|_| e.len() == 10)
            .ok_or_else(|| invalid(format!("{field} period end is not a date")))?;
        if end < start {
            return Err(invalid(format!("{field} period end cannot be before its start")));
        }
    }
    Ok(())
}

fn extension_url(e: &serde_json::Value) -> Option<&str> {
    e.get("url").and_then(serde_json::Value::as_str)
}

/// Checks `new` (and normalises it) against the PDS field rules, given the record it replaces
/// (`None` on creation).
pub fn validate(old: Option<&Patient>, new: &mut Patient, today: Date) -> SpineResult<()> {
    // Gender.
    if old.is_some_and(|o| o.gender.is_some()) && new.gender.is_none() {
        return Err(invalid("gender cannot be removed"));
    }
    if let Some(g) = new.gender.as_deref() {
        match g {
            "male" | "female" | "unknown" => {}
            "other" if old.and_then(|o| o.gender.as_deref()) == Some("other") => {}
            "other" => {
                return Err(SpineError::new(ErrorCode::ForbiddenUpdate, "Forbidden update with gender set to 'other'"));
            }
            _ => {
                return Err(SpineError::new(
                    ErrorCode::InvalidValue,
                    format!("Invalid value - '{g}' in field 'gender'"),
                ));
            }
        }
    }

    // Date of birth.
    if old.is_some_and(|o| o.birth_date.is_some()) && new.birth_date.is_none() {
        return Err(invalid("birthDate cannot be removed"));
    }
    let birth = match new.birth_date.as_deref() {
        None => None,
        Some(b) => Some(
            parse_date(b).filter(|_| b.len() == 10).ok_or_else(|| invalid("birthDate must be a date, yyyy-mm-dd"))?,
        ),
    };
    if birth.is_some_and(|b| b > today) {
        return Err(invalid("birthDate cannot be in the future"));
    }

    // Date of death.
    if old.is_some_and(|o| o.deceased_date_time.is_some()) && new.deceased_date_time.is_none() {
        return Err(invalid("deceasedDateTime cannot be removed"));
    }
    if let Some(d) = new.deceased_date_time.as_deref() {
        let died = parse_death(d).ok_or_else(|| invalid("deceasedDateTime must be yyyy-mm-ddTHH:MM:SS+00:00"))?;
        if died > today {
            return Err(invalid("deceasedDateTime cannot be in the future"));
        }
        if birth.is_some_and(|b| died < b) {
            return Err(invalid("deceasedDateTime cannot be before birthDate"));
        }
        if new.extension(DEATH_NOTIFICATION_URL).is_none() {
            return Err(invalid("deceasedDateTime needs a death notification status extension"));
        }
    }

    // Names.
    if new.name.is_empty() {
        return Err(invalid("a patient must have a name"));
    }
    let usual = new.name.iter().filter(|n| n.name_use.as_deref() == Some("usual")).count();
    if usual != 1 {
        return Err(invalid("a patient must have exactly one usual name"));
    }
    for name in &mut new.name {
        if let Some(u) = name.name_use.as_deref()
            && !["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"].contains(&u)
        {
            return Err(SpineError::new(ErrorCode::InvalidValue, format!("Invalid value - '{u}' in field 'name.use'")));
        }
        if name.name_use.as_deref() == Some("usual") && name.family.as_deref().is_none_or(|f| f.trim().is_empty()) {
            return Err(invalid("the usual name must have a family name"));
        }
        let too_long = name.family.iter().chain(&name.given).any(|s| s.chars().count() > MAX_NAME_LEN);
        if too_long {
            return Err(invalid(format!("names are at most {MAX_NAME_LEN} characters")));
        }
        for prefix in &mut name.prefix {
            while prefix.ends_with('.') {
                prefix.pop();
            }
        }
        check_period("name", name.period.as_ref(), today)?;
    }

    // Addresses.
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for a in &new.address {
        let u = a.address_use.as_deref().unwrap_or("home");
        *uses.entry(u).or_default() += 1;
        if u == "work" {
            let unchanged = old.is_some_and(|o| o.address.iter().any(|x| x == a));
            if !unchanged {
                return Err(unsupported("a 'work' address cannot be added or changed"));
            }
        }
        if !["home", "temp", "billing", "work"].contains(&u) {
            return Err(SpineError::new(
                ErrorCode::InvalidValue,
                format!("Invalid value - '{u}' in field 'address.use'"),
            ));
        }
        if u == "temp" || u == "billing" {
            let has_both = a.period.as_ref().is_some_and(|p| p.start.is_some() && p.end.is_some());
            if !has_both {
                return Err(invalid(format!("a {u} address needs a period with a start and an end")));
            }
        }
        if u == "temp" && !a.text.as_deref().is_some_and(|t| TEMP_ADDRESS_TEXTS.contains(&t)) {
            return Err(invalid("a temp address needs a description in 'text'"));
        }
        if a.line.len() > 5 {
            return Err(SpineError::new(
                ErrorCode::TooManyValuesSubmitted,
                "Too many values submitted - an address has at most 5 lines",
            ));
        }
        check_period("address", a.period.as_ref(), today).or_else(|e| {
            // Temporary and billing addresses may end in the future; only the start is checked.
            if u == "temp" || u == "billing" { Ok(()) } else { Err(e) }
        })?;
    }
    for u in ["home", "temp", "billing"] {
        if uses.get(u).copied().unwrap_or(0) > 1 {
            return Err(invalid(format!("a patient has at most one {u} address")));
        }
    }

    // Telecom.
    for t in &new.telecom {
        let system = t.system.as_deref().unwrap_or("");
        if !["phone", "fax", "email", "other", "pager", "url", "sms"].contains(&system) {
            return Err(SpineError::new(
                ErrorCode::InvalidValue,
                format!("Invalid value - '{system}' in field 'telecom.system'"),
            ));
        }
        if let Some(u) = t.contact_use.as_deref()
            && !["home", "work", "temp", "mobile", "old"].contains(&u)
        {
            return Err(SpineError::new(
                ErrorCode::InvalidValue,
                format!("Invalid value - '{u}' in field 'telecom.use'"),
            ));
        }
        let value = t.value.as_deref().unwrap_or("");
        if value.is_empty() {
            return Err(invalid("a telecom needs a value"));
        }
        if system == "email" && !(value.len() > 6 && value.len() < 90 && value.contains('@') && !value.contains(' ')) {
            return Err(invalid("an email address must be valid and 7 to 89 characters"));
        }
        check_period("telecom", t.period.as_ref(), today)?;
    }

    // Registered GP.
    if new.general_practitioner.len() > 1 {
        return Err(SpineError::new(
            ErrorCode::TooManyValuesSubmitted,
            "Too many values submitted - at most one general practitioner",
        ));
    }
    for gp in &new.general_practitioner {
        let v = &gp.identifier.value;
        if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SpineError::new(
                ErrorCode::InvalidValue,
                "Invalid value - generalPractitioner identifier must be an ODS code",
            ));
        }
    }

    // Extensions.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for e in &new.extension {
        let url = extension_url(e).ok_or_else(|| invalid("every extension needs a url"))?;
        if let Some(name) = SINGLE_EXTENSIONS.iter().find(|n| url.ends_with(*n)) {
            *seen.entry(name).or_default() += 1;
        }
        if url == COMMUNICATION_URL {
            let english = e
                .get("extension")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
                .filter(|x| extension_url(x) == Some("language"))
                .any(|x| x.pointer("/valueCodeableConcept/coding/0/code").and_then(|c| c.as_str()) == Some("en"));
            if english {
                return Err(invalid("English must not be given as a preferred language"));
            }
        }
        if url == CONTACT_PREFERENCE_URL {
            let time_too_long = e
                .get("extension")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
                .filter(|x| extension_url(x) == Some("PreferredContactTimes"))
                .any(|x| x.get("valueString").and_then(|v| v.as_str()).is_some_and(|s| s.chars().count() > 40));
            if time_too_long {
                return Err(invalid("preferred contact times are at most 40 characters"));
            }
        }
    }
    if let Some((name, _)) = seen.iter().find(|(_, n)| **n > 1) {
        return Err(invalid(format!("at most one {name} extension")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use spine_shared::fhir::{Address, HumanName};

    fn patient() -> Patient {
        let mut p = Patient::empty();
        p.gender = Some("female".into());
        p.birth_date = Some("1980-01-02".into());
        p.name = vec![HumanName { name_use: Some("usual".into()), family: Some("Smith".into()), ..Default::default() }];
        p
    }

    fn day() -> Date {
        parse_date("2026-11-22").unwrap()
    }

    fn check(old: &Patient, new: Patient) -> SpineResult<Patient> {
        let mut new = new;
        validate(Some(old), &mut new, day()).map(|_| new)
    }

    #[test]
    fn gender_cannot_be_removed_or_set_to_other() {
        let old = patient();
        let mut new = patient();
        new.gender = None;
        assert_eq!(check(&old, new).unwrap_err().code, ErrorCode::InvalidUpdate);
        let mut new = patient();
        new.gender = Some("other".into());
        let e = check(&old, new).unwrap_err();
        assert_eq!((e.code, e.status()), (ErrorCode::ForbiddenUpdate, 403));
        let mut new = patient();
        new.gender = Some("unknown".into());
        assert!(check(&old, new).is_ok());
    }

    #[test]
    fn birth_date_rules() {
        let old = patient();
        for bad in [None, Some("2099-01-01"), Some("1980-1-2"), Some("1980-02-30")] {
            let mut new = patient();
            new.birth_date = bad.map(str::to_owned);
            assert_eq!(check(&old, new).unwrap_err().code, ErrorCode::InvalidUpdate, "{bad:?}");
        }
    }

    #[test]
    fn a_date_of_death_needs_its_format_and_a_notification_status() {
        let old = patient();
        let mut new = patient();
        new.deceased_date_time = Some("2020-01-01T00:00:00+00:00".into());
        assert_eq!(check(&old, new.clone()).unwrap_err().code, ErrorCode::InvalidUpdate);
        new.extension.push(serde_json::json!({"url": DEATH_NOTIFICATION_URL, "extension": []}));
        assert!(check(&old, new.clone()).is_ok());
        new.deceased_date_time = Some("2020-01-01T00:00:00+01:00".into());
        assert_eq!(check(&old, new.clone()).unwrap_err().code, ErrorCode::InvalidUpdate);
        new.deceased_date_time = Some("1970-01-01T00:00:00+00:00".into());
        assert_eq!(check(&old, new).unwrap_err().code, ErrorCode::InvalidUpdate);
        let mut dead = patient();
        dead.deceased_date_time = Some("2020-01-01".into());
        assert_eq!(check(&dead, patient()).unwrap_err().code, ErrorCode::InvalidUpdate);
    }

    #[test]
    fn exactly_one_usual_name_and_prefixes_lose_full_stops() {
        let old = patient();
        let mut new = patient();
        new.name.push(HumanName { name_use: Some("usual".into()), family: Some("Jones".into()), ..Default::default() });
        assert_eq!(check(&old, new).unwrap_err().code, ErrorCode::InvalidUpdate);
        let mut new = patient();
        new.name[0].prefix = vec!["Mrs.".into()];
        assert_eq!(check(&old, new).unwrap().name[0].prefix, vec!["Mrs".to_owned()]);
    }

    #[test]
    fn address_rules() {
        let old = patient();
        let temp = |text: Option<&str>, period: Option<Period>| Address {
            address_use: Some("temp".into()),
            text: text.map(str::to_owned),
            period,
            ..Default::default()
        };
        let both = Some(Period { start: Some("2026-01-01".into()), end: Some("2027-01-01".into()) });
        let mut new = patient();
        new.address = vec![temp(Some("Second Home"), both.clone())];
        assert!(check(&old, new).is_ok());
        let mut new = patient();
        new.address = vec![temp(Some("Second Home"), None)];
        assert_eq!(check(&old, new).unwrap_err().code, ErrorCode::InvalidUpdate);
        let mut new = patient();
        new.address = vec![temp(Some("Castle"), both)];
        assert_eq!(check(&old, new).unwrap_err().code, ErrorCode::InvalidUpdate);
        let mut new = patient();
        new.address = vec![Address::default(), Address::default()];
        assert_eq!(check(&old, new).unwrap_err().code, ErrorCode::InvalidUpdate);
        let mut new = patient();
        new.address = vec![Address { address_use: Some("work".into()), ..Default::default() }];
        assert_eq!(check(&old, new).unwrap_err().code, ErrorCode::UnsupportedValue);
    }

    #[test]
    fn period_rules() {
        let old = patient();
        let mut new = patient();
        new.name[0].period = Some(Period { start: None, end: Some("2020-01-01".into()) });
        assert!(check(&old, new.clone()).is_err());
        new.name[0].period = Some(Period { start: Some("2020-01-02".into()), end: Some("2020-01-01".into()) });
        assert!(check(&old, new.clone()).is_err());
        new.name[0].period = Some(Period { start: Some("2030-01-02".into()), end: None });
        assert!(check(&old, new).is_err());
    }
}
