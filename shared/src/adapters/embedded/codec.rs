//! The byte layout of an item's value in the embedded table: version, expiry, the two index keys
//! and the document, each length-prefixed.

use crate::ports::{IndexKey, Item, StoreError, StoreResult};

const NO_EXPIRY: i64 = i64::MIN;

pub fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(item.data.len() + 96);
    out.extend_from_slice(&item.version.to_le_bytes());
    out.extend_from_slice(&item.expires_at.unwrap_or(NO_EXPIRY).to_le_bytes());
    for key in [&item.gsi1, &item.gsi2] {
        match key {
            Some(k) => {
                out.push(1);
                put_str(&mut out, &k.pk);
                put_str(&mut out, &k.sk);
            }
            None => out.push(0),
        }
    }
    out.extend_from_slice(&item.data);
    out
}

pub fn decode(pk: &str, sk: &str, bytes: &[u8]) -> StoreResult<Item> {
    let (mut item, at) = decode_header(pk, sk, bytes)?;
    item.data = bytes[at..].to_vec();
    Ok(item)
}

/// The item without its document (`data` empty), and where the document starts: what a write
/// needs of the item it replaces (its version, expiry and index keys), without copying the rest.
pub fn decode_header(pk: &str, sk: &str, bytes: &[u8]) -> StoreResult<(Item, usize)> {
    let mut r = Reader { bytes, at: 0 };
    let version = u64::from_le_bytes(r.take(8)?.try_into().map_err(corrupt)?);
    let expires = i64::from_le_bytes(r.take(8)?.try_into().map_err(corrupt)?);
    let gsi1 = r.index_key()?;
    let gsi2 = r.index_key()?;
    let item = Item {
        pk: pk.to_owned(),
        sk: sk.to_owned(),
        gsi1,
        gsi2,
        version,
        expires_at: (expires != NO_EXPIRY).then_some(expires),
        data: Vec::new(),
    };
    Ok((item, r.at))
}

/// Reads only the expiry, for the cheap TTL check of a query.
pub fn expires_at(bytes: &[u8]) -> Option<i64> {
    let e = i64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
    (e != NO_EXPIRY).then_some(e)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> StoreResult<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at + n).ok_or_else(|| corrupt("truncated"))?;
        self.at += n;
        Ok(s)
    }

    fn string(&mut self) -> StoreResult<String> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().map_err(corrupt)?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(corrupt)
    }

    fn index_key(&mut self) -> StoreResult<Option<IndexKey>> {
        match self.take(1)?[0] {
            0 => Ok(None),
            _ => Ok(Some(IndexKey { pk: self.string()?, sk: self.string()? })),
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt item: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let item = Item::new("P#1", "RECORD", b"{\"a\":1}".to_vec())
            .with_version(7)
            .with_gsi1(IndexKey::new("F#SM", "2010|SMITH|1"))
            .expiring_at(1_700_000_000);
        let bytes = encode(&item);
        assert_eq!(decode("P#1", "RECORD", &bytes).unwrap(), item);
        let (header, at) = decode_header("P#1", "RECORD", &bytes).unwrap();
        assert_eq!(header, Item { data: Vec::new(), ..item.clone() });
        assert_eq!(&bytes[at..], item.data.as_slice());
        assert_eq!(expires_at(&bytes), Some(1_700_000_000));
        let plain = Item::new("a", "b", vec![]);
        assert_eq!(decode("a", "b", &encode(&plain)).unwrap(), plain);
        assert!(decode("a", "b", &[1, 2, 3]).is_err());
    }
}
