//! Search parameters as PDS takes them: parsed into a typed `SearchRequest` and checked against
//! the real API's rules — the parameter whitelist, value formats, date prefixes and ranges,
//! wildcards, the minimum parameter sets of fuzzy and non-fuzzy searches, `_max-results`.

use spine_shared::{ErrorCode, SpineError, SpineResult};
use time::Date;
use time::macros::format_description;

use crate::names::{fold, fold_postcode};

/// The most characters PDS takes in a name parameter.
pub const MAX_NAME_LEN: usize = 35;
pub const DEFAULT_MAX_RESULTS: usize = 50;

/// A name or postcode to match: folded, with `*` wildcards when `wildcard`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub folded: String,
    pub wildcard: bool,
}

/// An inclusive date range; `eq` sets both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateRange {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl DateRange {
    pub fn contains(&self, d: Date) -> bool {
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }

    pub fn is_exact(&self) -> bool {
        self.from.is_some() && self.from == self.to
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub family: Option<Pattern>,
    pub given: Vec<Pattern>,
    pub gender: Option<String>,
    pub birthdate: DateRange,
    pub death_date: Option<DateRange>,
    pub postcode: Option<Pattern>,
    pub general_practitioner: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub fuzzy: bool,
    pub exact: bool,
    pub history: bool,
    pub max_results: usize,
    /// Keep restricted patients even in a search by location (the create duplicate check).
    pub include_restricted: bool,
    /// Matches scoring below this are left out and not counted (the create duplicate check).
    pub min_score: f64,
}

const KNOWN: [&str; 14] = [
    "family",
    "given",
    "gender",
    "birthdate",
    "death-date",
    "address-postalcode",
    "address-postcode",
    "general-practitioner",
    "email",
    "phone",
    "_fuzzy-match",
    "_exact-match",
    "_history",
    "_max-results",
];

fn invalid_value(field: &str, value: &str) -> SpineError {
    SpineError::new(ErrorCode::InvalidValue, format!("Invalid value - '{value}' in field '{field}'"))
}

fn invalid_search(why: &str) -> SpineError {
    SpineError::new(ErrorCode::InvalidSearchData, format!("Invalid search data provided - '{why}'"))
}

/// Parses a date parameter value: `[eq|ge|le]YYYY-MM-DD`.
fn parse_date(field: &str, value: &str) -> SpineResult<(&'static str, Date)> {
    let (prefix, date) = match value.get(..2) {
        Some(p @ ("eq" | "ge" | "le")) => (p, &value[2..]),
        _ => ("eq", value),
    };
    let prefix: &'static str = match prefix {
        "ge" => "ge",
        "le" => "le",
        _ => "eq",
    };
    let format = format_description!("[year]-[month]-[day]");
    let d = Date::parse(date, &format).map_err(|_| invalid_value(field, value))?;
    Ok((prefix, d))
}

fn date_range(field: &str, values: &[&str]) -> SpineResult<Option<DateRange>> {
    if values.is_empty() {
        return Ok(None);
    }
    if values.len() > 2 {
        return Err(invalid_search(&format!("{field} may be given at most twice, as a range")));
    }
    let mut range = DateRange::default();
    let mut seen: Vec<&str> = Vec::new();
    for v in values {
        let (prefix, d) = parse_date(field, v)?;
        if seen.contains(&prefix) || (prefix == "eq" && !seen.is_empty()) || seen.contains(&"eq") {
            return Err(invalid_search(&format!("{field} repeated must be a range of ge and le")));
        }
        seen.push(prefix);
        match prefix {
            "ge" => range.from = Some(d),
            "le" => range.to = Some(d),
            _ => {
                range.from = Some(d);
                range.to = Some(d);
            }
        }
    }
    if let (Some(f), Some(t)) = (range.from, range.to)
        && f > t
    {
        return Err(invalid_search(&format!("{field} range ends before it starts")));
    }
    Ok(Some(range))
}

fn name_pattern(field: &str, value: &str, fuzzy: bool) -> SpineResult<Pattern> {
    pattern(field, value, fuzzy, fold)
}

fn postcode_pattern(value: &str, fuzzy: bool) -> SpineResult<Pattern> {
    pattern("address-postalcode", value, fuzzy, fold_postcode)
}

