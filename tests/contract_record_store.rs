//! The record store contract: one suite, run against the embedded adapter on each engine (fjall's
//! LSM tree and redb's B-tree, on disk) and the
//! DynamoDB adapter (moto on loopback). Both must agree on conditions, key-range queries on the
//! table and the indexes, pagination, transactions, batches and TTL.

mod support;

use std::sync::Arc;

use spine_shared::ports::{Condition, Index, IndexKey, Item, KeyCondition, Query, RecordStore, StoreError, WriteOp};

fn item(pk: &str, sk: &str, data: &str) -> Item {
    Item::new(pk, sk, data.as_bytes().to_vec())
}

async fn conditions(store: &dyn RecordStore) {
    // GIVEN nothing stored, WHEN reading, THEN nothing.
    assert_eq!(store.get("C#1", "A").await.unwrap(), None);
    // Create-only puts.
    store.put(item("C#1", "A", "one"), Condition::NotExists).await.unwrap();
    assert_eq!(
        store.put(item("C#1", "A", "again"), Condition::NotExists).await,
        Err(StoreError::ConditionFailed { op: None })
    );
    assert_eq!(store.get("C#1", "A").await.unwrap().unwrap().data, b"one");
    // Versioned replace: only from the version read.
    store.put(item("C#1", "A", "two").with_version(2), Condition::VersionIs(1)).await.unwrap();
    assert_eq!(
        store.put(item("C#1", "A", "stale").with_version(2), Condition::VersionIs(1)).await,
        Err(StoreError::ConditionFailed { op: None })
    );
    let got = store.get("C#1", "A").await.unwrap().unwrap();
    assert_eq!((got.version, got.data.as_slice()), (2, b"two".as_slice()));
    // Exists on an absent item fails; unconditional puts always land.
    assert_eq!(
        store.put(item("C#1", "B", "x"), Condition::Exists).await,
        Err(StoreError::ConditionFailed { op: None })
    );
    store.put(item("C#1", "B", "x"), Condition::None).await.unwrap();
    // Conditional delete.
    assert_eq!(store.delete("C#1", "A", Condition::VersionIs(1)).await, Err(StoreError::ConditionFailed { op: None }));
    store.delete("C#1", "A", Condition::VersionIs(2)).await.unwrap();
    assert_eq!(store.get("C#1", "A").await.unwrap(), None);
    store.delete("C#1", "A", Condition::None).await.unwrap();
}

async fn table_queries(store: &dyn RecordStore) {
    for sk in ["2020-01-01|a", "2020-01-02|b", "2020-02-01|c", "2021-01-01|d", "2021-06-01|e"] {
        store.put(item("Q#1", sk, sk), Condition::None).await.unwrap();
    }
    store.put(item("Q#2", "2020-01-01|z", "other partition"), Condition::None).await.unwrap();
    let sks = |items: Vec<Item>| items.into_iter().map(|i| i.sk).collect::<Vec<_>>();
    let all = store.query(Query::new(Index::Table, "Q#1", KeyCondition::All)).await.unwrap();
    assert_eq!(sks(all.items), vec!["2020-01-01|a", "2020-01-02|b", "2020-02-01|c", "2021-01-01|d", "2021-06-01|e"]);
    assert_eq!(all.next, None);
    let prefix =
        store.query(Query::new(Index::Table, "Q#1", KeyCondition::BeginsWith("2020-01".into()))).await.unwrap();
    assert_eq!(sks(prefix.items), vec!["2020-01-01|a", "2020-01-02|b"]);
    let between = store
        .query(Query::new(Index::Table, "Q#1", KeyCondition::Between("2020-01-02|b".into(), "2021-01-01|d".into())))
        .await
        .unwrap();
    assert_eq!(sks(between.items), vec!["2020-01-02|b", "2020-02-01|c", "2021-01-01|d"]);
    let equals =
        store.query(Query::new(Index::Table, "Q#1", KeyCondition::Equals("2020-02-01|c".into()))).await.unwrap();
    assert_eq!(sks(equals.items), vec!["2020-02-01|c"]);
    let desc = store.query(Query::new(Index::Table, "Q#1", KeyCondition::All).descending().limit(2)).await.unwrap();
    assert_eq!(sks(desc.items), vec!["2021-06-01|e", "2021-01-01|d"]);
    assert!(desc.next.is_some());
    // Pagination visits every item once, in order.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            store.query(Query::new(Index::Table, "Q#1", KeyCondition::All).limit(2).after(cursor)).await.unwrap();
        seen.extend(sks(page.items));
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, vec!["2020-01-01|a", "2020-01-02|b", "2020-02-01|c", "2021-01-01|d", "2021-06-01|e"]);
}

