//! Download compression by `Accept-Encoding`, as MESH does it: a chunk stored gzip-encoded goes out
//! gzip-encoded to a caller that accepts gzip and decoded to one that does not; a v2 caller that
//! accepts gzip gets a chunk stored plain compressed on the way out, unless gzip would not make it
//! smaller (random or already-compressed data goes out as stored). A chunk is at most
//! [`crate::MAX_CHUNK_BYTES`] (plus what gzip adds), so this works on one chunk in memory.

use std::io::{Read, Write};

use bytes::Bytes;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::error::MeshError;
use crate::headers::ApiVersion;
use crate::model::StoredEncoding;

/// Whether `Accept-Encoding` names gzip (with a non-zero weight).
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.is_some_and(|v| {
        v.split(',').any(|range| {
            let mut parts = range.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let zero =
                parts.any(|p| matches!(p.trim().replace(' ', "").as_str(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !zero
        })
    })
}

/// The bytes to send for a chunk stored with `stored` encoding, and whether they are gzip-encoded.
pub fn for_download(
    body: Bytes,
    stored: StoredEncoding,
    accepts_gzip: bool,
    version: ApiVersion,
) -> Result<(Bytes, bool), MeshError> {
    match (stored, accepts_gzip) {
        (StoredEncoding::Gzip, true) => Ok((body, true)),
        (StoredEncoding::Gzip, false) => {
            let mut out = Vec::with_capacity(body.len() * 2);
            MultiGzDecoder::new(body.as_ref()).read_to_end(&mut out).map_err(|_| MeshError::internal_error())?;
            Ok((Bytes::from(out), false))
        }
        (StoredEncoding::Identity, true) if version == ApiVersion::V2 && !body.is_empty() => {
            // Room for gzip's worst case (stored blocks: 5 bytes per 64 KiB, plus header and
            // trailer), so the buffer never grows; a chunk that does not shrink goes out as it is.
            let bound = body.len() + body.len() / 8192 + 64;
            let mut encoder = GzEncoder::new(Vec::with_capacity(bound), Compression::fast());
            encoder.write_all(&body).map_err(|_| MeshError::internal_error())?;
            let gz = encoder.finish().map_err(|_| MeshError::internal_error())?;
            if gz.len() >= body.len() { Ok((body, false)) } else { Ok((Bytes::from(gz), true)) }
        }
        (StoredEncoding::Identity, _) => Ok((body, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accept_encoding() {
        assert!(accepts_gzip(Some("gzip, deflate")));
        assert!(accepts_gzip(Some("deflate, GZIP;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(None));
    }

    #[test]
    fn stored_gzip_is_decoded_for_a_caller_without_gzip_and_plain_is_compressed_for_v2() {
        let plain = Bytes::from("pathology result, repeated; ".repeat(20));
        let (gz, encoded) = for_download(plain.clone(), StoredEncoding::Identity, true, ApiVersion::V2).unwrap();
        assert!(encoded && gz != plain);
        let (back, encoded) = for_download(gz.clone(), StoredEncoding::Gzip, false, ApiVersion::V2).unwrap();
        assert!(!encoded);
        assert_eq!(back, plain);
        assert_eq!(for_download(gz.clone(), StoredEncoding::Gzip, true, ApiVersion::V1).unwrap(), (gz, true));
        assert_eq!(
            for_download(plain.clone(), StoredEncoding::Identity, true, ApiVersion::V1).unwrap(),
            (plain, false)
        );
        assert!(for_download(Bytes::from_static(b"not gzip"), StoredEncoding::Gzip, false, ApiVersion::V2).is_err());
        let tiny = Bytes::from_static(b"ok");
        assert_eq!(for_download(tiny.clone(), StoredEncoding::Identity, true, ApiVersion::V2).unwrap(), (tiny, false));
    }
}
