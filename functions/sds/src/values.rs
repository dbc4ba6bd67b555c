//! The values the directory is keyed and searched by, parsed once at the edge: ODS codes,
//! organisation names folded for prefix matching, UK postcodes (a district or a full postcode),
//! MHS party keys and service interaction ids. Every parsed value is safe to put in a key: none
//! holds `#` or `|`.

/// An ODS code: 1 to 9 letters and digits (ODS's own rule), upper-cased.
pub fn ods_code(raw: &str) -> Option<String> {
    let s = raw.trim();
    let ok = (1..=9).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| s.to_ascii_uppercase())
}

/// A name folded for prefix matching: upper-case ASCII letters and digits, everything else
/// (spaces, punctuation, accents' marks) dropped. `St. Mary's Surgery` → `STMARYSSURGERY`.
pub fn fold_name(name: &str) -> String {
    spine_shared::text::fold(name, true)
}

/// A postcode search value: always a district (`LS1`), and the whole postcode without its space
/// (`LS16AE`) when one was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postcode {
    pub district: String,
    pub full: Option<String>,
}

impl Postcode {
    /// `LS1`, `ls1`, `LS1 6AE`, `ls16ae`; `None` for anything that is neither a district nor a
    /// full UK postcode.
    pub fn parse(raw: &str) -> Option<Postcode> {
        let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let b = s.as_bytes();
        let inward = b.len() >= 5
            && b[b.len() - 3].is_ascii_digit()
            && b[b.len() - 2].is_ascii_alphabetic()
            && b[b.len() - 1].is_ascii_alphabetic();
        if inward && is_district(&s[..s.len() - 3]) {
            return Some(Postcode { district: s[..s.len() - 3].to_owned(), full: Some(s) });
        }
        is_district(&s).then_some(Postcode { district: s, full: None })
    }

    /// The district and the whole postcode (without its space) of a stored postcode.
    pub fn keys_of(postcode: &str) -> Option<(String, String)> {
        let p = Postcode::parse(postcode)?;
        let full = p.full?;
        Some((p.district, full))
    }
}

/// An outward code: one or two letters, a digit, then an optional letter or digit.
fn is_district(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=2).contains(&letters) || b.len() < letters + 1 || b.len() > letters + 2 {
        return false;
    }
    b[letters].is_ascii_digit() && b[letters + 1..].iter().all(u8::is_ascii_alphanumeric)
}

/// An MHS party key (`YES-0000806`): letters, digits and hyphens, upper-cased.
pub fn party_key(raw: &str) -> Option<String> {
    let s = raw.trim();
    let ok = (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then(|| s.to_ascii_uppercase())
}

/// A service interaction id (`urn:nhs:names:services:psis:REPC_IN150016UK05`), kept as given:
/// letters, digits and `: . _ -`, at most 200 characters.
pub fn interaction_id(raw: &str) -> Option<String> {
    let s = raw.trim();
    let ok = (1..=200).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b":._-".contains(&b));
    ok.then(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ods_codes_are_one_to_nine_letters_and_digits() {
        assert_eq!(ods_code("Y12345").as_deref(), Some("Y12345"));
        assert_eq!(ods_code("fa666").as_deref(), Some("FA666"));
        assert_eq!(ods_code("X26").as_deref(), Some("X26"));
        for bad in ["", "Y12-345", "ABCDEFGHIJ", "Y12345|X", "Y#1", "Ÿ1"] {
            assert_eq!(ods_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_fold_to_letters_and_digits() {
        assert_eq!(fold_name("St. Mary's Surgery"), "STMARYSSURGERY");
        assert_eq!(fold_name("Café 24"), "CAFE24");
        assert_eq!(fold_name("  ---  "), "");
    }

    #[test]
    fn postcodes_are_districts_or_full_postcodes() {
        assert_eq!(Postcode::parse("LS1"), Some(Postcode { district: "LS1".into(), full: None }));
        assert_eq!(Postcode::parse("ls11"), Some(Postcode { district: "LS11".into(), full: None }));
        assert_eq!(Postcode::parse("LS1 6AE"), Some(Postcode { district: "LS1".into(), full: Some("LS16AE".into()) }));
        assert_eq!(Postcode::parse("sw1a1aa").unwrap().district, "SW1A");
        assert_eq!(Postcode::parse("M1 1AE").unwrap().full.as_deref(), Some("M11AE"));
        for bad in ["", "1LS", "LS", "LS1 6A", "LS1|6AE", "LS123", "ABC1"] {
            assert_eq!(Postcode::parse(bad), None, "{bad}");
        }
        assert_eq!(Postcode::keys_of("LS1 6AE"), Some(("LS1".into(), "LS16AE".into())));
    }

    #[test]
    fn party_keys_and_interactions_are_key_safe() {
        assert_eq!(party_key("yes-0000806").as_deref(), Some("YES-0000806"));
        assert_eq!(party_key("A|B"), None);
        let gpc = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";
        assert_eq!(interaction_id(gpc).as_deref(), Some(gpc));
        assert_eq!(interaction_id("urn:a|b"), None);
        assert_eq!(interaction_id("urn:a#b"), None);
        assert_eq!(interaction_id(""), None);
    }
}
