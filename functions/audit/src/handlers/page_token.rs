//! The `_page` token of the audit search: the record store's [`Cursor`] (the last item's table key
//! and index key) as base64url JSON. Opaque to callers; a token that does not decode, or that
//! belongs to another partition than the search it is sent with, is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use spine_shared::ports::{Cursor, IndexKey};

#[derive(Serialize, Deserialize)]
struct Token {
    pk: String,
    sk: String,
    ipk: String,
    isk: String,
}

/// The token of a cursor on an index (a cursor without an index key has none).
pub fn encode(cursor: &Cursor) -> Option<String> {
    let ik = cursor.index_key.as_ref()?;
    let token = Token { pk: cursor.pk.clone(), sk: cursor.sk.clone(), ipk: ik.pk.clone(), isk: ik.sk.clone() };
    Some(URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).ok()?))
}

/// The cursor of a token, if it is one.
pub fn decode(token: &str) -> Option<Cursor> {
    if token.len() > 2048 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
    let t: Token = serde_json::from_slice(&bytes).ok()?;
    Some(Cursor { pk: t.pk, sk: t.sk, index_key: Some(IndexKey::new(t.ipk, t.isk)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_does_not_decode() {
        let c = Cursor {
            pk: "EVENT#e1".into(),
            sk: "EVENT".into(),
            index_key: Some(IndexKey::new("PATIENT#9000000009", "2025-11-22T06:25:00.000001Z#e1")),
        };
        let token = encode(&c).unwrap();
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
        assert_eq!(decode(&token), Some(c));
        assert_eq!(encode(&Cursor { pk: "a".into(), sk: "b".into(), index_key: None }), None);
        for bad in ["", "!!!", "e30", &"A".repeat(3000)] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