async fn index_queries(store: &dyn RecordStore) {
    for (i, (name, dob)) in
        [("SMITH", "1980"), ("SMYTH", "1981"), ("SMALL", "1979"), ("JONES", "1980")].iter().enumerate()
    {
        let it = item(&format!("P#{i}"), "RECORD", name)
            .with_gsi1(IndexKey::new(format!("FAMILY#{}", &name[..2]), format!("{dob}|{name}|{i}")))
            .with_gsi2(IndexKey::new("ALL", format!("{dob}|{i}")));
        store.put(it, Condition::None).await.unwrap();
    }
    let data = |items: Vec<Item>| items.into_iter().map(|i| String::from_utf8(i.data).unwrap()).collect::<Vec<_>>();
    let sm = store.query(Query::new(Index::Gsi1, "FAMILY#SM", KeyCondition::All)).await.unwrap();
    assert_eq!(data(sm.items), vec!["SMALL", "SMITH", "SMYTH"]);
    let born_1980 =
        store.query(Query::new(Index::Gsi1, "FAMILY#SM", KeyCondition::BeginsWith("1980|".into()))).await.unwrap();
    assert_eq!(data(born_1980.items), vec!["SMITH"]);
    // Pagination on an index.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.query(Query::new(Index::Gsi2, "ALL", KeyCondition::All).limit(1).after(cursor)).await.unwrap();
        seen.extend(data(page.items));
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, vec!["SMALL", "SMITH", "JONES", "SMYTH"]);
    // Changing an item's index key moves it; removing the key takes it out of the index.
    let moved = item("P#0", "RECORD", "SMITH-JONES").with_gsi1(IndexKey::new("FAMILY#JO", "1980|SMITHJONES|0"));
    store.put(moved, Condition::None).await.unwrap();
    let sm = store.query(Query::new(Index::Gsi1, "FAMILY#SM", KeyCondition::All)).await.unwrap();
    assert_eq!(data(sm.items), vec!["SMALL", "SMYTH"]);
    let jo = store.query(Query::new(Index::Gsi1, "FAMILY#JO", KeyCondition::All)).await.unwrap();
    assert_eq!(data(jo.items), vec!["JONES", "SMITH-JONES"]);
    let all = store.query(Query::new(Index::Gsi2, "ALL", KeyCondition::All)).await.unwrap();
    assert_eq!(all.items.len(), 3, "P#0 no longer has a gsi2 key");
}

async fn transactions(store: &dyn RecordStore) {
    store.put(item("T#1", "A", "a1"), Condition::None).await.unwrap();
    // One failing condition cancels everything, and names the failing operation.
    let ops = vec![
        WriteOp::Put { item: item("T#1", "B", "b1"), condition: Condition::NotExists },
        WriteOp::Put { item: item("T#1", "A", "a2").with_version(2), condition: Condition::VersionIs(9) },
    ];
    assert_eq!(store.transact_write(ops).await, Err(StoreError::ConditionFailed { op: Some(1) }));
    assert_eq!(store.get("T#1", "B").await.unwrap(), None);
    assert_eq!(store.get("T#1", "A").await.unwrap().unwrap().data, b"a1");
    // All conditions hold: every write lands.
    let ops = vec![
        WriteOp::Put { item: item("T#1", "B", "b1"), condition: Condition::NotExists },
        WriteOp::Put { item: item("T#1", "A", "a2").with_version(2), condition: Condition::VersionIs(1) },
        WriteOp::Check { pk: "C#none".into(), sk: "X".into(), condition: Condition::NotExists },
    ];
    store.transact_write(ops).await.unwrap();
    assert_eq!(store.get("T#1", "B").await.unwrap().unwrap().data, b"b1");
    assert_eq!(store.get("T#1", "A").await.unwrap().unwrap().version, 2);
    let ops = vec![WriteOp::Delete { pk: "T#1".into(), sk: "B".into(), condition: Condition::Exists }];
    store.transact_write(ops).await.unwrap();
    assert_eq!(store.get("T#1", "B").await.unwrap(), None);
    // Two operations on one item, or none at all, are refused before reaching the backend.
    let twice = vec![
        WriteOp::Put { item: item("T#1", "A", "x"), condition: Condition::None },
        WriteOp::Delete { pk: "T#1".into(), sk: "A".into(), condition: Condition::None },
    ];
    assert!(matches!(store.transact_write(twice).await, Err(StoreError::Invalid(_))));
    assert!(matches!(store.transact_write(vec![]).await, Err(StoreError::Invalid(_))));
}

