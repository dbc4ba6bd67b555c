//! MESH message ids in the real service's format, `yyyymmddHHMMSSffffff_XXXXXX`: the UTC time to
//! the microsecond, an underscore, then six upper-case hex digits of randomness (MAS examples such
//! as `20210311101813838554_1B8F53`; the sandbox uses uuid4 hex instead). Ids in paths are matched
//! case-insensitively (the sandbox upper-cases them), so parsing normalises to upper case.

use std::fmt;
use std::str::FromStr;

use rand_core::{OsRng, RngCore};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Digits of the time part.
const TIME_DIGITS: usize = 20;
/// Hex digits of the random suffix.
const SUFFIX_DIGITS: usize = 6;
/// Total length: time, `_`, suffix.
pub const MESSAGE_ID_LEN: usize = TIME_DIGITS + 1 + SUFFIX_DIGITS;

/// A well-formed MESH message id (upper case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageId(String);

/// A string that is not a MESH message id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a MESH message id (yyyymmddHHMMSSffffff_XXXXXX)")]
pub struct InvalidMessageId;

impl MessageId {
    /// A new id for `now` with a random suffix from the operating system.
    pub fn generate(now: OffsetDateTime) -> Self {
        Self::generate_with(now, &mut OsRng)
    }

    /// A new id for `now` with a suffix drawn from `rng` (24 random bits; uniqueness across ids in
    /// the same microsecond is the store's conditional write's job).
    pub fn generate_with(now: OffsetDateTime, rng: &mut impl RngCore) -> Self {
        let now = now.to_offset(time::UtcOffset::UTC);
        let suffix = rng.next_u32() & 0x00FF_FFFF;
        MessageId(format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}{:06}_{:06X}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.microsecond(),
            suffix
        ))
    }

    /// Parses and validates an id (any case; the result is upper case). The time part must be a
    /// real date and time.
    pub fn parse(value: &str) -> Result<Self, InvalidMessageId> {
        let bytes = value.as_bytes();
        if bytes.len() != MESSAGE_ID_LEN
            || !bytes[..TIME_DIGITS].iter().all(u8::is_ascii_digit)
            || bytes[TIME_DIGITS] != b'_'
            || !bytes[TIME_DIGITS + 1..].iter().all(u8::is_ascii_hexdigit)
        {
            return Err(InvalidMessageId);
        }
        parse_time(&value[..TIME_DIGITS]).ok_or(InvalidMessageId)?;
        Ok(MessageId(value.to_ascii_uppercase()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The UTC time the id was generated at.
    pub fn timestamp(&self) -> OffsetDateTime {
        // Validated on construction.
        parse_time(&self.0[..TIME_DIGITS]).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// `yyyymmddHHMMSSffffff` (all ASCII digits) as a UTC time, if it is a real one.
fn parse_time(digits: &str) -> Option<OffsetDateTime> {
    let n = |range: std::ops::Range<usize>| digits.get(range)?.parse::<u32>().ok();
    let month = Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?;
    let date = Date::from_calendar_date(i32::try_from(n(0..4)?).ok()?, month, u8::try_from(n(6..8)?).ok()?).ok()?;
    let time = Time::from_hms_micro(
        u8::try_from(n(8..10)?).ok()?,
        u8::try_from(n(10..12)?).ok()?,
        u8::try_from(n(12..14)?).ok()?,
        n(14..20)?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for MessageId {
    type Err = InvalidMessageId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for MessageId {
    type Error = InvalidMessageId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MessageId> for String {
    fn from(id: MessageId) -> Self {
        id.0
    }
}

impl AsRef<str> for MessageId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    /// A deterministic generator for the suffix.
    struct Fixed(u32);

    impl RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            self.0
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.0)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0xAB);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    #[test]
    fn generates_the_real_format() {
        let id = MessageId::generate_with(datetime!(2021-03-11 10:18:13.838554 UTC), &mut Fixed(0x1B8F53));
        assert_eq!(id.as_str(), "20210311101813838554_1B8F53");
        assert_eq!(id.as_str().len(), MESSAGE_ID_LEN);
    }

    #[test]
    fn suffix_is_six_hex_digits_zero_padded_and_masked() {
        let t = datetime!(2024-01-02 03:04:05.000006 UTC);
        assert_eq!(MessageId::generate_with(t, &mut Fixed(0xA)).as_str(), "20240102030405000006_00000A");
        assert_eq!(MessageId::generate_with(t, &mut Fixed(0xFFFF_FFFF)).as_str(), "20240102030405000006_FFFFFF");
    }

    #[test]
    fn generation_uses_utc() {
        let local = datetime!(2024-06-01 01:30:00 +02:00);
        let id = MessageId::generate_with(local, &mut Fixed(0));
        assert!(id.as_str().starts_with("20240531233000000000_"), "{id}");
    }

    #[test]
    fn generated_ids_parse_back_with_their_time() {
        let now = datetime!(2024-02-29 23:59:59.999999 UTC);
        let id = MessageId::generate(now);
        assert_eq!(MessageId::parse(id.as_str()).unwrap(), id);
        assert_eq!(id.timestamp(), now);
        // The suffix is random: twenty ids in the same microsecond are not all equal.
        let ids: std::collections::HashSet<_> = (0..20).map(|_| MessageId::generate(now)).collect();
        assert!(ids.len() > 1);
    }

    #[test]
    fn parse_normalises_case() {
        let id: MessageId = "20210311101813838554_1b8f53".parse().unwrap();
        assert_eq!(id.as_str(), "20210311101813838554_1B8F53");
    }

    #[test]
    fn rejects_malformed_ids() {
        for bad in [
            "",
            "20210311101813838554",
            "20210311101813838554_1B8F5",
            "20210311101813838554_1B8F533",
            "20210311101813838554-1B8F53",
            "2021031110181383855X_1B8F53",
            "20210311101813838554_1B8F5G",
            "20220228174323222_ABCDEF",    // 17 digits (a spec example) is not the real format
            "20211311101813838554_1B8F53", // month 13
            "20210230101813838554_1B8F53", // 30 February
            "20210311241813838554_1B8F53", // hour 24
            "4D4C0F8F6B9D4E6A9C3E2B1A0F9E8D7C", // sandbox uuid4 hex
            "２0210311101813838554_1B8F53",
        ] {
            assert_eq!(MessageId::parse(bad), Err(InvalidMessageId), "{bad:?}");
        }
    }

    #[test]
    fn serde_round_trip_validates() {
        let id = MessageId::parse("20210311101813838554_1B8F53").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"20210311101813838554_1B8F53\"");
        assert_eq!(serde_json::from_str::<MessageId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<MessageId>("\"nope\"").is_err());
    }
}
