//! The prescription store, over the record store port. A prescription is created once per id, and
//! changed only by a lifecycle step applied with a conditional write on the version it was read at:
//! when another write got there first, the store reads again and decides again. So of two
//! dispensers racing to release one prescription exactly one wins and the other is told it is
//! with another dispenser, and a refused step changes nothing. Nominated release takes up to 25 of
//! a pharmacy's waiting prescriptions, oldest first, each only if it is still waiting; the tracker
//! reads a patient's prescriptions by status and authored day.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use spine_shared::NhsNumber;
use spine_shared::ports::{Condition, Index, IndexKey, Item, KeyCondition, Query, RecordStore, StoreError, WriteOp};

use crate::error::EpsError;
use crate::lifecycle::{self, CancelCode};
use crate::model::{
    BUNDLE_SK, ClaimRecord, LineItem, Notification, PRESCRIPTION_SK, Prescription, expiry_day, expiry_pk, nominated_pk,
    patient_pk, prescription_pk,
};
use crate::outbox::{self, StatusEvent};
use crate::status::{LineItemStatus, PrescriptionStatus};

/// The most prescriptions one nominated release hands out.
pub const MAX_NOMINATED_RELEASE: usize = 25;

/// How many days back an expiry run looks: runs missed for up to a year are made good.
pub const EXPIRY_WINDOW_DAYS: u16 = 366;

/// How often a change is re-decided when concurrent writes keep winning.
const MAX_ATTEMPTS: usize = 16;

fn store_fault(e: StoreError) -> EpsError {
    EpsError::internal(format!("prescription store: {e}"))
}

/// The line items with `from` set to `to`.
fn items_moved(items: &[LineItem], from: LineItemStatus, to: LineItemStatus) -> Vec<LineItem> {
    items.iter().map(|i| LineItem { status: if i.status == from { to } else { i.status }, ..i.clone() }).collect()
}

/// The line items after a dispense notification reporting `reported`: every item that is not
/// cancelled must be reported, every reported item must be one of the prescription's, and a
/// cancelled one cannot be reported dispensed.
fn items_dispensed(items: &[LineItem], reported: &[LineItem]) -> Result<Vec<LineItem>, EpsError> {
    if let Some(unknown) = reported.iter().find(|r| !items.iter().any(|i| i.id == r.id)) {
        return Err(EpsError::item_not_found(&unknown.id));
    }
    items
        .iter()
        .map(|i| match reported.iter().find(|r| r.id == i.id) {
            Some(r) if i.status == LineItemStatus::Cancelled && r.status != LineItemStatus::Cancelled => {
                Err(EpsError::invalid_value(format!("Line item {} is cancelled: it cannot be dispensed.", i.id)))
            }
            Some(r) => Ok(r.clone()),
            None if i.status == LineItemStatus::Cancelled => Ok(i.clone()),
            None => {
                Err(EpsError::invalid("The dispense notification must report every line item that is not cancelled."))
            }
        })
        .collect()
}

fn statuses(items: &[LineItem]) -> Vec<LineItemStatus> {
    items.iter().map(|i| i.status).collect()
}

fn not_the_latest(what: &str) -> EpsError {
    EpsError::business_rule(
        "DISPENSE_AMEND_IDENTIFIER_MISMATCH",
        format!("Only the latest dispense notification can be {what}: the identifier does not match it."),
    )
}

const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// A request's receipt, committed with its change: given the prescriptions as the change leaves
/// them, the write that records the request's answer (`X-Request-ID` idempotency). Its condition
/// failing means the same request was applied already: [`EpsError::already_applied`]. Whether a
/// commit carrying it landed is kept ([`Seal::landed`]): then no earlier answer was recorded (the
/// receipt's condition is that none is), so the request's own answer stands.
#[derive(Clone)]
pub struct Seal {
    receipt: Arc<Receipt>,
    landed: Arc<AtomicBool>,
}

impl Seal {
    pub fn new(receipt: impl Fn(&[Prescription]) -> WriteOp + Send + Sync + 'static) -> Self {
        Seal { receipt: Arc::new(receipt), landed: Arc::default() }
    }

    /// Whether a change was committed with this receipt.
    pub fn landed(&self) -> bool {
        self.landed.load(Ordering::Acquire)
    }
}

