//! The patient repository: typed reads and writes of PDS records over the record store port.
//! Writes are single transactions: the record (conditional on the version it replaces, or on not
//! existing), its index items, the NHS-number counter for creates, and the idempotency record.

use std::collections::HashSet;
use std::sync::Arc;

use spine_shared::ports::{Condition, Item, Page, Query, RecordStore, StoreError, WriteOp};
use spine_shared::{NhsNumber, SpineError, SpineResult};

use crate::model::{PatientRecord, RECORD_SK, RecordStatus, Versioned, nhs_of_pk, patient_pk};

/// Where a requested NHS number leads.
#[derive(Debug)]
pub enum Resolved {
    /// The live record (the requested one, or the one that superseded it).
    Active(Box<Versioned>),
    Invalidated,
    NotFound,
}

/// How a write ended.
#[derive(Debug)]
pub enum WriteOutcome {
    Written,
    /// The record changed since it was read: its version is no longer the expected one.
    VersionConflict,
    /// A request with this `X-Request-ID` already wrote; its answer is stored.
    AlreadyApplied,
    /// Another write holds a guard this one needs (a create of the same person in flight).
    Contended,
}

/// The first NHS-number base allocated to patients created through the API (the 9xx test range,
/// above every seeded number).
pub const FIRST_ALLOCATED_BASE: u32 = 970_000_000;

/// How often a create tries for the counter before answering 503 (retry with the same request id).
const ALLOCATION_ATTEMPTS: u32 = 40;

/// A short pause before trying the counter again, growing with the attempt and jittered, so that
/// many creates at once (each round of which only one can win) spread out instead of colliding
/// again in the same commit.
async fn allocation_backoff(attempt: u32) {
    let jitter = u64::from(uuid::Uuid::new_v4().as_fields().0 % 4);
    let millis = u64::from(attempt.min(8)) + jitter;
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}
const COUNTER_PK: &str = "COUNTER#NHS_NUMBER";
const COUNTER_SK: &str = "COUNTER";

#[derive(Clone)]
pub struct PatientRepository {
    store: Arc<dyn RecordStore>,
}

impl PatientRepository {
    pub fn new(store: Arc<dyn RecordStore>) -> Self {
        PatientRepository { store }
    }

    pub fn store(&self) -> &dyn RecordStore {
        self.store.as_ref()
    }

    fn decode(nhs: NhsNumber, item: &Item) -> SpineResult<Versioned> {
        let record = PatientRecord::decode(&item.data).map_err(SpineError::internal)?;
        Ok(Versioned { nhs, record, version: item.version })
    }

    pub async fn get(&self, nhs: NhsNumber) -> SpineResult<Option<Versioned>> {
        match self.store.get(&patient_pk(nhs), RECORD_SK).await? {
            Some(item) => Ok(Some(Self::decode(nhs, &item)?)),
            None => Ok(None),
        }
    }

    /// Follows supersession to the live record (a chain of at most a few links; a loop is a fault).
    pub async fn resolve(&self, nhs: NhsNumber) -> SpineResult<Resolved> {
        let mut current = nhs;
        for _ in 0..8 {
            let Some(v) = self.get(current).await? else { return Ok(Resolved::NotFound) };
            match &v.record.status {
                RecordStatus::Active => return Ok(Resolved::Active(Box::new(v))),
                RecordStatus::Invalidated => return Ok(Resolved::Invalidated),
                RecordStatus::Superseded { by } => {
                    current = NhsNumber::parse(by)
                        .map_err(|_| SpineError::internal("superseded by a malformed NHS number"))?;
                }
            }
        }
        Err(SpineError::internal("supersession chain too long"))
    }

    /// The live record behind an NHS number, or the 404 the Spine answers: `INVALIDATED_RESOURCE`
    /// for an invalidated record, `RESOURCE_NOT_FOUND` for an unknown number.
    pub async fn live(&self, nhs: NhsNumber) -> SpineResult<Box<Versioned>> {
        match self.resolve(nhs).await? {
            Resolved::Active(v) => Ok(v),
            Resolved::Invalidated => Err(SpineError::new(
                spine_shared::ErrorCode::InvalidatedResource,
                "Resource Id is invalid - the patient record was invalidated and not superseded",
            )),
            Resolved::NotFound => Err(SpineError::new(
                spine_shared::ErrorCode::ResourceNotFound,
                "Patient does not exist for given NHS number",
            )),
        }
    }

    /// One page of an index query.
    pub async fn query(&self, q: Query) -> SpineResult<Page> {
        Ok(self.store.query(q).await?)
    }

    /// The live records behind index query results: record items are decoded as they are, index
    /// items are fetched. Each patient appears once; `seen` carries over between pages.
    pub async fn records_of(&self, items: Vec<Item>, seen: &mut HashSet<String>) -> SpineResult<Vec<Versioned>> {
        let mut out = Vec::new();
        let mut fetch = Vec::new();
        for item in items {
            if !seen.insert(item.pk.clone()) {
                continue;
            }
            let Some(nhs) = nhs_of_pk(&item.pk) else { continue };
            if item.sk == RECORD_SK {
                out.push(Self::decode(nhs, &item)?);
            } else {
                fetch.push((item.pk, RECORD_SK.to_owned()));
            }
        }
        if !fetch.is_empty() {
            for item in self.store.batch_get(fetch).await? {
                if let Some(nhs) = nhs_of_pk(&item.pk) {
                    out.push(Self::decode(nhs, &item)?);
                }
            }
        }
        Ok(out.into_iter().filter(|v| v.record.status == RecordStatus::Active).collect())
    }

