//! The short-form prescription id, `XXXXXX-ODSODS-XXXXXC`: six random hex digits, the prescriber's
//! ODS code left-padded with zeros to six characters, a five-hex-digit sequence, and a check
//! character computed with ISO 7064 Mod 37-2 over the 17 characters before it (dashes ignored),
//! whose 37th symbol `*` EPS writes as `+`.

use std::fmt;

use crate::error::EpsError;

/// The Mod 37-2 symbols, by value: 0–9, A–Z, and `+` standing for ISO 7064's `*`.
const CHECK_SYMBOLS: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+";

/// A valid short-form prescription id (format and check character both checked).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrescriptionId(String);

impl PrescriptionId {
    /// A new id for `ods` (at most six letters and digits) from three random bytes and the
    /// prescriber's sequence number (its low 20 bits).
    pub fn generate(random: [u8; 3], ods: &str, sequence: u32) -> Result<Self, EpsError> {
        if ods.is_empty() || ods.len() > 6 || !ods.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(EpsError::invalid_value("the prescriber's ODS code must be 1 to 6 letters and digits"));
        }
        let body = format!(
            "{:02X}{:02X}{:02X}-{:0>6}-{:05X}",
            random[0],
            random[1],
            random[2],
            ods.to_ascii_uppercase(),
            sequence & 0xF_FFFF
        );
        let check = check_character(&body).expect("a generated body has only check-able characters");
        Ok(PrescriptionId(format!("{body}{check}")))
    }

    /// A new id for `ods` with random bytes and sequence (the 44 random bits make a clash between
    /// two callers vanishingly rare; a clash is refused as `DUPLICATE_PRESCRIPTION_ID` anyway).
    pub fn random(ods: &str) -> Result<Self, EpsError> {
        let b = *uuid::Uuid::new_v4().as_bytes();
        Self::generate([b[0], b[1], b[2]], ods, u32::from_be_bytes([0, b[3], b[4], b[5]]))
    }

    /// Parses and checks an id: the layout, the characters of each part, and the check character.
    pub fn parse(text: &str) -> Result<Self, EpsError> {
        let bad = |why: &str| EpsError::invalid_value(format!("invalid prescription id: {why}"));
        let b = text.as_bytes();
        if b.len() != 20 || b[6] != b'-' || b[13] != b'-' {
            return Err(bad("expected the form XXXXXX-XXXXXX-XXXXXC"));
        }
        let hex = |part: &[u8]| part.iter().all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c));
        if !hex(&b[0..6]) || !hex(&b[14..19]) {
            return Err(bad("the first and last parts are upper-case hexadecimal"));
        }
        if !b[7..13].iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()) {
            return Err(bad("the middle part is an upper-case ODS code padded with zeros"));
        }
        let expected = check_character(&text[..19]).ok_or_else(|| bad("unexpected characters"))?;
        if char::from(b[19]) != expected {
            return Err(bad("the check character does not match"));
        }
        Ok(PrescriptionId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ODS code part, as written (zero-padded to six characters).
    pub fn ods_part(&self) -> &str {
        &self.0[7..13]
    }
}