/// Given the prescriptions as a change leaves them, the write recording the request's answer.
type Receipt = dyn Fn(&[Prescription]) -> WriteOp + Send + Sync;

/// Why a commit did not land.
enum CommitError {
    /// A prescription changed since it was read (or a transaction conflicted): decide again.
    Stale,
    Refused(EpsError),
}

#[derive(Clone)]
pub struct PrescriptionStore {
    records: Arc<dyn RecordStore>,
    seal: Option<Seal>,
    /// The NHS number a request names: [`Self::change`] refuses a prescription of anyone else.
    patient: Option<String>,
}

impl PrescriptionStore {
    pub fn new(records: Arc<dyn RecordStore>) -> Self {
        PrescriptionStore { records, seal: None, patient: None }
    }

    /// This store for one request: each change it commits also writes `seal`'s receipt.
    pub fn sealed(&self, seal: Seal) -> Self {
        PrescriptionStore { seal: Some(seal), ..self.clone() }
    }

    /// This store for a message about patient `nhs`: a change to a prescription of another patient
    /// is refused (`FAILURE_TO_PROCESS_MESSAGE`) before its step is asked, and changes nothing.
    pub fn of_patient(&self, nhs: &NhsNumber) -> Self {
        PrescriptionStore { patient: Some(nhs.to_string()), ..self.clone() }
    }

    pub fn records(&self) -> &Arc<dyn RecordStore> {
        &self.records
    }

    fn item(p: &Prescription, version: u64) -> Item {
        let (nominated, (patient_pk, patient_sk)) = p.index_keys();
        let mut item = Item::new(prescription_pk(&p.id), PRESCRIPTION_SK, p.to_json())
            .with_version(version)
            .with_gsi2(IndexKey::new(patient_pk, patient_sk));
        if let Some((pk, sk)) = nominated {
            item = item.with_gsi1(IndexKey::new(pk, sk));
        }
        item
    }

    /// Commits changes in one transaction: each prescription (new, or replacing the version it was
    /// read at), its status event in the outbox, any `extra` writes, and the request's receipt.
    /// `changes`: the prescription as it will be, as it was (None: new) and the version read.
    async fn commit(
        &self,
        changes: &[(Prescription, Option<&Prescription>, u64)],
        extra: Vec<WriteOp>,
    ) -> Result<(), CommitError> {
        let now = time::OffsetDateTime::now_utc();
        let at = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let mut ops = Vec::with_capacity(changes.len() * 2 + extra.len() + 1);
        for (next, previous, version) in changes {
            let condition = if previous.is_some() { Condition::VersionIs(*version) } else { Condition::NotExists };
            ops.push(WriteOp::Put { item: Self::item(next, version + 1), condition });
        }
        let prescriptions = changes.len();
        for (next, previous, version) in changes {
            ops.push(outbox::put(&StatusEvent::of(next, *previous, version + 1, &at), version + 1));
        }
        let extra_at = ops.len();
        ops.extend(extra);
        let seal_at = ops.len();
        if let Some(seal) = &self.seal {
            let changed: Vec<Prescription> = changes.iter().map(|(p, _, _)| p.clone()).collect();
            ops.push((seal.receipt)(&changed));
        }
        match self.records.transact_write(ops).await {
            Ok(()) => {
                if let Some(seal) = &self.seal {
                    seal.landed.store(true, Ordering::Release);
                }
                Ok(())
            }
            Err(StoreError::ConditionFailed { op: Some(i) }) if i == seal_at => {
                Err(CommitError::Refused(EpsError::already_applied()))
            }
            Err(StoreError::ConditionFailed { op: Some(i) }) if i < prescriptions => {
                if changes[i].1.is_none() {
                    Err(CommitError::Refused(EpsError::duplicate_prescription_id()))
                } else {
                    Err(CommitError::Stale)
                }
            }
            Err(StoreError::ConditionFailed { op: Some(i) }) if i >= extra_at => {
                Err(CommitError::Refused(EpsError::duplicate_prescription_id()))
            }
            // A backend that does not say which condition failed: find out by reading.
            Err(StoreError::ConditionFailed { .. }) => Err(self.which_failed(changes).await),
            Err(StoreError::Conflict) => Err(CommitError::Stale),
            Err(e) => Err(CommitError::Refused(store_fault(e))),
        }
    }