    /// Replaces `old` with `new` at `old.version + 1`, with `extra` in the same transaction.
    /// `extra[0]`, if given, is the idempotency record.
    pub async fn update(&self, old: &Versioned, new: &PatientRecord, extra: Vec<WriteOp>) -> SpineResult<WriteOutcome> {
        let new_version = old.version + 1;
        let old_items = old.record.items(old.nhs, old.version);
        let new_items = new.items(old.nhs, new_version);
        let keep: HashSet<(&str, &str)> = new_items.iter().map(|i| (i.pk.as_str(), i.sk.as_str())).collect();
        let mut ops = Vec::with_capacity(old_items.len() + new_items.len() + extra.len());
        for (i, item) in new_items.iter().enumerate() {
            let condition = if i == 0 { Condition::VersionIs(old.version) } else { Condition::None };
            ops.push(WriteOp::Put { item: item.clone(), condition });
        }
        for item in &old_items {
            if !keep.contains(&(item.pk.as_str(), item.sk.as_str())) {
                ops.push(WriteOp::Delete { pk: item.pk.clone(), sk: item.sk.clone(), condition: Condition::None });
            }
        }
        let extra_at = ops.len();
        ops.extend(extra);
        match self.store.transact_write(ops).await {
            Ok(()) => Ok(WriteOutcome::Written),
            Err(StoreError::ConditionFailed { op: Some(0) }) => Ok(WriteOutcome::VersionConflict),
            Err(StoreError::ConditionFailed { op: Some(i) }) if i == extra_at => Ok(WriteOutcome::AlreadyApplied),
            Err(StoreError::ConditionFailed { op: None }) | Err(StoreError::Conflict) => {
                Ok(WriteOutcome::VersionConflict)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Creates a record under a newly allocated NHS number, never used before: the counter moves on
    /// in the same transaction. `make` builds the record and the extra writes (the idempotency
    /// record first, then any guards) for the number allocated.
    pub async fn create(
        &self,
        make: impl Fn(NhsNumber) -> (PatientRecord, Vec<WriteOp>),
    ) -> SpineResult<(NhsNumber, WriteOutcome)> {
        for attempt in 0..ALLOCATION_ATTEMPTS {
            if attempt > 0 {
                allocation_backoff(attempt).await;
            }
            let counter = self.store.get(COUNTER_PK, COUNTER_SK).await?;
            let (mut base, condition) = match &counter {
                Some(item) => (
                    serde_json::from_slice::<u32>(&item.data).map_err(SpineError::internal)?,
                    Condition::VersionIs(item.version),
                ),
                None => (FIRST_ALLOCATED_BASE, Condition::NotExists),
            };
            let nhs = loop {
                if base > 999_999_999 {
                    return Err(SpineError::internal("NHS number range exhausted"));
                }
                if let Some(n) = NhsNumber::from_base(base) {
                    break n;
                }
                base += 1;
            };
            let next_version = counter.as_ref().map_or(1, |c| c.version + 1);
            let counter_item = Item::new(COUNTER_PK, COUNTER_SK, serde_json::to_vec(&(base + 1)).unwrap_or_default())
                .with_version(next_version);
            let (record, extra) = make(nhs);
            let mut ops = vec![WriteOp::Put { item: counter_item, condition }];
            for (i, item) in record.items(nhs, 1).into_iter().enumerate() {
                let condition = if i == 0 { Condition::NotExists } else { Condition::None };
                ops.push(WriteOp::Put { item, condition });
            }
            let extra_at = ops.len();
            ops.extend(extra);
            match self.store.transact_write(ops).await {
                Ok(()) => return Ok((nhs, WriteOutcome::Written)),
                Err(StoreError::ConditionFailed { op: Some(i) }) if i == extra_at => {
                    return Ok((nhs, WriteOutcome::AlreadyApplied));
                }
                Err(StoreError::ConditionFailed { op: Some(i) }) if i > extra_at => {
                    return Ok((nhs, WriteOutcome::Contended));
                }
                // Another create took this number first (or the record exists): take the next one.
                Err(StoreError::ConditionFailed { .. }) | Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(SpineError::new(
            spine_shared::ErrorCode::ServiceUnavailable,
            "NHS number allocation is busy; retry with the same X-Request-ID",
        ))
    }

    /// Bulk-loads records (seeding): every item of every record, unconditionally.
    pub async fn load(&self, records: &[(NhsNumber, PatientRecord, u64)]) -> SpineResult<()> {
        let items: Vec<Item> = records.iter().flat_map(|(n, r, v)| r.items(*n, *v)).collect();
        Ok(self.store.batch_put(items).await?)
    }
}
