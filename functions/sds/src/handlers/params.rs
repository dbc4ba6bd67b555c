//! The query parameters of SDS's Device and Endpoint lookups, as the SDS FHIR API reads them: each
//! value is a FHIR token `<system>|<value>`; `organization` and `manufacturing-organization` take
//! the ODS code system, `identifier` takes the service interaction id or the MHS party key system
//! (one of each, as separate occurrences). A parameter outside the lookup's list is
//! `ADDITIONAL_PROPERTIES`; a value with another system, or one that is not an ODS code, party key
//! or interaction id, is `INVALID_VALUE`. As in SDS, a repeated parameter's last non-empty value
//! counts, and a token with nothing after `|` counts as absent.

use spine_shared::{ErrorCode, SpineError, SpineResult};

use super::shown;
use crate::fhir::{INTERACTION_SYSTEM, ODS_CODE_SYSTEM, PARTY_KEY_SYSTEM};
use crate::values::{interaction_id, ods_code, party_key};

pub const ORGANIZATION: &str = "organization";
pub const IDENTIFIER: &str = "identifier";
pub const MANUFACTURER: &str = "manufacturing-organization";

/// The lookup's parameters, each parsed and key-safe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SdsParams {
    pub organization: Option<String>,
    pub interaction: Option<String>,
    pub party_key: Option<String>,
    pub manufacturer: Option<String>,
}

/// Parses `query`, taking only the parameters in `allowed`.
pub fn parse(query: &[(String, String)], allowed: &[&str]) -> SpineResult<SdsParams> {
    let mut p = SdsParams::default();
    for (name, value) in query {
        if !allowed.contains(&name.as_str()) {
            return Err(SpineError::new(
                ErrorCode::AdditionalProperties,
                format!("Illegal query parameter '{}' - this lookup takes {}", shown(name), allowed.join(", ")),
            ));
        }
        match name.as_str() {
            ORGANIZATION | MANUFACTURER => {
                let Some(v) = token(value, ODS_CODE_SYSTEM) else {
                    return Err(SpineError::new(
                        ErrorCode::InvalidValue,
                        format!(
                            "Missing or invalid '{name}' query parameter. Should be '{name}={ODS_CODE_SYSTEM}|value'"
                        ),
                    ));
                };
                if let Some(v) = v {
                    let ods = ods_code(v).ok_or_else(|| invalid(name, v, "an ODS code"))?;
                    let slot = if name == ORGANIZATION { &mut p.organization } else { &mut p.manufacturer };
                    *slot = Some(ods);
                }
            }
            _ => {
                if let Some(v) = token(value, INTERACTION_SYSTEM) {
                    if let Some(v) = v {
                        p.interaction =
                            Some(interaction_id(v).ok_or_else(|| invalid(name, v, "a service interaction id"))?);
                    }
                } else if let Some(v) = token(value, PARTY_KEY_SYSTEM) {
                    if let Some(v) = v {
                        p.party_key = Some(party_key(v).ok_or_else(|| invalid(name, v, "an MHS party key"))?);
                    }
                } else {
                    return Err(SpineError::new(
                        ErrorCode::InvalidValue,
                        format!(
                            "Missing or invalid '{IDENTIFIER}' query parameter. Should be one or both of: \
                             ['{IDENTIFIER}={INTERACTION_SYSTEM}|value', '{IDENTIFIER}={PARTY_KEY_SYSTEM}|value']"
                        ),
                    ));
                }
            }
        }
    }
    Ok(p)
}

/// `Some(value)` of a `<system>|<value>` token of this system (`Some(None)` when the value is
/// blank); `None` when the token has another system or none.
fn token<'a>(raw: &'a str, system: &str) -> Option<Option<&'a str>> {
    let value = raw.strip_prefix(system)?.strip_prefix('|')?.trim();
    Some((!value.is_empty()).then_some(value))
}

fn invalid(name: &str, value: &str, what: &str) -> SpineError {
    SpineError::new(ErrorCode::InvalidValue, format!("Invalid value - '{}' in '{name}' is not {what}", shown(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const ALL: [&str; 3] = [ORGANIZATION, IDENTIFIER, MANUFACTURER];
    const REPC: &str = "urn:nhs:names:services:psis:REPC_IN150016UK05";

    #[test]
    fn tokens_are_read_by_their_system() {
        let p = parse(
            &q(&[
                (ORGANIZATION, &format!("{ODS_CODE_SYSTEM}|y12345")),
                (IDENTIFIER, &format!("{INTERACTION_SYSTEM}|{REPC}")),
                (IDENTIFIER, &format!("{PARTY_KEY_SYSTEM}|Y12345-0000806")),
                (MANUFACTURER, &format!("{ODS_CODE_SYSTEM}|YGA01")),
            ]),
            &ALL,
        )
        .unwrap();
        assert_eq!(p.organization.as_deref(), Some("Y12345"));
        assert_eq!(p.interaction.as_deref(), Some(REPC));
        assert_eq!(p.party_key.as_deref(), Some("Y12345-0000806"));
        assert_eq!(p.manufacturer.as_deref(), Some("YGA01"));
    }

    #[test]
    fn the_last_non_empty_value_counts_and_blank_values_are_absent() {
        let p = parse(
            &q(&[
                (ORGANIZATION, &format!("{ODS_CODE_SYSTEM}|A1")),
                (ORGANIZATION, &format!("{ODS_CODE_SYSTEM}|B2")),
                (ORGANIZATION, &format!("{ODS_CODE_SYSTEM}| ")),
            ]),
            &ALL,
        )
        .unwrap();
        assert_eq!(p.organization.as_deref(), Some("B2"));
        let blank = parse(&q(&[(IDENTIFIER, &format!("{INTERACTION_SYSTEM}|"))]), &ALL).unwrap();
        assert_eq!(blank, SdsParams::default());
    }

    #[test]
    fn refuses_unknown_parameters_systems_and_values() {
        let code = |pairs: &[(&str, &str)], allowed: &[&str]| parse(&q(pairs), allowed).unwrap_err().code;
        assert_eq!(code(&[("pets", "x")], &ALL), ErrorCode::AdditionalProperties);
        assert_eq!(
            code(&[(MANUFACTURER, &format!("{ODS_CODE_SYSTEM}|A"))], &[ORGANIZATION, IDENTIFIER]),
            ErrorCode::AdditionalProperties
        );
        assert_eq!(code(&[(ORGANIZATION, "Y12345")], &ALL), ErrorCode::InvalidValue);
        assert_eq!(code(&[(ORGANIZATION, "https://example.com|Y12345")], &ALL), ErrorCode::InvalidValue);
        assert_eq!(code(&[(ORGANIZATION, &format!("{ODS_CODE_SYSTEM}|Y1#2"))], &ALL), ErrorCode::InvalidValue);
        assert_eq!(code(&[(IDENTIFIER, "urn:x")], &ALL), ErrorCode::InvalidValue);
        assert_eq!(code(&[(IDENTIFIER, &format!("{INTERACTION_SYSTEM}|a|b"))], &ALL), ErrorCode::InvalidValue);
        assert_eq!(code(&[(IDENTIFIER, &format!("{PARTY_KEY_SYSTEM}|A B"))], &ALL), ErrorCode::InvalidValue);
    }
}
