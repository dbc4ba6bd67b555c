//! Names as PDS matches them: folded to upper-case ASCII letters (accents dropped, punctuation
//! and spaces removed), American Soundex for homophones, and `*` wildcards.

/// Folds a name for matching: `O'Reilly` → `OREILLY`, `Kociński` → `KOCINSKI`,
/// `Smith-Jones` → `SMITHJONES`. Characters with no ASCII letter are dropped.
pub fn fold(name: &str) -> String {
    spine_shared::text::fold(name, false)
}

/// American Soundex of a folded name: its first letter and three digits (`SMITH` and `SMYTHE` →
/// `S530`). `None` for an empty name.
pub fn soundex(folded: &str) -> Option<String> {
    let mut chars = folded.chars().filter(char::is_ascii_alphabetic);
    let first = chars.next()?.to_ascii_uppercase();
    let code = |c: char| match c {
        'B' | 'F' | 'P' | 'V' => '1',
        'C' | 'G' | 'J' | 'K' | 'Q' | 'S' | 'X' | 'Z' => '2',
        'D' | 'T' => '3',
        'L' => '4',
        'M' | 'N' => '5',
        'R' => '6',
        'H' | 'W' => 'h',
        _ => '0',
    };
    let mut out = String::with_capacity(4);
    out.push(first);
    let mut last = code(first);
    for c in chars {
        let d = code(c.to_ascii_uppercase());
        match d {
            // H and W do not separate letters with the same code.
            'h' => continue,
            '0' => last = '0',
            d if d != last => {
                out.push(d);
                last = d;
                if out.len() == 4 {
                    break;
                }
            }
            _ => {}
        }
    }
    while out.len() < 4 {
        out.push('0');
    }
    Some(out)
}

/// Whether a folded value matches a folded pattern where `*` stands for any run of letters.
pub fn glob(pattern: &str, value: &str) -> bool {
    let (p, v) = (pattern.as_bytes(), value.as_bytes());
    let (mut pi, mut vi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while vi < v.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            pi += 1;
            mark = vi;
        } else if pi < p.len() && p[pi] == v[vi] {
            pi += 1;
            vi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Folds a postcode for matching: upper-case letters and digits only (`ls1 6ae` → `LS16AE`).
pub fn fold_postcode(postcode: &str) -> String {
    postcode.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// The partition prefix of a folded family name in the name index: its first two letters.
pub fn family_prefix(folded: &str) -> &str {
    let end = folded.char_indices().nth(2).map(|(i, _)| i).unwrap_or(folded.len());
    &folded[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_punctuation_case_and_accents() {
        assert_eq!(fold("O'Reilly"), "OREILLY");
        assert_eq!(fold("Kociński"), "KOCINSKI");
        assert_eq!(fold("Smith-Jones"), "SMITHJONES");
        assert_eq!(fold("  de la Cruz "), "DELACRUZ");
        assert_eq!(fold("Ørsted"), "ORSTED");
    }

    #[test]
    fn soundex_matches_the_standard_examples() {
        for (name, code) in [
            ("ROBERT", "R163"),
            ("RUPERT", "R163"),
            ("RUBIN", "R150"),
            ("ASHCRAFT", "A261"),
            ("ASHCROFT", "A261"),
            ("TYMCZAK", "T522"),
            ("PFISTER", "P236"),
            ("HONEYMAN", "H555"),
            ("SMITH", "S530"),
            ("SMYTHE", "S530"),
            ("LEE", "L000"),
        ] {
            assert_eq!(soundex(name).as_deref(), Some(code), "{name}");
        }
        assert_eq!(soundex(""), None);
    }

    #[test]
    fn globs_match_anywhere_after_the_literal_start() {
        assert!(glob("SM*", "SMITH"));
        assert!(glob("SM*TH", "SMITH"));
        assert!(glob("SM*TH", "SMYTH"));
        assert!(!glob("SM*TH", "SMITHE"));
        assert!(glob("SMITH", "SMITH"));
        assert!(!glob("SMITH", "SMITHS"));
        assert!(glob("JO*N*", "JOHNSON"));
        assert!(!glob("JA*", "JOHN"));
    }

    #[test]
    fn postcodes_fold_to_letters_and_digits() {
        assert_eq!(fold_postcode("ls1 6ae"), "LS16AE");
        assert_eq!(fold_postcode("LS1-6AE "), "LS16AE");
    }

    #[test]
    fn family_prefix_is_two_letters_or_fewer() {
        assert_eq!(family_prefix("SMITH"), "SM");
        assert_eq!(family_prefix("O"), "O");
    }
}