async fn batches_and_ttl(store: &dyn RecordStore) {
    let items: Vec<Item> = (0..60).map(|i| item("B#1", &format!("{i:03}"), "x")).collect();
    store.batch_put(items).await.unwrap();
    let all = store.query(Query::new(Index::Table, "B#1", KeyCondition::All)).await.unwrap();
    assert_eq!(all.items.len(), 60);
    let keys = vec![
        ("B#1".to_owned(), "007".to_owned()),
        ("B#1".to_owned(), "999".to_owned()),
        ("B#1".to_owned(), "059".to_owned()),
    ];
    let mut got: Vec<String> = store.batch_get(keys).await.unwrap().into_iter().map(|i| i.sk).collect();
    got.sort();
    assert_eq!(got, vec!["007", "059"]);

    // An expired item is gone for reads, queries and conditions, on both adapters.
    let past = spine_shared::ports::now_epoch_seconds() - 10;
    let future = spine_shared::ports::now_epoch_seconds() + 3600;
    store.put(item("X#1", "OLD", "old").expiring_at(past), Condition::None).await.unwrap();
    store.put(item("X#1", "NEW", "new").expiring_at(future), Condition::None).await.unwrap();
    assert_eq!(store.get("X#1", "OLD").await.unwrap(), None);
    assert_eq!(store.get("X#1", "NEW").await.unwrap().unwrap().expires_at, Some(future));
    let q = store.query(Query::new(Index::Table, "X#1", KeyCondition::All)).await.unwrap();
    assert_eq!(q.items.iter().map(|i| i.sk.as_str()).collect::<Vec<_>>(), vec!["NEW"]);
    store.put(item("X#1", "OLD", "reborn"), Condition::NotExists).await.unwrap();
    assert_eq!(
        store.put(item("X#1", "NEW", "x"), Condition::NotExists).await,
        Err(StoreError::ConditionFailed { op: None })
    );
}

async fn contract(store: Arc<dyn RecordStore>) {
    conditions(store.as_ref()).await;
    table_queries(store.as_ref()).await;
    index_queries(store.as_ref()).await;
    transactions(store.as_ref()).await;
    batches_and_ttl(store.as_ref()).await;
}

#[tokio::test]
async fn the_embedded_record_store_keeps_the_contract() {
    let (_dir, store) = support::embedded();
    contract(Arc::new(store.records())).await;
}

#[tokio::test]
async fn the_embedded_record_store_on_its_btree_engine_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = spine_shared::adapters::embedded::EmbeddedStore::open_btree(dir.path()).unwrap();
    contract(Arc::new(store.records())).await;
}

#[tokio::test]
async fn the_dynamodb_record_store_keeps_the_contract() {
    contract(support::dynamo().await).await;
}

/// Both engines keep what was written across a restart and purge expired items.
#[tokio::test]
async fn the_embedded_store_survives_a_restart_and_purges_expired_items() {
    use spine_shared::adapters::embedded::EmbeddedStore;
    type Open = fn(&std::path::Path) -> spine_shared::ports::StoreResult<EmbeddedStore>;
    for open in [EmbeddedStore::open as Open, EmbeddedStore::open_btree] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path()).unwrap();
        let records = store.records();
        records.put(item("D#1", "A", "kept"), Condition::None).await.unwrap();
        records.put(item("D#1", "B", "gone").expiring_at(1), Condition::None).await.unwrap();
        drop(records);
        drop(store);
        assert!(EmbeddedStore::exists(dir.path()));
        let reopened = open(dir.path()).unwrap().records();
        assert_eq!(reopened.get("D#1", "A").await.unwrap().unwrap().data, b"kept");
        assert_eq!(reopened.purge_expired().unwrap(), 1);
        assert_eq!(reopened.query(Query::new(Index::Table, "D#1", KeyCondition::All)).await.unwrap().items.len(), 1);
    }
}
