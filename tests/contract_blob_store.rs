//! The blob store contract: one suite, run against the embedded blob store on each engine (small objects in its
//! database, large ones as files) and S3 (moto on loopback): whole and ranged reads, replacing an
//! object across sizes, streamed multipart uploads of objects larger than a part, deletion, key
//! validation and presigned URLs where the backend has them.

mod support;

use bytes::Bytes;
use spine_shared::ports::blob::PART_SIZE;
use spine_shared::ports::{BlobStore, StoreError};

/// A deterministic body of `n` bytes.
fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(31) ^ (i >> 7)) as u8).collect()
}

async fn contract(blobs: &dyn BlobStore) {
    assert_eq!(blobs.get("messages/none").await.unwrap(), None);
    assert_eq!(blobs.size("messages/none").await.unwrap(), None);
    blobs.put("messages/1/chunk-1", Bytes::from_static(b"hello, spine")).await.unwrap();
    assert_eq!(blobs.get("messages/1/chunk-1").await.unwrap().unwrap(), Bytes::from_static(b"hello, spine"));
    assert_eq!(blobs.size("messages/1/chunk-1").await.unwrap(), Some(12));
    assert_eq!(blobs.get_range("messages/1/chunk-1", 7, 11).await.unwrap().unwrap(), Bytes::from_static(b"spine"));
    assert_eq!(blobs.get_range("messages/1/chunk-1", 7, 1000).await.unwrap().unwrap(), Bytes::from_static(b"spine"));
    // Replacing an object replaces it whole.
    blobs.put("messages/1/chunk-1", Bytes::from_static(b"bye")).await.unwrap();
    assert_eq!(blobs.get("messages/1/chunk-1").await.unwrap().unwrap(), Bytes::from_static(b"bye"));

    // A stream larger than one part goes up in parts and comes back byte for byte.
    let big = body(2 * PART_SIZE + 12_345);
    let mut reader = std::io::Cursor::new(big.clone());
    let written = blobs.put_stream("messages/2/chunk-1", &mut reader).await.unwrap();
    assert_eq!(written, big.len() as u64);
    assert_eq!(blobs.size("messages/2/chunk-1").await.unwrap(), Some(big.len() as u64));
    let start = PART_SIZE as u64 - 10;
    let slice = blobs.get_range("messages/2/chunk-1", start, start + 19).await.unwrap().unwrap();
    assert_eq!(&slice[..], &big[start as usize..start as usize + 20]);
    assert_eq!(blobs.get("messages/2/chunk-1").await.unwrap().unwrap().len(), big.len());
    // A small stream is a single put.
    let mut small = std::io::Cursor::new(b"tiny".to_vec());
    assert_eq!(blobs.put_stream("messages/3/chunk-1", &mut small).await.unwrap(), 4);

    // An object can grow and shrink across any size the backend keeps differently (the embedded
    // store keeps small objects in its database and large ones as files): a read always sees the
    // last one written, whole.
    let large = Bytes::from(body(300 * 1024));
    blobs.put("messages/4/chunk-1", Bytes::from_static(b"small first")).await.unwrap();
    blobs.put("messages/4/chunk-1", large.clone()).await.unwrap();
    assert_eq!(blobs.get("messages/4/chunk-1").await.unwrap().unwrap(), large);
    assert_eq!(blobs.size("messages/4/chunk-1").await.unwrap(), Some(large.len() as u64));
    blobs.put("messages/4/chunk-1", Bytes::from_static(b"small again")).await.unwrap();
    assert_eq!(blobs.get("messages/4/chunk-1").await.unwrap().unwrap(), Bytes::from_static(b"small again"));
    assert_eq!(blobs.get_range("messages/4/chunk-1", 6, 10).await.unwrap().unwrap(), Bytes::from_static(b"again"));
    blobs.delete("messages/4/chunk-1").await.unwrap();
    assert_eq!(blobs.get("messages/4/chunk-1").await.unwrap(), None);

    // A staged put reads back like any other (its durability may follow the next record write).
    blobs.put_staged("messages/5/chunk-1", Bytes::from_static(b"staged")).await.unwrap();
    assert_eq!(blobs.get("messages/5/chunk-1").await.unwrap().unwrap(), Bytes::from_static(b"staged"));
    blobs.put_staged("messages/5/chunk-1", large.clone()).await.unwrap();
    assert_eq!(blobs.get("messages/5/chunk-1").await.unwrap().unwrap(), large);

    // Deletion, twice.
    blobs.delete("messages/1/chunk-1").await.unwrap();
    blobs.delete("messages/1/chunk-1").await.unwrap();
    assert_eq!(blobs.get("messages/1/chunk-1").await.unwrap(), None);

    // Keys that could escape a directory or confuse a URL are refused.
    for bad in ["", "/abs", "a/../b", "a//b", "with space"] {
        assert!(matches!(blobs.put(bad, Bytes::new()).await, Err(StoreError::Invalid(_))), "{bad:?}");
    }
}

#[tokio::test]
async fn the_embedded_blob_store_keeps_the_contract() {
    let (_dir, store) = support::embedded();
    let blobs = store.blobs();
    contract(&blobs).await;
    assert_eq!(blobs.presign_get("messages/2/chunk-1", 60).await.unwrap(), None);
}

#[tokio::test]
async fn the_embedded_blob_store_on_the_btree_engine_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = spine_shared::adapters::embedded::EmbeddedStore::open_btree(dir.path()).unwrap();
    contract(&store.blobs()).await;
}

#[tokio::test]
async fn the_s3_blob_store_keeps_the_contract() {
    let blobs = spine_shared::testing::s3_blob_store().await;
    contract(&blobs).await;
    // A presigned URL fetches the object with a plain HTTP client and no credentials.
    let url = blobs.presign_get("messages/3/chunk-1", 60).await.unwrap().expect("S3 presigns");
    let path = url.strip_prefix(&support::moto_url()).expect("the URL points at the endpoint");
    let got = support::Http::new(support::moto_url()).send("GET", path, &[], "").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, serde_json::Value::String("tiny".into()));
}