    async fn which_failed(&self, changes: &[(Prescription, Option<&Prescription>, u64)]) -> CommitError {
        for (next, previous, version) in changes {
            match self.records.get(&prescription_pk(&next.id), PRESCRIPTION_SK).await {
                Ok(Some(item)) if previous.is_none() || item.version != *version => {
                    return if previous.is_none() {
                        CommitError::Refused(EpsError::duplicate_prescription_id())
                    } else {
                        CommitError::Stale
                    };
                }
                Ok(_) => {}
                Err(e) => return CommitError::Refused(store_fault(e)),
            }
        }
        CommitError::Refused(EpsError::already_applied())
    }

    /// Stores a new prescription, and the signed Bundle it came in when given; a second one with
    /// the same id is `DUPLICATE_PRESCRIPTION_ID`.
    pub async fn create(&self, p: &Prescription, bundle: Option<&[u8]>) -> Result<(), EpsError> {
        let mut extra: Vec<WriteOp> = bundle
            .map(|b| WriteOp::Put {
                item: Item::new(prescription_pk(&p.id), BUNDLE_SK, b.to_vec()),
                condition: Condition::NotExists,
            })
            .into_iter()
            .collect();
        // Its expiry marker, found by the expiry job on the day its validity ends.
        let day = expiry_day(&p.authored_on, p.validity_days)
            .ok_or_else(|| EpsError::invalid("authoredOn is not a date and time"))?;
        extra.push(WriteOp::Put {
            item: Item::new(expiry_pk(&day), p.id.clone(), Vec::new()),
            condition: Condition::None,
        });
        match self.commit(&[(p.clone(), None, 0)], extra).await {
            Ok(()) => Ok(()),
            Err(CommitError::Refused(e)) => Err(e),
            Err(CommitError::Stale) => Err(EpsError::duplicate_prescription_id()),
        }
    }

    async fn read(&self, id: &str) -> Result<Option<(Prescription, u64)>, EpsError> {
        let item = self.records.get(&prescription_pk(id), PRESCRIPTION_SK).await.map_err(store_fault)?;
        item.map(|item| Ok((Prescription::from_json(&item.data)?, item.version))).transpose()
    }

    pub async fn get(&self, id: &str) -> Result<Option<Prescription>, EpsError> {
        Ok(self.read(id).await?.map(|(p, _)| p))
    }

    /// The signed Bundles of prescriptions, by id (those stored without one are left out).
    pub async fn bundles(&self, ids: &[&str]) -> Result<Vec<(String, Vec<u8>)>, EpsError> {
        let keys = ids.iter().map(|id| (prescription_pk(id), BUNDLE_SK.to_owned())).collect();
        let items = self.records.batch_get(keys).await.map_err(store_fault)?;
        Ok(items.into_iter().map(|i| (i.pk.trim_start_matches("EPSRX#").to_owned(), i.data)).collect())
    }

    /// Applies `step` to the prescription as it is now and stores what it returns, unless another
    /// write changed the prescription meanwhile — then reads it again and asks `step` again.
    /// `step` returns the new record (`None`: nothing to store) and an answer, or a refusal. An
    /// unknown prescription, or one of another patient than the store's ([`Self::of_patient`]), is
    /// refused first.
    pub async fn change<T>(
        &self,
        id: &str,
        step: impl Fn(&Prescription) -> Result<(Option<Prescription>, T), EpsError>,
    ) -> Result<(Prescription, T), EpsError> {
        for _ in 0..MAX_ATTEMPTS {
            let (current, version) = self.read(id).await?.ok_or_else(EpsError::prescription_not_found)?;
            if self.patient.as_ref().is_some_and(|nhs| *nhs != current.nhs_number) {
                return Err(EpsError::failure_to_process(
                    "Unable to process message: the NHS number does not match the prescription's.",
                ));
            }
            let (next, answer) = step(&current)?;
            let Some(next) = next else { return Ok((current, answer)) };
            match self.commit(&[(next.clone(), Some(&current), version)], Vec::new()).await {
                Ok(()) => return Ok((next, answer)),
                Err(CommitError::Stale) => continue,
                Err(CommitError::Refused(e)) => return Err(e),
            }
        }
        Err(EpsError::internal(format!("gave up after {MAX_ATTEMPTS} concurrent changes")))
    }