fn pattern(field: &str, value: &str, fuzzy: bool, folder: fn(&str) -> String) -> SpineResult<Pattern> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid_value(field, value));
    }
    if trimmed.chars().count() > MAX_NAME_LEN {
        return Err(SpineError::new(
            ErrorCode::InvalidValue,
            format!("Invalid value - '{field}' is longer than {MAX_NAME_LEN} characters"),
        ));
    }
    let wildcard = trimmed.contains('*');
    if wildcard {
        if fuzzy {
            return Err(invalid_search("wildcards cannot be used with a fuzzy search"));
        }
        if trimmed.chars().take(2).any(|c| c == '*') {
            return Err(invalid_search(&format!("a wildcard in {field} must follow at least two characters")));
        }
    }
    let folded = trimmed.split('*').map(folder).collect::<Vec<_>>().join("*");
    if folded.replace('*', "").is_empty() {
        return Err(invalid_value(field, value));
    }
    if wildcard && folded.find('*').is_some_and(|i| i < 2) {
        return Err(invalid_search(&format!("a wildcard in {field} must follow at least two letters")));
    }
    Ok(Pattern { folded, wildcard })
}

fn flag(field: &str, value: &str) -> SpineResult<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid_value(field, value)),
    }
}

/// Parses and validates the query parameters of a search.
pub fn parse(query: &[(String, String)]) -> SpineResult<SearchRequest> {
    if query.is_empty() {
        return Err(SpineError::new(ErrorCode::UnsupportedService, "Missing search parameters"));
    }
    for (k, _) in query {
        if !KNOWN.contains(&k.as_str()) {
            return Err(SpineError::new(
                ErrorCode::AdditionalProperties,
                format!("Invalid search data provided - '{k}' is not a supported search parameter"),
            ));
        }
    }
    let values =
        |name: &str| -> Vec<&str> { query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect() };
    let single = |name: &str| -> SpineResult<Option<&str>> {
        match values(name).as_slice() {
            [] => Ok(None),
            [v] => Ok(Some(v)),
            _ => Err(invalid_search(&format!("{name} may be given only once"))),
        }
    };

    let fuzzy = single("_fuzzy-match")?.map(|v| flag("_fuzzy-match", v)).transpose()?.unwrap_or(false);
    let exact = single("_exact-match")?.map(|v| flag("_exact-match", v)).transpose()?.unwrap_or(false);
    let history = single("_history")?.map(|v| flag("_history", v)).transpose()?.unwrap_or(false) || fuzzy;
    let max_results = match single("_max-results")? {
        None => DEFAULT_MAX_RESULTS,
        Some(v) => match v.parse::<usize>() {
            Ok(n @ 1..=50) => n,
            _ => {
                return Err(SpineError::new(
                    ErrorCode::InvalidValue,
                    format!("Invalid value - '{v}' in field '_max-results' (1 to 50)"),
                ));
            }
        },
    };

    let family = single("family")?.map(|v| name_pattern("family", v, fuzzy)).transpose()?;
    let given =
        values("given").into_iter().map(|v| name_pattern("given", v, fuzzy)).collect::<SpineResult<Vec<_>>>()?;
    let gender = match single("gender")? {
        None => None,
        Some(g @ ("male" | "female" | "other" | "unknown")) => Some(g.to_owned()),
        Some(g) => return Err(invalid_value("gender", g)),
    };
    let birthdate = date_range("birthdate", &values("birthdate"))?;
    let death_date = date_range("death-date", &values("death-date"))?;

    let postcode_new = single("address-postalcode")?;
    let postcode_old = single("address-postcode")?;
    if postcode_new.is_some() && postcode_old.is_some() {
        return Err(invalid_search("address-postalcode and address-postcode cannot both be given"));
    }
    let postcode = postcode_new.or(postcode_old).map(|v| postcode_pattern(v, fuzzy)).transpose()?;

    let general_practitioner = match single("general-practitioner")? {
        None => None,
        Some(v) if !v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Some(v.to_ascii_uppercase())
        }
        Some(v) => return Err(invalid_value("general-practitioner", v)),
    };
    let email = match single("email")? {
        None => None,
        Some(v) if v.contains('*') => return Err(invalid_search("wildcards cannot be used in email")),
        Some(v) if v.len() > 6 && v.len() < 90 && v.contains('@') => Some(v.to_ascii_lowercase()),
        Some(v) => return Err(invalid_value("email", v)),
    };
    let phone = match single("phone")? {
        None => None,
        Some(v) if v.contains('*') => return Err(invalid_search("wildcards cannot be used in phone")),
        Some(v) => {
            let digits = normalise_phone(v);
            if digits.len() < 3 || digits.len() > 20 {
                return Err(invalid_value("phone", v));
            }
            Some(digits)
        }
    };

    let Some(birthdate) = birthdate else {
        return Err(invalid_search(if fuzzy {
            "a fuzzy search needs given, family and birthdate; or family, birthdate, gender and postcode; or given, birthdate, gender and postcode"
        } else {
            "a search needs at least family and birthdate"
        }));
    };
    if fuzzy {
        let has = |b: bool| b;
        let sets = [
            has(!given.is_empty()) && has(family.is_some()),
            has(family.is_some()) && has(gender.is_some()) && has(postcode.is_some()),
            has(!given.is_empty()) && has(gender.is_some()) && has(postcode.is_some()),
        ];
        if !sets.iter().any(|s| *s) {
            return Err(invalid_search(
                "a fuzzy search needs given, family and birthdate; or family, birthdate, gender and postcode; or given, birthdate, gender and postcode",
            ));
        }
    } else if family.is_none() {
        return Err(invalid_search("a search needs at least family and birthdate"));
    }

    Ok(SearchRequest {
        family,
        given,
        gender,
        birthdate,
        death_date,
        postcode,
        general_practitioner,
        email,
        phone,
        fuzzy,
        exact,
        history,
        max_results,
        include_restricted: false,
        min_score: 0.0,
    })
}

