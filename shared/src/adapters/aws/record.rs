//! The record store on DynamoDB: one table (`pk`, `sk`), two overloaded GSIs (`gsi1`, `gsi2`), a
//! `version` number for conditional writes, `expires_at` as the TTL attribute and the document in
//! `data` (binary). Expired items that DynamoDB has not swept yet are treated as absent, in reads
//! and in conditions alike, so both adapters keep one contract.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, PutRequest, TransactWriteItem, WriteRequest,
};

use super::backend;
use crate::ports::record::validate_transaction;
use crate::ports::{
    Condition, Cursor, Index, IndexKey, Item, KeyCondition, Page, Query, RecordStore, StoreError, StoreResult, WriteOp,
    now_epoch_seconds,
};

type Attrs = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoRecordStore {
    client: Client,
    table: String,
}

impl DynamoRecordStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoRecordStore { client, table: table.into() }
    }

    pub fn from_config(config: &aws_types::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn key(pk: &str, sk: &str) -> Attrs {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn to_attrs(item: &Item) -> Attrs {
    let mut a = key(&item.pk, &item.sk);
    a.insert("version".into(), n(item.version));
    a.insert("data".into(), AttributeValue::B(Blob::new(item.data.clone())));
    if let Some(t) = item.expires_at {
        a.insert("expires_at".into(), n(t));
    }
    for (prefix, k) in [("gsi1", &item.gsi1), ("gsi2", &item.gsi2)] {
        if let Some(k) = k {
            a.insert(format!("{prefix}pk"), s(&k.pk));
            a.insert(format!("{prefix}sk"), s(&k.sk));
        }
    }
    a
}

fn get_s(a: &Attrs, name: &str) -> Option<String> {
    a.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn get_n<T: std::str::FromStr>(a: &Attrs, name: &str) -> Option<T> {
    a.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

fn from_attrs(a: &Attrs) -> StoreResult<Item> {
    let bad = |f: &str| StoreError::Backend(format!("item without {f}"));
    let index = |p: &str| match (get_s(a, &format!("{p}pk")), get_s(a, &format!("{p}sk"))) {
        (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
        _ => None,
    };
    Ok(Item {
        pk: get_s(a, "pk").ok_or_else(|| bad("pk"))?,
        sk: get_s(a, "sk").ok_or_else(|| bad("sk"))?,
        gsi1: index("gsi1"),
        gsi2: index("gsi2"),
        version: get_n(a, "version").ok_or_else(|| bad("version"))?,
        expires_at: get_n(a, "expires_at"),
        data: a.get("data").and_then(|v| v.as_b().ok()).map(|b| b.as_ref().to_vec()).unwrap_or_default(),
    })
}

/// A condition as a DynamoDB expression and its values; unexpired-ness is part of every condition.
fn condition_expr(c: Condition, now: i64) -> Option<(String, Attrs)> {
    let live = "(attribute_not_exists(expires_at) OR expires_at > :now)";
    let now_v = (":now".to_owned(), n(now));
    match c {
        Condition::None => None,
        Condition::NotExists => Some(("attribute_not_exists(pk) OR expires_at <= :now".into(), HashMap::from([now_v]))),
        Condition::Exists => Some((format!("attribute_exists(pk) AND {live}"), HashMap::from([now_v]))),
        Condition::VersionIs(v) => Some((
            format!("version = :expected_version AND {live}"),
            HashMap::from([now_v, (":expected_version".to_owned(), n(v))]),
        )),
    }
}

fn key_condition(q: &Query) -> (String, Attrs) {
    let (pk_name, sk_name) = match q.index {
        Index::Table => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        Index::Gsi2 => ("gsi2pk", "gsi2sk"),
    };
    let mut values = HashMap::from([(":pk".to_owned(), s(&q.pk))]);
    let expr = match &q.sk {
        KeyCondition::All => format!("{pk_name} = :pk"),
        KeyCondition::Equals(v) => {
            values.insert(":sk".into(), s(v));
            format!("{pk_name} = :pk AND {sk_name} = :sk")
        }
        KeyCondition::BeginsWith(p) => {
            values.insert(":sk".into(), s(p));
            format!("{pk_name} = :pk AND begins_with({sk_name}, :sk)")
        }
        KeyCondition::Between(a, b) => {
            values.insert(":lo".into(), s(a));
            values.insert(":hi".into(), s(b));
            format!("{pk_name} = :pk AND {sk_name} BETWEEN :lo AND :hi")
        }
    };
    (expr, values)
}

fn cursor_attrs(q: &Query, c: &Cursor) -> Attrs {
    let mut a = key(&c.pk, &c.sk);
    if let (Some(name), Some(ik)) = (q.index.name(), &c.index_key) {
        a.insert(format!("{name}pk"), s(&ik.pk));
        a.insert(format!("{name}sk"), s(&ik.sk));
    }
    a
}

fn cursor_from(q: &Query, a: &Attrs) -> Option<Cursor> {
    let index_key = q
        .index
        .name()
        .and_then(|name| Some(IndexKey { pk: get_s(a, &format!("{name}pk"))?, sk: get_s(a, &format!("{name}sk"))? }));
    Some(Cursor { pk: get_s(a, "pk")?, sk: get_s(a, "sk")?, index_key })
}

#[async_trait]
impl RecordStore for DynamoRecordStore {
    async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(backend)?;
        match out.item {
            Some(a) => {
                let item = from_attrs(&a)?;
                Ok((!item.is_expired(now_epoch_seconds())).then_some(item))
            }
            None => Ok(None),
        }
    }

    async fn put(&self, item: Item, condition: Condition) -> StoreResult<()> {
        let mut req = self.client.put_item().table_name(&self.table).set_item(Some(to_attrs(&item)));
        if let Some((expr, values)) = condition_expr(condition, now_epoch_seconds()) {
            req = req.condition_expression(expr).set_expression_attribute_values(Some(values));
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.into_service_error() {
                aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(_) => {
                    Err(StoreError::ConditionFailed { op: None })
                }
                other => Err(backend(other)),
            },
        }
    }

    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> StoreResult<()> {
        let mut req = self.client.delete_item().table_name(&self.table).set_key(Some(key(pk, sk)));
        if let Some((expr, values)) = condition_expr(condition, now_epoch_seconds()) {
            req = req.condition_expression(expr).set_expression_attribute_values(Some(values));
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.into_service_error() {
                aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(_) => {
                    Err(StoreError::ConditionFailed { op: None })
                }
                other => Err(backend(other)),
            },
        }
    }

    async fn query(&self, q: Query) -> StoreResult<Page> {
        let (expr, values) = key_condition(&q);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(q.index.name().map(str::to_owned))
            .key_condition_expression(expr)
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(q.ascending)
            .set_limit(q.limit.map(|l| l.min(i32::MAX as usize) as i32))
            .set_exclusive_start_key(q.start_after.as_ref().map(|c| cursor_attrs(&q, c)))
            .consistent_read(q.index == Index::Table)
            .send()
            .await
            .map_err(backend)?;
        let now = now_epoch_seconds();
        let mut items = Vec::new();
        for a in out.items.unwrap_or_default() {
            let item = from_attrs(&a)?;
            if !item.is_expired(now) {
                items.push(item);
            }
        }
        let next = out.last_evaluated_key.as_ref().and_then(|a| cursor_from(&q, a));
        Ok(Page { items, next })
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> StoreResult<()> {
        validate_transaction(&ops)?;
        let now = now_epoch_seconds();
        let mut items = Vec::with_capacity(ops.len());
        for op in &ops {
            let built = match op {
                WriteOp::Put { item, condition } => {
                    let mut b = Put::builder().table_name(&self.table).set_item(Some(to_attrs(item)));
                    if let Some((e, v)) = condition_expr(*condition, now) {
                        b = b.condition_expression(e).set_expression_attribute_values(Some(v));
                    }
                    TransactWriteItem::builder().put(b.build().map_err(backend)?).build()
                }
                WriteOp::Delete { pk, sk, condition } => {
                    let mut b = Delete::builder().table_name(&self.table).set_key(Some(key(pk, sk)));
                    if let Some((e, v)) = condition_expr(*condition, now) {
                        b = b.condition_expression(e).set_expression_attribute_values(Some(v));
                    }
                    TransactWriteItem::builder().delete(b.build().map_err(backend)?).build()
                }
                WriteOp::Check { pk, sk, condition } => {
                    let (e, v) = condition_expr(*condition, now)
                        .ok_or_else(|| StoreError::Invalid("a check needs a condition".into()))?;
                    let b = ConditionCheck::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(pk, sk)))
                        .condition_expression(e)
                        .set_expression_attribute_values(Some(v));
                    TransactWriteItem::builder().condition_check(b.build().map_err(backend)?).build()
                }
            };
            items.push(built);
        }
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.into_service_error() {
                aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => {
                    let reasons = t.cancellation_reasons.unwrap_or_default();
                    let code = |r: &aws_sdk_dynamodb::types::CancellationReason| r.code.clone().unwrap_or_default();
                    if let Some(i) = reasons.iter().position(|r| code(r) == "ConditionalCheckFailed") {
                        Err(StoreError::ConditionFailed { op: Some(i) })
                    } else if reasons.iter().any(|r| code(r) == "TransactionConflict") {
                        Err(StoreError::Conflict)
                    } else {
                        Err(StoreError::Backend(format!("transaction cancelled: {:?}", reasons.iter().map(code).collect::<Vec<_>>())))
                    }
                }
                other => Err(backend(other)),
            },
        }
    }

    async fn batch_put(&self, items: Vec<Item>) -> StoreResult<()> {
        for chunk in items.chunks(25) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|i| {
                    PutRequest::builder()
                        .set_item(Some(to_attrs(i)))
                        .build()
                        .map(|p| WriteRequest::builder().put_request(p).build())
                        .map_err(backend)
                })
                .collect::<StoreResult<_>>()?;
            let mut attempt = 0;
            while !pending.is_empty() {
                let out =
                    self.client.batch_write_item().request_items(&self.table, pending).send().await.map_err(backend)?;
                pending = out.unprocessed_items.and_then(|mut m| m.remove(&self.table)).unwrap_or_default();
                attempt += 1;
                if !pending.is_empty() {
                    if attempt > 8 {
                        return Err(StoreError::Backend("batch write kept leaving items unprocessed".into()));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt.min(5))).await;
                }
            }
        }
        Ok(())
    }

    async fn batch_get(&self, keys: Vec<(String, String)>) -> StoreResult<Vec<Item>> {
        let now = now_epoch_seconds();
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().map(|(pk, sk)| key(pk, sk)).collect()))
                    .consistent_read(true)
                    .build()
                    .map_err(backend)?,
            );
            let mut attempt = 0;
            while let Some(req) = pending.take() {
                let resp =
                    self.client.batch_get_item().request_items(&self.table, req).send().await.map_err(backend)?;
                for a in resp.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    let item = from_attrs(&a)?;
                    if !item.is_expired(now) {
                        out.push(item);
                    }
                }
                pending = resp.unprocessed_keys.and_then(|mut m| m.remove(&self.table)).filter(|k| !k.keys.is_empty());
                attempt += 1;
                if pending.is_some() {
                    if attempt > 8 {
                        return Err(StoreError::Backend("batch get kept leaving keys unprocessed".into()));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt.min(5))).await;
                }
            }
        }
        Ok(out)
    }
}
