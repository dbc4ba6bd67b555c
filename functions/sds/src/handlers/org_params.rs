//! The parameters of the Organization search: `type` (a code of our organisation-type list, with
//! or without its system), `name` (a prefix, folded), `address-postalcode` (a district or a full
//! postcode) and `_count` (1–100, default 20). Each at most once; at least one of the first three.

use spine_shared::{ErrorCode, SpineError, SpineResult};

use super::shown;
use crate::model::OrgType;
use crate::model::organisation::ORG_TYPE_SYSTEM;
use crate::repository::OrgSearch;
use crate::values::{Postcode, fold_name};

pub const DEFAULT_COUNT: usize = 20;
pub const MAX_COUNT: usize = 100;
/// The longest name a search takes (ODS names are at most 100 characters).
pub const MAX_NAME_CHARS: usize = 100;
const KNOWN: [&str; 4] = ["type", "name", "address-postalcode", "_count"];

pub fn parse(query: &[(String, String)]) -> SpineResult<OrgSearch> {
    let mut s = OrgSearch { kind: None, name: None, postcode: None, count: DEFAULT_COUNT };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in query {
        if !KNOWN.contains(&name.as_str()) {
            return Err(SpineError::new(
                ErrorCode::AdditionalProperties,
                format!("Invalid search parameter '{}' - Organization takes {}", shown(name), KNOWN.join(", ")),
            ));
        }
        if seen.contains(&name.as_str()) {
            return Err(SpineError::new(ErrorCode::InvalidSearchData, format!("'{name}' may be given only once")));
        }
        seen.push(name);
        let value = value.trim();
        match name.as_str() {
            "type" => s.kind = Some(org_type(value)?),
            "name" => {
                let folded = fold_name(value);
                if folded.is_empty() || value.chars().count() > MAX_NAME_CHARS {
                    return Err(invalid(&format!(
                        "'name' must hold letters or digits and at most {MAX_NAME_CHARS} characters"
                    )));
                }
                s.name = Some(folded);
            }
            "address-postalcode" => {
                s.postcode = Some(Postcode::parse(value).ok_or_else(|| {
                    invalid(&format!(
                        "'{}' is not a postcode district (LS1) or a full postcode (LS1 6AE)",
                        shown(value)
                    ))
                })?)
            }
            _ => {
                s.count = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_COUNT).contains(n))
                    .ok_or_else(|| invalid(&format!("'_count' must be a whole number from 1 to {MAX_COUNT}")))?;
            }
        }
    }
    if s.kind.is_none() && s.name.is_none() && s.postcode.is_none() {
        return Err(SpineError::new(
            ErrorCode::UnsupportedService,
            "Missing search parameters - give at least one of type, name, address-postalcode",
        ));
    }
    Ok(s)
}

/// `gp-practice` or `<ORG_TYPE_SYSTEM>|gp-practice`.
fn org_type(value: &str) -> SpineResult<OrgType> {
    let code = match value.split_once('|') {
        Some((system, code)) if system == ORG_TYPE_SYSTEM => code,
        Some((system, _)) => {
            return Err(SpineError::new(
                ErrorCode::UnsupportedValue,
                format!("Unsupported type system '{}' - use {ORG_TYPE_SYSTEM}", shown(system)),
            ));
        }
        None => value,
    };
    OrgType::from_code(code).ok_or_else(|| {
        let codes: Vec<&str> = OrgType::ALL.iter().map(|t| t.code()).collect();
        SpineError::new(
            ErrorCode::UnsupportedValue,
            format!("Unsupported organisation type '{}' - one of {}", shown(code), codes.join(", ")),
        )
    })
}

fn invalid(message: &str) -> SpineError {
    SpineError::new(ErrorCode::InvalidValue, format!("Invalid value - {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(pairs: &[(&str, &str)]) -> SpineResult<OrgSearch> {
        parse(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>())
    }

    #[test]
    fn parses_every_parameter() {
        let s = parsed(&[("type", "gp-practice"), ("name", "Boar La"), ("address-postalcode", "ls1"), ("_count", "5")])
            .unwrap();
        assert_eq!(s.kind, Some(OrgType::GpPractice));
        assert_eq!(s.name.as_deref(), Some("BOARLA"));
        assert_eq!(s.postcode.unwrap().district, "LS1");
        assert_eq!(s.count, 5);
        let with_system = parsed(&[("type", &format!("{ORG_TYPE_SYSTEM}|pharmacy"))]).unwrap();
        assert_eq!(with_system.kind, Some(OrgType::Pharmacy));
        assert_eq!(with_system.count, DEFAULT_COUNT);
    }

    #[test]
    fn refuses_what_the_search_does_not_take() {
        let code = |pairs: &[(&str, &str)]| parsed(pairs).unwrap_err().code;
        assert_eq!(code(&[]), ErrorCode::UnsupportedService);
        assert_eq!(code(&[("_count", "5")]), ErrorCode::UnsupportedService);
        assert_eq!(code(&[("pets", "1")]), ErrorCode::AdditionalProperties);
        assert_eq!(code(&[("name:exact", "Boar")]), ErrorCode::AdditionalProperties);
        assert_eq!(code(&[("name", "A"), ("name", "B")]), ErrorCode::InvalidSearchData);
        assert_eq!(code(&[("type", "hospital")]), ErrorCode::UnsupportedValue);
        assert_eq!(code(&[("type", "https://example.com|pharmacy")]), ErrorCode::UnsupportedValue);
        assert_eq!(code(&[("name", "!!!")]), ErrorCode::InvalidValue);
        assert_eq!(code(&[("name", &"a".repeat(101))]), ErrorCode::InvalidValue);
        assert_eq!(code(&[("address-postalcode", "LS1|6AE")]), ErrorCode::InvalidValue);
        for bad in ["0", "101", "x", "-1", ""] {
            assert_eq!(code(&[("name", "A"), ("_count", bad)]), ErrorCode::InvalidValue, "{bad}");
        }
    }
}
