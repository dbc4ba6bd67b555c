//! The NHS number: ten digits whose last is a Modulus 11 check digit over the first nine
//! (weights 10..2). PDS checks only the checksum, so every range, the 9xx test range included, is
//! accepted.

use std::fmt;
use std::str::FromStr;

/// A valid NHS number. Construct it with [`NhsNumber::parse`] or [`NhsNumber::from_base`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber(u64);

/// Why a string is not an NHS number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    #[error("an NHS number is exactly 10 digits")]
    Format,
    #[error("the check digit does not match")]
    CheckDigit,
}

impl NhsNumber {
    /// Parses and validates ten ASCII digits.
    pub fn parse(s: &str) -> Result<Self, NhsNumberError> {
        let bytes = s.as_bytes();
        if bytes.len() != 10 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(NhsNumberError::Format);
        }
        let digits: [u8; 10] = std::array::from_fn(|i| bytes[i] - b'0');
        match check_digit(&digits[..9]) {
            Some(c) if c == digits[9] => Ok(NhsNumber(s.parse().map_err(|_| NhsNumberError::Format)?)),
            _ => Err(NhsNumberError::CheckDigit),
        }
    }

    /// Completes a nine-digit base (100_000_000..=999_999_999) with its check digit, or `None` when
    /// the base has no valid check digit (a remainder giving 10).
    pub fn from_base(base: u32) -> Option<Self> {
        if !(100_000_000..=999_999_999).contains(&base) {
            return None;
        }
        let mut digits = [0u8; 9];
        let mut n = base;
        for d in digits.iter_mut().rev() {
            *d = (n % 10) as u8;
            n /= 10;
        }
        check_digit(&digits).map(|c| NhsNumber(u64::from(base) * 10 + u64::from(c)))
    }

    /// The nine-digit base without the check digit.
    pub fn base(self) -> u32 {
        (self.0 / 10) as u32
    }

    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// Modulus 11 over nine digits: 11 - (sum mod 11); 11 becomes 0 and 10 is invalid.
fn check_digit(nine: &[u8]) -> Option<u8> {
    let sum: u32 = nine.iter().zip((2..=10).rev()).map(|(d, w)| u32::from(*d) * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.0)
    }
}

/// Debug never prints the number itself, so a stray `{:?}` cannot leak it into a log line.
impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NhsNumber(<redacted>)")
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NhsNumber::parse(s)
    }
}

impl serde::Serialize for NhsNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for NhsNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        NhsNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_sandbox_test_numbers() {
        for n in ["9000000009", "9000000017", "9000000025", "9000000033", "9111231130"] {
            assert_eq!(NhsNumber::parse(n).unwrap().to_string(), n);
        }
    }

    #[test]
    fn accepts_every_range_by_checksum_alone() {
        // 943 476 5919 is the textbook example; 401 023 2137 an English-range number.
        assert!(NhsNumber::parse("9434765919").is_ok());
        assert!(NhsNumber::parse("4010232137").is_ok());
    }

    #[test]
    fn rejects_a_wrong_check_digit() {
        assert_eq!(NhsNumber::parse("9000000000"), Err(NhsNumberError::CheckDigit));
        assert_eq!(NhsNumber::parse("9434765910"), Err(NhsNumberError::CheckDigit));
    }

    #[test]
    fn rejects_bases_whose_check_digit_would_be_ten() {
        // 900000005 weighs to a remainder of 1, so 11 - 1 = 10: no valid number exists.
        assert_eq!(NhsNumber::from_base(900_000_005), None);
        assert!(NhsNumber::parse("9000000050").is_err());
        assert!(NhsNumber::parse("9000000051").is_err());
    }

    #[test]
    fn rejects_wrong_shapes() {
        for s in ["", "900000000", "90000000099", "900000000a", " 9000000009", "9000-00009", "９000000009"] {
            assert_eq!(NhsNumber::parse(s), Err(NhsNumberError::Format), "{s:?}");
        }
    }

    #[test]
    fn from_base_completes_with_the_check_digit() {
        assert_eq!(NhsNumber::from_base(900_000_000).unwrap().to_string(), "9000000009");
        assert_eq!(NhsNumber::from_base(943_476_591).unwrap().to_string(), "9434765919");
        assert_eq!(NhsNumber::from_base(943_476_591).unwrap().base(), 943_476_591);
        assert_eq!(NhsNumber::from_base(99_999_999), None);
    }

    #[test]
    fn every_completed_base_parses_back() {
        let mut valid = 0;
        for base in 900_000_000..900_011_000 {
            if let Some(n) = NhsNumber::from_base(base) {
                valid += 1;
                assert_eq!(NhsNumber::parse(&n.to_string()), Ok(n));
            }
        }
        // About one base in eleven has no valid check digit.
        assert!((9_900..=10_100).contains(&valid), "{valid}");
    }

    #[test]
    fn debug_does_not_reveal_the_number() {
        let n = NhsNumber::parse("9000000009").unwrap();
        assert!(!format!("{n:?}").contains("9000000009"));
    }

    #[test]
    fn serde_uses_the_ten_digit_string() {
        let n: NhsNumber = serde_json::from_str("\"9000000009\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"9000000009\"");
        assert!(serde_json::from_str::<NhsNumber>("\"9000000000\"").is_err());
    }
}