    /// Patient release of one prescription to `dispenser` (the holder may download it again).
    pub async fn release(&self, id: &str, dispenser: &str) -> Result<Prescription, EpsError> {
        let (p, ()) = self
            .change(id, |p| {
                let state = lifecycle::release(&p.state, dispenser)?;
                if state == p.state {
                    return Ok((None, ()));
                }
                let items = items_moved(&p.items, LineItemStatus::ToBeDispensed, LineItemStatus::WithDispenser);
                Ok((Some(Prescription { state, items, ..p.clone() }), ()))
            })
            .await?;
        Ok(p)
    }

    /// Nominated release: up to `max` (at most [`MAX_NOMINATED_RELEASE`]) of the prescriptions
    /// waiting for the pharmacy `ods`, oldest first, released together in one transaction (with
    /// the request's receipt, so a retried download gets the same prescriptions, not the next
    /// ones). A concurrent download that took any of them first makes this one read again: a
    /// prescription is never handed out twice. Empty when none are left (`NO_MORE_PRESCRIPTIONS`).
    pub async fn release_nominated(&self, ods: &str, max: usize) -> Result<Vec<Prescription>, EpsError> {
        let max = max.clamp(1, MAX_NOMINATED_RELEASE);
        'attempt: for _ in 0..MAX_ATTEMPTS {
            let query = Query::new(Index::Gsi1, nominated_pk(ods), KeyCondition::All).limit(max);
            let page = self.records.query(query).await.map_err(store_fault)?;
            let ids: Vec<String> = page.items.iter().map(|i| i.pk.trim_start_matches("EPSRX#").to_owned()).collect();
            let mut current = Vec::with_capacity(ids.len());
            for id in &ids {
                // The index may lag its table (DynamoDB's GSIs are eventually consistent): the
                // prescription itself decides.
                match self.read(id).await? {
                    Some((p, version))
                        if p.state.status == PrescriptionStatus::ToBeDispensed
                            && p.nominated.as_deref() == Some(ods) =>
                    {
                        current.push((p, version))
                    }
                    _ => {}
                }
            }
            if current.is_empty() {
                return Ok(Vec::new());
            }
            let mut changes = Vec::with_capacity(current.len());
            for (p, version) in &current {
                let state = lifecycle::release(&p.state, ods)?;
                let items = items_moved(&p.items, LineItemStatus::ToBeDispensed, LineItemStatus::WithDispenser);
                changes.push((Prescription { state, items, ..p.clone() }, Some(p), *version));
            }
            match self.commit(&changes, Vec::new()).await {
                Ok(()) => return Ok(changes.into_iter().map(|(p, _, _)| p).collect()),
                Err(CommitError::Stale) => continue 'attempt,
                Err(CommitError::Refused(e)) => return Err(e),
            }
        }
        Err(EpsError::internal(format!("gave up after {MAX_ATTEMPTS} concurrent downloads")))
    }

    /// Return to the Spine by the dispenser holding it (cancelling the items marked for
    /// cancellation, and the prescription once every item is).
    pub async fn return_to_spine(&self, id: &str, dispenser: &str) -> Result<Prescription, EpsError> {
        let (p, ()) = self
            .change(id, |p| {
                let (state, items) = lifecycle::return_to_spine(&p.state, &p.items, dispenser)?;
                Ok((Some(Prescription { state, items, ..p.clone() }), ()))
            })
            .await?;
        Ok(p)
    }

    /// A dispense notification `notification` by the holder, reporting line items' outcomes; with
    /// `replacement_of`, an amendment of the latest notification (which it replaces). Sending the
    /// same notification again changes nothing.
    pub async fn dispense(
        &self,
        id: &str,
        dispenser: &str,
        notification: &str,
        reported: &[LineItem],
        replacement_of: Option<&str>,
    ) -> Result<Prescription, EpsError> {
        let amendment = replacement_of.is_some();
        let (p, ()) = self
            .change(id, |p| {
                if let Some(latest) = p.notifications.last().filter(|n| n.id == notification) {
                    lifecycle::dispense(&p.state, dispenser, &statuses(&p.items), true)?;
                    // The same notification again changes nothing; its identifier on other
                    // outcomes is a mistake, not an amendment.
                    let same =
                        reported.iter().all(|r| latest.items.iter().any(|i| i.id == r.id && i.status == r.status));
                    return if same { Ok((None, ())) } else { Err(EpsError::notification_reused()) };
                }
                let items = match items_dispensed(&p.items, reported) {
                    Ok(items) => items,
                    Err(e) => {
                        // The prescription's state and holder are judged first.
                        lifecycle::dispense(&p.state, dispenser, &[LineItemStatus::FullyDispensed], amendment)?;
                        return Err(e);
                    }
                };
                let state = lifecycle::dispense(&p.state, dispenser, &statuses(&items), amendment)?;
                let mut notifications = p.notifications.clone();
                if let Some(target) = replacement_of {
                    if notifications.last().map(|n| n.id.as_str()) != Some(target) {
                        return Err(not_the_latest("amended"));
                    }
                    notifications.pop();
                }
                notifications.push(Notification { id: notification.to_owned(), items: items.clone() });
                Ok((Some(Prescription { state, items, notifications, ..p.clone() }), ()))
            })
            .await?;
        Ok(p)
    }

    /// Withdraws the latest dispense notification (Task `abort`): the prescription and its items go
    /// back to what the notification before it left, or to "with dispenser" if there was none.
    pub async fn withdraw(&self, id: &str, dispenser: &str, notification: &str) -> Result<Prescription, EpsError> {
        let (p, ()) = self
            .change(id, |p| {
                let previous = p.notifications.len().checked_sub(2).map(|i| &p.notifications[i]);
                let state = lifecycle::withdraw(&p.state, dispenser, previous.map(|n| statuses(&n.items)).as_deref())?;
                if p.notifications.last().map(|n| n.id.as_str()) != Some(notification) {
                    return Err(not_the_latest("withdrawn"));
                }
                let items = match previous {
                    Some(n) => n.items.clone(),
                    None => p
                        .items
                        .iter()
                        .map(|i| LineItem {
                            status: if i.status == LineItemStatus::Cancelled {
                                i.status
                            } else {
                                LineItemStatus::WithDispenser
                            },
                            ..i.clone()
                        })
                        .collect(),
                };
                let mut notifications = p.notifications.clone();
                notifications.pop();
                Ok((Some(Prescription { state, items, notifications, ..p.clone() }), ()))
            })
            .await?;
        Ok(p)
    }

    /// The claim `claim` by the dispenser that dispensed it; with `replacement_of`, an amendment of
    /// the claim on record, allowed until the 5th of the month after it was made. Sending the same
    /// claim again changes nothing.
    pub async fn claim(
        &self,
        id: &str,
        dispenser: &str,
        claim: &str,
        replacement_of: Option<&str>,
        today: time::Date,
    ) -> Result<Prescription, EpsError> {
        let (p, ()) = self
            .change(id, |p| {
                if replacement_of.is_none() && p.claim.as_ref().is_some_and(|c| c.id == claim) {
                    lifecycle::claim(&p.state, dispenser, true)?;
                    return Ok((None, ()));
                }
                let state = lifecycle::claim(&p.state, dispenser, replacement_of.is_some())?;
                let claimed_on = match (replacement_of, &p.claim) {
                    (None, _) => today.format(DAY).map_err(|e| EpsError::internal(e.to_string()))?,
                    (Some(target), Some(current)) if current.id == target => {
                        let made = time::Date::parse(&current.claimed_on, DAY)
                            .map_err(|e| EpsError::internal(format!("a stored claim date: {e}")))?;
                        if !lifecycle::claim_amendable(made, today) {
                            return Err(EpsError::business_rule(
                                "CLAIM_AMEND_PERIOD_ISSUE",
                                "Claim amendment is not permitted outside of the claim period.",
                            ));
                        }
                        current.claimed_on.clone()
                    }
                    (Some(_), _) => {
                        return Err(EpsError::business_rule(
                            "DISPENSE_AMEND_IDENTIFIER_MISMATCH",
                            "Replacement target does not match existing claim reference on record.",
                        ));
                    }
                };
                let record = ClaimRecord { id: claim.to_owned(), claimed_on };
                Ok((Some(Prescription { state, claim: Some(record), ..p.clone() }), ()))
            })
            .await?;
        Ok(p)
    }

    /// Expires the prescriptions whose validity ended on any day of the `window` days up to and
    /// including `today` and that were never dispensed from (see [`lifecycle::expire`]): 0004, and
    /// their waiting items 0006. Each prescription's expiry marker goes once it is dealt with, so a
    /// run repeats nothing; a run that failed half-way is finished by the next. Returns how many
    /// prescriptions expired.
    pub async fn expire_due(&self, today: time::Date, window: u16) -> Result<usize, EpsError> {
        let mut expired = 0;
        for back in (0..i64::from(window)).rev() {
            let Some(day) = today.checked_sub(time::Duration::days(back)) else { continue };
            let day = day.format(DAY).map_err(|e| EpsError::internal(e.to_string()))?;
            loop {
                let query = Query::new(Index::Table, expiry_pk(&day), KeyCondition::All).limit(100);
                let page = self.records.query(query).await.map_err(store_fault)?;
                if page.items.is_empty() {
                    break;
                }
                for marker in &page.items {
                    let outcome = self
                        .change(&marker.sk, |p| {
                            let Some(state) = lifecycle::expire(&p.state) else { return Ok((None, false)) };
                            let items: Vec<LineItem> = p
                                .items
                                .iter()
                                .map(|i| LineItem {
                                    status: match i.status {
                                        LineItemStatus::ToBeDispensed | LineItemStatus::WithDispenser => {
                                            LineItemStatus::Expired
                                        }
                                        other => other,
                                    },
                                    ..i.clone()
                                })
                                .collect();
                            Ok((Some(Prescription { state, items, ..p.clone() }), true))
                        })
                        .await;
                    match outcome {
                        Ok((_, true)) => expired += 1,
                        Ok((_, false)) => {}
                        Err(e) if e.code() == Some("PRESCRIPTION_NOT_FOUND") => {}
                        Err(e) => return Err(e),
                    }
                    self.records.delete(&marker.pk, &marker.sk, Condition::None).await.map_err(store_fault)?;
                }
            }
        }
        Ok(expired)
    }

    /// The tracker's view of a patient: their prescriptions, oldest first, optionally only those
    /// with `status` (business-status) and those authored on days from `from` to `to` inclusive
    /// (`YYYY-MM-DD`; either end open).
    pub async fn for_patient(
        &self,
        nhs_number: &str,
        status: Option<PrescriptionStatus>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<Prescription>, EpsError> {
        // Sort keys are "<authoredOn>#<id>": a day range is a key range ('~' sorts after any time;
        // DynamoDB takes no empty bound, so an open end is the first or last possible day).
        let sk = match (from, to) {
            (None, None) => KeyCondition::All,
            (from, to) => KeyCondition::Between(
                from.unwrap_or("0000-01-01").to_owned(),
                format!("{}~", to.unwrap_or("9999-12-31")),
            ),
        };
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let query = Query::new(Index::Gsi2, patient_pk(nhs_number), sk.clone()).limit(100).after(cursor);
            let page = self.records.query(query).await.map_err(store_fault)?;
            for item in &page.items {
                let p = Prescription::from_json(&item.data)?;
                if status.is_none_or(|s| p.state.status == s) {
                    out.push(p);
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Cancellation of the line item `item` by `prescriber`: the prescription as it is after it
    /// (changed only when the item was cancelled or marked for cancellation) and EPS's answer. An
    /// item the prescription does not have is `ITEM_NOT_FOUND` (the handler answers it as R-5000).
    pub async fn cancel(&self, id: &str, item: &str, prescriber: &str) -> Result<(Prescription, CancelCode), EpsError> {
        self.change(id, |p| {
            if !p.items.iter().any(|i| i.id == item) {
                return Err(EpsError::item_not_found(item));
            }
            let (code, next) = lifecycle::cancel(&p.state, &p.items, item, prescriber);
            Ok((next.map(|(state, items)| Prescription { state, items, ..p.clone() }), code))
        })
        .await
    }
}