/// Digits of a phone number, with a leading `+44` read as `0`.
pub fn normalise_phone(v: &str) -> String {
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("44") {
        Some(rest) if v.trim_start().starts_with('+') => format!("0{rest}"),
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn code(pairs: &[(&str, &str)]) -> ErrorCode {
        parse(&q(pairs)).unwrap_err().code
    }

    #[test]
    fn family_and_birthdate_is_the_non_fuzzy_minimum() {
        let r = parse(&q(&[("family", "Smith"), ("birthdate", "eq2010-10-22")])).unwrap();
        assert_eq!(r.family.unwrap().folded, "SMITH");
        assert!(r.birthdate.is_exact());
        assert_eq!(r.max_results, 50);
        assert_eq!(code(&[("family", "Smith")]), ErrorCode::InvalidSearchData);
        assert_eq!(code(&[("birthdate", "2010-10-22"), ("gender", "female")]), ErrorCode::InvalidSearchData);
        assert_eq!(code(&[("email", "j.smith@example.com"), ("phone", "0163")]), ErrorCode::InvalidSearchData);
    }

    #[test]
    fn no_parameters_is_unsupported_service() {
        assert_eq!(code(&[]), ErrorCode::UnsupportedService);
    }

    #[test]
    fn unknown_parameters_are_additional_properties() {
        assert_eq!(
            code(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("invalidParam", "123")]),
            ErrorCode::AdditionalProperties
        );
    }

    #[test]
    fn a_birthdate_range_is_given_by_repetition() {
        let r =
            parse(&q(&[("family", "Smith"), ("birthdate", "ge2010-10-21"), ("birthdate", "le2010-10-23")])).unwrap();
        assert_eq!(r.birthdate.from.unwrap().to_string(), "2010-10-21");
        assert_eq!(r.birthdate.to.unwrap().to_string(), "2010-10-23");
        assert_eq!(
            code(&[("family", "S"), ("birthdate", "eq2010-10-21"), ("birthdate", "eq2010-10-23")]),
            ErrorCode::InvalidSearchData
        );
        assert_eq!(
            code(&[("family", "S"), ("birthdate", "ge2010-10-21"), ("birthdate", "ge2010-10-23")]),
            ErrorCode::InvalidSearchData
        );
        assert_eq!(
            code(&[("family", "S"), ("birthdate", "ge2010-10-23"), ("birthdate", "le2010-10-21")]),
            ErrorCode::InvalidSearchData
        );
        assert_eq!(
            code(&[("family", "S"), ("birthdate", "ge1"), ("birthdate", "le2"), ("birthdate", "eq3")]),
            ErrorCode::InvalidSearchData
        );
    }

    #[test]
    fn malformed_values_are_invalid_value() {
        assert_eq!(code(&[("family", "Smith"), ("birthdate", "2010-13-45")]), ErrorCode::InvalidValue);
        assert_eq!(code(&[("family", "Smith"), ("birthdate", "22/10/2010")]), ErrorCode::InvalidValue);
        assert_eq!(
            code(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("gender", "mal")]),
            ErrorCode::InvalidValue
        );
        assert_eq!(
            code(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("_max-results", "51")]),
            ErrorCode::InvalidValue
        );
        assert_eq!(
            code(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("_max-results", "0")]),
            ErrorCode::InvalidValue
        );
        assert_eq!(
            code(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("_fuzzy-match", "yes")]),
            ErrorCode::InvalidValue
        );
        assert_eq!(code(&[("family", &"x".repeat(36)), ("birthdate", "2010-10-22")]), ErrorCode::InvalidValue);
        assert_eq!(
            code(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("email", "nope")]),
            ErrorCode::InvalidValue
        );
    }

    #[test]
    fn wildcards_follow_the_pds_rules() {
        let r = parse(&q(&[("family", "Sm*"), ("birthdate", "2010-10-22")])).unwrap();
        assert!(r.family.unwrap().wildcard);
        assert_eq!(code(&[("family", "S*"), ("birthdate", "2010-10-22")]), ErrorCode::InvalidSearchData);
        assert_eq!(code(&[("family", "*mith"), ("birthdate", "2010-10-22")]), ErrorCode::InvalidSearchData);
        assert_eq!(
            code(&[("family", "Sm*"), ("given", "Jane"), ("birthdate", "2010-10-22"), ("_fuzzy-match", "true")]),
            ErrorCode::InvalidSearchData
        );
        assert_eq!(
            code(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("email", "j*@x.com")]),
            ErrorCode::InvalidSearchData
        );
    }

    #[test]
    fn fuzzy_searches_need_one_of_three_parameter_sets() {
        let ok = |p: &[(&str, &str)]| parse(&q(p)).unwrap();
        assert!(
            ok(&[("family", "Smith"), ("given", "Jane"), ("birthdate", "2010-10-22"), ("_fuzzy-match", "true")])
                .history
        );
        ok(&[
            ("family", "Smith"),
            ("gender", "female"),
            ("address-postalcode", "LS1 6AE"),
            ("birthdate", "2010-10-22"),
            ("_fuzzy-match", "true"),
        ]);
        ok(&[
            ("given", "Jane"),
            ("gender", "female"),
            ("address-postalcode", "LS1 6AE"),
            ("birthdate", "2010-10-22"),
            ("_fuzzy-match", "true"),
        ]);
        assert_eq!(
            code(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("_fuzzy-match", "true")]),
            ErrorCode::InvalidSearchData
        );
        assert_eq!(
            code(&[("family", "Smith"), ("given", "Jane"), ("_fuzzy-match", "true")]),
            ErrorCode::InvalidSearchData
        );
    }

    #[test]
    fn both_postcode_parameters_conflict() {
        assert_eq!(
            code(&[
                ("family", "Smith"),
                ("birthdate", "2010-10-22"),
                ("address-postalcode", "LS1"),
                ("address-postcode", "LS1")
            ]),
            ErrorCode::InvalidSearchData
        );
        let r =
            parse(&q(&[("family", "Smith"), ("birthdate", "2010-10-22"), ("address-postcode", "LS1 6AE")])).unwrap();
        assert_eq!(r.postcode.unwrap().folded, "LS16AE");
    }

    #[test]
    fn non_repeatable_parameters_may_appear_once() {
        assert_eq!(
            code(&[("family", "Smith"), ("family", "Jones"), ("birthdate", "2010-10-22")]),
            ErrorCode::InvalidSearchData
        );
        let r =
            parse(&q(&[("family", "Smith"), ("given", "John Paul"), ("given", "James"), ("birthdate", "2010-10-22")]))
                .unwrap();
        assert_eq!(r.given.len(), 2);
    }

    #[test]
    fn phone_numbers_compare_by_digits() {
        assert_eq!(normalise_phone("01632 960587"), "01632960587");
        assert_eq!(normalise_phone("+44 1632 960587"), "01632960587");
    }
}
