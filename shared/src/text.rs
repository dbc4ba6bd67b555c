//! Folding text for matching and keys: upper-case ASCII, accents reduced to their base letter
//! (`Kociński` → `KOCINSKI`), everything else dropped. PDS folds names to letters; the directory
//! folds organisation names to letters and digits.

/// Folds `text` to upper-case ASCII letters (and digits when `keep_digits`); accented Latin
/// letters become their base letter; anything else is dropped.
pub fn fold(text: &str, keep_digits: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphabetic() || (keep_digits && c.is_ascii_digit()) {
            out.push(c.to_ascii_uppercase());
        } else if let Some(a) = base_letter(c) {
            out.push(a);
        }
    }
    out
}

/// The base letter of common Latin accented letters.
pub fn base_letter(c: char) -> Option<char> {
    let base = match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ą' | 'ą' => 'A',
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Č' | 'č' => 'C',
        'Ď' | 'ď' => 'D',
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ę' | 'ę' | 'Ě' | 'ě' => 'E',
        'Ì'..='Ï' | 'ì'..='ï' | 'Ī' | 'ī' => 'I',
        'Ł' | 'ł' => 'L',
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ň' | 'ň' => 'N',
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ő' | 'ő' => 'O',
        'Ř' | 'ř' => 'R',
        'Ś' | 'ś' | 'Š' | 'š' | 'ß' => 'S',
        'Ť' | 'ť' => 'T',
        'Ù'..='Ü' | 'ù'..='ü' | 'Ū' | 'ū' | 'Ů' | 'ů' | 'Ű' | 'ű' => 'U',
        'Ý' | 'ý' | 'ÿ' => 'Y',
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => 'Z',
        _ => return None,
    };
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_punctuation() {
        assert_eq!(fold("Kociński-O'Brien", false), "KOCINSKIOBRIEN");
        assert_eq!(fold("St. Mary's Surgery 2", true), "STMARYSSURGERY2");
        assert_eq!(fold("St. Mary's Surgery 2", false), "STMARYSSURGERY");
        assert_eq!(base_letter('ø'), Some('O'));
        assert_eq!(base_letter('-'), None);
    }
}