impl fmt::Display for PrescriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Mod 37-2 check character of `body` (dashes ignored; digits and upper-case letters only),
/// or `None` if it holds anything else.
pub fn check_character(body: &str) -> Option<char> {
    let mut total: u32 = 0;
    for c in body.bytes().filter(|&c| c != b'-') {
        let value = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        };
        total = ((total + u32::from(value)) * 2) % 37;
    }
    Some(char::from(CHECK_SYMBOLS[((38 - total) % 37) as usize]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ISO 7064's own verification for a pure system: running the recurrence over the body *and*
    /// the check character ends at 1. An independent check of [`check_character`].
    fn iso_7064_verifies(full: &str) -> bool {
        let mut total: u32 = 0;
        let chars: Vec<u8> = full.bytes().filter(|&c| c != b'-').collect();
        let (body, check) = chars.split_at(chars.len() - 1);
        for &c in body {
            let v = if c.is_ascii_digit() { c - b'0' } else { c - b'A' + 10 };
            total = ((total + u32::from(v)) * 2) % 37;
        }
        let check = CHECK_SYMBOLS.iter().position(|&s| s == check[0]).unwrap() as u32;
        (total + check) % 37 == 1
    }

    #[test]
    fn generated_ids_parse_and_verify_by_iso_7064() {
        for (i, ods) in ["A83008", "FH542", "Y12", "B81001"].iter().enumerate() {
            for seq in [0, 1, 0xABCDE, 0xFFFFF, 0x1_00001] {
                let id = PrescriptionId::generate([i as u8 * 37, 0x5C, 0xF1], ods, seq).unwrap();
                assert_eq!(PrescriptionId::parse(id.as_str()).unwrap(), id);
                assert!(iso_7064_verifies(id.as_str()), "{id}");
                assert_eq!(id.as_str().len(), 20);
            }
        }
        let id = PrescriptionId::generate([0xA1, 0xB2, 0xC3], "fh542", 0x12).unwrap();
        assert!(id.as_str().starts_with("A1B2C3-0FH542-00012"), "{id}");
        assert_eq!(id.ods_part(), "0FH542");
    }

    #[test]
    fn an_id_from_the_nhs_examples_verifies() {
        // The short-form id of the EPS API's example prescriptions.
        let id = PrescriptionId::parse("A0548B-A99968-451485").unwrap();
        assert_eq!(id.ods_part(), "A99968");
        assert!(iso_7064_verifies(id.as_str()));
    }

    #[test]
    fn every_check_symbol_occurs_including_plus() {
        let mut seen = std::collections::BTreeSet::new();
        for seq in 0..2000 {
            let id = PrescriptionId::generate([1, 2, 3], "A83008", seq).unwrap();
            seen.insert(id.as_str().as_bytes()[19]);
        }
        assert_eq!(seen.len(), 37, "all 37 symbols, '+' among them");
        assert!(seen.contains(&b'+'));
    }

    #[test]
    fn a_changed_character_or_swapped_pair_is_caught() {
        let id = PrescriptionId::generate([0x12, 0x34, 0x56], "A83008", 0x2F1).unwrap();
        let text = id.as_str().to_owned();
        for pos in (0..19).filter(|&p| p != 6 && p != 13) {
            let mut b = text.clone().into_bytes();
            b[pos] = if b[pos] == b'0' { b'1' } else { b'0' };
            let changed = String::from_utf8(b).unwrap();
            assert!(PrescriptionId::parse(&changed).is_err(), "single change at {pos}: {changed}");
        }
        let mut b = text.clone().into_bytes();
        b.swap(0, 1);
        if b[0] != b[1] {
            assert!(PrescriptionId::parse(&String::from_utf8(b).unwrap()).is_err());
        }
    }

    #[test]
    fn malformed_ids_are_refused_with_a_reason() {
        for bad in [
            "",
            "A1B2C3-A83008-00012",       // no check character
            "A1B2C3A83008000121",        // no dashes
            "a1b2c3-A83008-000126",      // lower case
            "G1B2C3-A83008-000126",      // not hex
            "A1B2C3-A83_08-000126",      // bad ODS part
            "A1B2C3-A83008-00012*",      // '*' is written '+'
            "A1B2C3-A83008-00012\u{e9}", // not ASCII (21 bytes)
            "A1B2C3-A83008-0001\u{e9}",  // not ASCII where the check character goes (20 bytes)
        ] {
            let err = PrescriptionId::parse(bad).unwrap_err();
            assert!(err.diagnostics().starts_with("invalid prescription id"), "{bad}: {err:?}");
        }
        assert!(PrescriptionId::generate([0; 3], "TOOLONG", 1).is_err());
        assert!(PrescriptionId::generate([0; 3], "", 1).is_err());
        assert!(PrescriptionId::generate([0; 3], "A8-008", 1).is_err());
    }
}
