//! The byte keys of the embedded record store: an item is `pk \0 sk`, an index entry
//! `index pk \0 index sk \0 pk \0 sk`. Key parts never hold `\0` (the store refuses them), so the
//! bytes sort exactly as the tuples do (part by part), and a query's key condition is one byte
//! range.

use std::ops::Bound;

use crate::ports::{Cursor, Item, KeyCondition, Query, StoreError, StoreResult};

const SEP: u8 = 0;
/// Above every byte of a UTF-8 key part: bounds a prefix range from above.
const TOP: u8 = 0xFF;

pub type Range = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Refuses a key part the encoding cannot hold.
pub fn check(parts: &[&str]) -> StoreResult<()> {
    match parts.iter().any(|p| p.as_bytes().contains(&SEP)) {
        true => Err(StoreError::Invalid("a key holds a NUL character".into())),
        false => Ok(()),
    }
}

/// Refuses an item whose key or index keys the encoding cannot hold.
pub fn check_item(item: &Item) -> StoreResult<()> {
    check(&[&item.pk, &item.sk])?;
    [&item.gsi1, &item.gsi2].into_iter().flatten().try_for_each(|k| check(&[&k.pk, &k.sk]))
}

/// The key of an item, or of an index entry (`index pk, index sk, pk, sk`).
pub fn join(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.extend_from_slice(p.as_bytes());
    }
    out
}

/// The parts of a key `join` made.
pub fn split<const N: usize>(key: &[u8]) -> StoreResult<[&str; N]> {
    let mut parts = key.splitn(N, |b| *b == SEP);
    let mut out = [""; N];
    for slot in &mut out {
        let part = parts.next().ok_or_else(|| StoreError::Backend("corrupt key".into()))?;
        *slot = std::str::from_utf8(part).map_err(|_| StoreError::Backend("corrupt key".into()))?;
    }
    Ok(out)
}

/// The table's byte range a query selects (`pk \0 sk` keys).
pub fn table_range(q: &Query) -> Range {
    let after = q.start_after.as_ref().map(|c| join(&[&q.pk, &c.sk]));
    range(&[&q.pk], &q.sk, after, q.ascending)
}

/// An index's byte range a query selects (`ipk \0 isk \0 pk \0 sk` keys).
pub fn index_range(q: &Query) -> Range {
    let after = match &q.start_after {
        Some(Cursor { pk, sk, index_key: Some(ik) }) => Some(join(&[&ik.pk, &ik.sk, pk, sk])),
        _ => None,
    };
    range(&[&q.pk], &q.sk, after, q.ascending)
}

/// Keys under `prefix` parts whose next part meets `condition`; resumed after `after` (the last
/// key of the page before, in the query's direction).
fn range(prefix: &[&str], condition: &KeyCondition, after: Option<Vec<u8>>, ascending: bool) -> Range {
    let under = |part: &str| {
        let mut parts = prefix.to_vec();
        parts.push(part);
        join(&parts)
    };
    let mut above = under("");
    above.push(TOP);
    let (mut low, mut high) = match condition {
        KeyCondition::All => (Bound::Included(under("")), Bound::Excluded(above)),
        KeyCondition::Equals(v) => {
            // The part itself, and (index keys) everything after it in the same part.
            let mut end = under(v);
            end.push(SEP);
            end.push(TOP);
            (Bound::Included(under(v)), Bound::Excluded(end))
        }
        KeyCondition::BeginsWith(p) => {
            let mut end = under(p);
            end.push(TOP);
            (Bound::Included(under(p)), Bound::Excluded(end))
        }
        KeyCondition::Between(a, b) => {
            let mut end = under(b);
            end.push(SEP);
            end.push(TOP);
            (Bound::Included(under(a)), Bound::Excluded(end))
        }
    };
    if let Some(at) = after {
        if ascending { low = Bound::Excluded(at) } else { high = Bound::Excluded(at) }
    }
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Index;

    fn within(r: &Range, key: &[u8]) -> bool {
        use std::ops::RangeBounds;
        <Range as RangeBounds<Vec<u8>>>::contains(r, &key.to_vec())
    }

    #[test]
    fn keys_round_trip_and_sort_as_tuples() {
        let k = join(&["P#1", "RECORD"]);
        assert_eq!(split::<2>(&k).unwrap(), ["P#1", "RECORD"]);
        assert_eq!(split::<4>(&join(&["a", "", "c", "d"])).unwrap(), ["a", "", "c", "d"]);
        // ("a", "z") < ("ab", "") as tuples, and as bytes.
        assert!(join(&["a", "z"]) < join(&["ab", ""]));
        assert!(check(&["ok", "a\0b"]).is_err());
        assert!(check(&["ok", "fine"]).is_ok());
    }

    #[test]
    fn ranges_select_what_each_condition_names() {
        let q = |sk: KeyCondition| Query::new(Index::Table, "P#1", sk);
        let all = table_range(&q(KeyCondition::All));
        assert!(within(&all, &join(&["P#1", ""])) && within(&all, &join(&["P#1", "\u{10FFFF}"])));
        assert!(!within(&all, &join(&["P#10", "A"])) && !within(&all, &join(&["P#", "A"])));
        let eq = table_range(&q(KeyCondition::Equals("R".into())));
        assert!(within(&eq, &join(&["P#1", "R"])) && !within(&eq, &join(&["P#1", "RX"])));
        let begins = table_range(&q(KeyCondition::BeginsWith("V#".into())));
        assert!(within(&begins, &join(&["P#1", "V#2"])) && !within(&begins, &join(&["P#1", "W"])));
        let between = table_range(&q(KeyCondition::Between("B".into(), "D".into())));
        assert!(within(&between, &join(&["P#1", "B"])) && within(&between, &join(&["P#1", "D"])));
        assert!(!within(&between, &join(&["P#1", "DA"])) && !within(&between, &join(&["P#1", "A"])));
        // An index key's condition is on its second part; the item's key follows.
        let idx = index_range(&Query::new(Index::Gsi1, "F#SM", KeyCondition::Equals("X".into())));
        assert!(within(&idx, &join(&["F#SM", "X", "P#1", "R"])) && !within(&idx, &join(&["F#SM", "XY", "P", "R"])));
    }
}
