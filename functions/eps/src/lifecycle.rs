//! The prescription lifecycle: what each operation may do from each status, and where it leaves
//! the prescription. Pure functions over a prescription's [`State`]; the store applies a result
//! with a conditional write on the state it was computed from, so two dispensers racing for one
//! prescription cannot both win and a refused operation changes nothing.
//!
//! ```text
//!  0001 To Be Dispensed ──release──▶ 0002 With Dispenser ──dispense (part)──▶ 0003 With Dispenser - Active
//!     ▲  │ cancel                     │  │ return                 dispense (all) │        │
//!     │  ▼                            │  └──▶ 0001 (0005 if every item is cancelled)       ▼
//!     │ 0005 Cancelled                └──dispense (all)──▶ 0006 Dispensed / 0007 Not Dispensed ──claim──▶ 0008 / 0009
//!     └──────────── withdraw (the only notification) goes back to 0002; an earlier one restores its state
//! ```
//!
//! A cancellation names one line item (as EPS's `prescription-order-update` does): before release
//! it is cancelled at once, and the prescription with it once every item is; with a dispenser it is
//! marked for cancellation, and a return to the Spine cancels the marked items.

use crate::error::EpsError;
use crate::model::LineItem;
use crate::status::{LineItemStatus, PrescriptionStatus as S};

/// What the lifecycle needs to know of a prescription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: S,
    /// The ODS code of the dispenser holding it (from release until claim, or its return).
    pub dispenser: Option<String>,
    /// The line items a prescriber asked to cancel while it was with a dispenser ("marked for
    /// cancellation").
    pub marks: Option<Marks>,
}

/// Line items marked for cancellation, and the prescriber who marked them (one at a time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marks {
    pub prescriber: String,
    pub items: Vec<String>,
}

impl State {
    /// A new prescription, ready for release.
    pub fn new() -> Self {
        State { status: S::ToBeDispensed, dispenser: None, marks: None }
    }

    /// Whether line item `item` is marked for cancellation.
    fn marked(&self, item: &str) -> bool {
        self.marks.as_ref().is_some_and(|m| m.items.iter().any(|i| i == item))
    }

    fn with(&self, status: S) -> Self {
        State { status, ..self.clone() }
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

const WITH_ANOTHER_DISPENSER: &str = "PRESCRIPTION_WITH_ANOTHER_DISPENSER";
const INVALID_STATE_TRANSITION: &str = "PRESCRIPTION_INVALID_STATE_TRANSITION";

fn invalid_transition(operation: &str, status: S) -> EpsError {
    EpsError::business_rule(
        INVALID_STATE_TRANSITION,
        format!("A prescription with status {} ({}) cannot {operation}.", status.code(), status.display()),
    )
}

fn with_another_dispenser(holder: &str) -> EpsError {
    EpsError::business_rule(WITH_ANOTHER_DISPENSER, "The requested prescription is with another dispenser.")
        .with_holder(holder)
}

/// Checks that `dispenser` holds a prescription that is with a dispenser (or finished by one).
fn held_by(state: &State, dispenser: &str) -> Result<(), EpsError> {
    match state.dispenser.as_deref() {
        Some(holder) if holder == dispenser => Ok(()),
        Some(holder) => Err(with_another_dispenser(holder)),
        None => Err(invalid_transition("be changed by a dispenser before it is released", state.status)),
    }
}

/// Release (nominated or patient) to `dispenser`. Releasing again to the dispenser that holds it
/// gives it back unchanged (a download that got lost can be repeated); any other holder refuses.
pub fn release(state: &State, dispenser: &str) -> Result<State, EpsError> {
    match state.status {
        S::ToBeDispensed => {
            Ok(State { status: S::WithDispenser, dispenser: Some(dispenser.to_owned()), ..state.clone() })
        }
        S::WithDispenser | S::WithDispenserActive => {
            held_by(state, dispenser)?;
            Ok(state.clone())
        }
        other => Err(invalid_transition("be released", other)),
    }
}

/// Return to the Spine (Task `rejected`) by the dispenser holding it, before anything is dispensed.
/// Its items become releasable again, but those marked for cancellation are cancelled; once every
/// item is cancelled, so is the prescription.
pub fn return_to_spine(state: &State, items: &[LineItem], dispenser: &str) -> Result<(State, Vec<LineItem>), EpsError> {
    match state.status {
        S::WithDispenser => {
            held_by(state, dispenser)?;
            let items: Vec<LineItem> = items
                .iter()
                .map(|i| {
                    let status = match i.status {
                        LineItemStatus::WithDispenser if state.marked(&i.id) => LineItemStatus::Cancelled,
                        LineItemStatus::WithDispenser => LineItemStatus::ToBeDispensed,
                        other => other,
                    };
                    LineItem { status, ..i.clone() }
                })
                .collect();
            let status = if all_cancelled(&items) { S::Cancelled } else { S::ToBeDispensed };
            Ok((State { status, dispenser: None, ..State::new() }, items))
        }
        S::WithDispenserActive => {
            held_by(state, dispenser)?;
            Err(invalid_transition(
                "be returned once items are dispensed (withdraw the dispense notification first)",
                state.status,
            ))
        }
        other => Err(invalid_transition("be returned", other)),
    }
}

fn all_cancelled(items: &[LineItem]) -> bool {
    items.iter().all(|i| i.status == LineItemStatus::Cancelled)
}

/// The status a dispense notification's line items put the prescription in: any item partly
/// dispensed, owing or untouched keeps it active (0003); every item not dispensed makes it 0007;
/// otherwise it is dispensed (0006). Cancelled items do not count.
pub fn status_after_dispense(items: &[LineItemStatus]) -> Result<S, EpsError> {
    let counted: Vec<LineItemStatus> = items.iter().copied().filter(|i| *i != LineItemStatus::Cancelled).collect();
    if counted.is_empty() {
        return Err(EpsError::invalid("A dispense notification must report at least one line item."));
    }
    if let Some(bad) = counted.iter().find(|i| !i.is_dispense_outcome()) {
        return Err(EpsError::invalid_value(format!(
            "A dispense notification cannot report a line item as {} ({}).",
            bad.code(),
            bad.display()
        )));
    }
    Ok(if counted.iter().any(|i| matches!(i, LineItemStatus::PartiallyDispensed | LineItemStatus::NotDispensedOwing)) {
        S::WithDispenserActive
    } else if counted.iter().all(|i| *i == LineItemStatus::NotDispensed) {
        S::NotDispensed
    } else {
        S::Dispensed
    })
}

/// A dispense notification by the holder. A new one follows a release or an earlier partial
/// dispense; an amendment (`replacementOf`, of the latest notification — the store checks which)
/// may also follow a complete one, until the prescription is claimed.
pub fn dispense(state: &State, dispenser: &str, items: &[LineItemStatus], amendment: bool) -> Result<State, EpsError> {
    let allowed = match state.status {
        S::WithDispenser => !amendment,
        S::WithDispenserActive => true,
        S::Dispensed | S::NotDispensed => amendment,
        _ => false,
    };
    if !allowed {
        let what = if amendment { "have its dispense notification amended" } else { "be dispensed" };
        return Err(invalid_transition(what, state.status));
    }
    held_by(state, dispenser)?;
    let status = status_after_dispense(items)?;
    // Marks last while dispensing goes on; once it is complete there is nothing left to cancel.
    let marks = if status == S::WithDispenserActive { state.marks.clone() } else { None };
    Ok(State { status, marks, ..state.clone() })
}

/// Expiry at the end of a prescription's validity: one not yet dispensed from (waiting, or with a
/// dispenser who has not reported) becomes 0004 Expired; any other is left as it is (`None`).
pub fn expire(state: &State) -> Option<State> {
    matches!(state.status, S::ToBeDispensed | S::WithDispenser).then(|| state.with(S::Expired))
}

/// Withdraws the latest dispense notification (Task `abort`): the prescription goes back to what
/// the notification before it left (`previous`: its line items), or to 0002 if there was none.
pub fn withdraw(state: &State, dispenser: &str, previous: Option<&[LineItemStatus]>) -> Result<State, EpsError> {
    if !matches!(state.status, S::WithDispenserActive | S::Dispensed | S::NotDispensed) {
        return Err(invalid_transition("have a dispense notification withdrawn", state.status));
    }
    held_by(state, dispenser)?;
    let status = match previous {
        Some(items) => status_after_dispense(items)?,
        None => S::WithDispenser,
    };
    Ok(state.with(status))
}

/// A claim (or, with `amendment`, its amendment — the store checks the claim period) by the
/// dispenser that dispensed it.
pub fn claim(state: &State, dispenser: &str, amendment: bool) -> Result<State, EpsError> {
    let status = match (state.status, amendment) {
        (S::Dispensed, false) => S::Claimed,
        (S::NotDispensed, false) => S::NoClaimed,
        (S::Claimed | S::NoClaimed, true) => state.status,
        (other, false) => return Err(invalid_transition("be claimed", other)),
        (other, true) => return Err(invalid_transition("have its claim amended", other)),
    };
    held_by(state, dispenser)?;
    Ok(state.with(status))
}

/// Whether a claim made on `claimed_on` may still be amended on `today`: until the 5th of the month
/// after the one it was made in (the NHSBSA's submission deadline for that month's claims).
pub fn claim_amendable(claimed_on: time::Date, today: time::Date) -> bool {
    let (year, month) = match claimed_on.month() {
        time::Month::December => (claimed_on.year() + 1, time::Month::January),
        m => (claimed_on.year(), m.next()),
    };
    time::Date::from_calendar_date(year, month, 5).is_ok_and(|deadline| today <= deadline)
}

/// A cancellation's answer, as EPS codes it (R-0001 … R-0010).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelCode {
    /// R-0001: cancelled.
    Cancelled,
    /// R-0002: with dispenser, not cancelled, marked for cancellation.
    MarkedWithDispenser,
    /// R-0003: with dispenser (active), not cancelled, marked for cancellation.
    MarkedWithDispenserActive,
    /// R-0004: already dispensed.
    Dispensed,
    /// R-0005: expired.
    Expired,
    /// R-0006: already cancelled.
    AlreadyCancelled,
    /// R-0007: another prescriber has already asked for its cancellation.
    RequestedByAnotherPrescriber,
    /// R-0010: not dispensed.
    NotDispensed,
}

impl CancelCode {
    pub fn code(self) -> &'static str {
        match self {
            CancelCode::Cancelled => "R-0001",
            CancelCode::MarkedWithDispenser => "R-0002",
            CancelCode::MarkedWithDispenserActive => "R-0003",
            CancelCode::Dispensed => "R-0004",
            CancelCode::Expired => "R-0005",
            CancelCode::AlreadyCancelled => "R-0006",
            CancelCode::RequestedByAnotherPrescriber => "R-0007",
            CancelCode::NotDispensed => "R-0010",
        }
    }

    pub fn display(self) -> &'static str {
        match self {
            CancelCode::Cancelled => "Prescription/item was cancelled",
            CancelCode::MarkedWithDispenser => {
                "Prescription/item was not cancelled. With dispenser. Marked for cancellation"
            }
            CancelCode::MarkedWithDispenserActive => {
                "Prescription/item was not cancelled. With dispenser active. Marked for cancellation"
            }
            CancelCode::Dispensed => "Prescription/item was not cancelled. Prescription has been dispensed.",
            CancelCode::Expired => "Prescription/item has expired",
            CancelCode::AlreadyCancelled => "Prescription/item had already been cancelled",
            CancelCode::RequestedByAnotherPrescriber => {
                "Prescription/item cancellation requested by another prescriber"
            }
            CancelCode::NotDispensed => "Prescription/item was not cancelled. Prescription has been not dispensed.",
        }
    }

    /// 200 for R-0001 (cancelled); 400, with the response Bundle, for every other, as EPS answers
    /// them — R-0002/R-0003 included: the item was not cancelled, though it is now marked for
    /// cancellation (which the dispenser is told of).
    pub fn http_status(self) -> u16 {
        match self {
            CancelCode::Cancelled => 200,
            _ => 400,
        }
    }
}

/// A cancellation of the line item `item` by `prescriber`: its answer, and the state and items to
/// store when it changes anything. Before release the item is cancelled (and the prescription, once
/// every item is); with a dispenser it is marked for cancellation (one prescriber's marks at a
/// time); a finished prescription, or an item already dispensed or cancelled, is left as it is.
pub fn cancel(
    state: &State,
    items: &[LineItem],
    item: &str,
    prescriber: &str,
) -> (CancelCode, Option<(State, Vec<LineItem>)>) {
    let named = items.iter().find(|i| i.id == item).map(|i| i.status);
    if named == Some(LineItemStatus::Cancelled) {
        return (CancelCode::AlreadyCancelled, None);
    }
    let mark = |code| match &state.marks {
        Some(m) if m.prescriber != prescriber => (CancelCode::RequestedByAnotherPrescriber, None),
        _ if state.marked(item) => (code, None),
        marks => {
            let mut marked = marks.as_ref().map(|m| m.items.clone()).unwrap_or_default();
            marked.push(item.to_owned());
            let marks = Some(Marks { prescriber: prescriber.to_owned(), items: marked });
            (code, Some((State { marks, ..state.clone() }, items.to_vec())))
        }
    };
    match state.status {
        S::ToBeDispensed | S::RepeatDispenseFutureInstance | S::PrescriptionFutureInstance => {
            let items: Vec<LineItem> =
                items
                    .iter()
                    .map(|i| {
                        if i.id == item {
                            LineItem { status: LineItemStatus::Cancelled, ..i.clone() }
                        } else {
                            i.clone()
                        }
                    })
                    .collect();
            let status = match state.status {
                _ if !all_cancelled(&items) => state.status,
                S::ToBeDispensed => S::Cancelled,
                _ => S::CancelledFutureInstance,
            };
            (CancelCode::Cancelled, Some((state.with(status), items)))
        }
        S::WithDispenser => mark(CancelCode::MarkedWithDispenser),
        S::WithDispenserActive => match named {
            Some(LineItemStatus::FullyDispensed) => (CancelCode::Dispensed, None),
            Some(LineItemStatus::NotDispensed) => (CancelCode::NotDispensed, None),
            _ => mark(CancelCode::MarkedWithDispenserActive),
        },
        S::Dispensed | S::Claimed => (CancelCode::Dispensed, None),
        S::NotDispensed | S::NoClaimed => (CancelCode::NotDispensed, None),
        S::Expired => (CancelCode::Expired, None),
        S::Cancelled | S::CancelledFutureInstance => (CancelCode::AlreadyCancelled, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LineItemStatus as L;

    const PHARMACY: &str = "FA565";
    const OTHER: &str = "FCG71";

    fn released() -> State {
        release(&State::new(), PHARMACY).unwrap()
    }

    fn code_of<T: std::fmt::Debug>(r: Result<T, EpsError>) -> Option<&'static str> {
        r.unwrap_err().code()
    }

    /// Two line items, "1" and "2", in these statuses.
    fn items(first: L, second: L) -> Vec<LineItem> {
        vec![LineItem { id: "1".into(), status: first }, LineItem { id: "2".into(), status: second }]
    }

    fn held() -> Vec<LineItem> {
        items(L::WithDispenser, L::WithDispenser)
    }

    #[test]
    fn the_happy_path_to_claimed() {
        let s = released();
        assert_eq!((s.status, s.dispenser.as_deref()), (S::WithDispenser, Some(PHARMACY)));
        let s = dispense(&s, PHARMACY, &[L::PartiallyDispensed, L::FullyDispensed], false).unwrap();
        assert_eq!(s.status, S::WithDispenserActive);
        let s = dispense(&s, PHARMACY, &[L::FullyDispensed, L::FullyDispensed], false).unwrap();
        assert_eq!(s.status, S::Dispensed);
        let s = claim(&s, PHARMACY, false).unwrap();
        assert_eq!(s.status, S::Claimed);
        assert_eq!(claim(&s, PHARMACY, true).unwrap().status, S::Claimed, "a claim can be amended");
        assert_eq!(code_of(claim(&s, PHARMACY, false)), Some(INVALID_STATE_TRANSITION), "not claimed twice");
    }

    #[test]
    fn one_dispenser_holds_a_prescription() {
        let s = released();
        assert_eq!(code_of(release(&s, OTHER)), Some(WITH_ANOTHER_DISPENSER));
        assert_eq!(release(&s, PHARMACY).unwrap(), s, "the holder may download it again, unchanged");
        assert_eq!(code_of(dispense(&s, OTHER, &[L::FullyDispensed], false)), Some(WITH_ANOTHER_DISPENSER));
        assert_eq!(code_of(return_to_spine(&s, &held(), OTHER)), Some(WITH_ANOTHER_DISPENSER));
        let done = dispense(&s, PHARMACY, &[L::FullyDispensed], false).unwrap();
        assert_eq!(code_of(claim(&done, OTHER, false)), Some(WITH_ANOTHER_DISPENSER));
        assert_eq!(code_of(withdraw(&done, OTHER, None)), Some(WITH_ANOTHER_DISPENSER));
    }

    #[test]
    fn nothing_but_release_and_cancel_before_release() {
        let s = State::new();
        assert_eq!(code_of(dispense(&s, PHARMACY, &[L::FullyDispensed], false)), Some(INVALID_STATE_TRANSITION));
        assert_eq!(code_of(return_to_spine(&s, &held(), PHARMACY)), Some(INVALID_STATE_TRANSITION));
        assert_eq!(code_of(withdraw(&s, PHARMACY, None)), Some(INVALID_STATE_TRANSITION));
        assert_eq!(code_of(claim(&s, PHARMACY, false)), Some(INVALID_STATE_TRANSITION));
    }

    #[test]
    fn return_makes_it_releasable_again_or_applies_a_marked_cancellation() {
        let (s, back) = return_to_spine(&released(), &held(), PHARMACY).unwrap();
        assert_eq!((s, back), (State::new(), items(L::ToBeDispensed, L::ToBeDispensed)));
        assert_eq!(release(&State::new(), OTHER).unwrap().dispenser.as_deref(), Some(OTHER), "then any dispenser");

        // One item marked: the return cancels it, and the other can be released again.
        let (code, marked) = cancel(&released(), &held(), "1", "prescriber-1");
        assert_eq!(code, CancelCode::MarkedWithDispenser);
        let (marked, held_items) = marked.unwrap();
        assert_eq!(marked.status, S::WithDispenser, "marked, not cancelled");
        let (s, back) = return_to_spine(&marked, &held_items, PHARMACY).unwrap();
        assert_eq!((s.status, back), (S::ToBeDispensed, items(L::Cancelled, L::ToBeDispensed)));
        assert_eq!(s.marks, None);

        // Both marked: the prescription is cancelled.
        let (both, _) = cancel(&marked, &held_items, "2", "prescriber-1").1.unwrap();
        assert_eq!(both.marks.as_ref().map(|m| m.items.clone()), Some(vec!["1".to_owned(), "2".to_owned()]));
        let (s, back) = return_to_spine(&both, &held_items, PHARMACY).unwrap();
        assert_eq!((s.status, back), (S::Cancelled, items(L::Cancelled, L::Cancelled)));

        let active = dispense(&released(), PHARMACY, &[L::NotDispensedOwing], false).unwrap();
        assert_eq!(code_of(return_to_spine(&active, &held(), PHARMACY)), Some(INVALID_STATE_TRANSITION));
    }

    #[test]
    fn dispense_outcomes_from_line_items() {
        assert_eq!(status_after_dispense(&[L::FullyDispensed, L::NotDispensed]).unwrap(), S::Dispensed);
        assert_eq!(status_after_dispense(&[L::NotDispensed, L::NotDispensed]).unwrap(), S::NotDispensed);
        assert_eq!(status_after_dispense(&[L::FullyDispensed, L::NotDispensedOwing]).unwrap(), S::WithDispenserActive);
        assert_eq!(status_after_dispense(&[L::PartiallyDispensed]).unwrap(), S::WithDispenserActive);
        assert_eq!(status_after_dispense(&[L::Cancelled, L::FullyDispensed]).unwrap(), S::Dispensed);
        assert!(status_after_dispense(&[]).is_err());
        assert!(status_after_dispense(&[L::Cancelled]).is_err());
        assert!(status_after_dispense(&[L::WithDispenser]).is_err());
    }

    #[test]
    fn amendments_and_withdrawals() {
        let s = released();
        assert_eq!(code_of(dispense(&s, PHARMACY, &[L::FullyDispensed], true)), Some(INVALID_STATE_TRANSITION));
        let partial = dispense(&s, PHARMACY, &[L::PartiallyDispensed], false).unwrap();
        let done = dispense(&partial, PHARMACY, &[L::FullyDispensed], false).unwrap();
        assert_eq!(code_of(dispense(&done, PHARMACY, &[L::FullyDispensed], false)), Some(INVALID_STATE_TRANSITION));
        assert_eq!(dispense(&done, PHARMACY, &[L::NotDispensed], true).unwrap().status, S::NotDispensed);

        assert_eq!(withdraw(&done, PHARMACY, Some(&[L::PartiallyDispensed])).unwrap().status, S::WithDispenserActive);
        assert_eq!(withdraw(&partial, PHARMACY, None).unwrap().status, S::WithDispenser);
        let claimed = claim(&done, PHARMACY, false).unwrap();
        assert_eq!(code_of(withdraw(&claimed, PHARMACY, None)), Some(INVALID_STATE_TRANSITION));
        assert_eq!(code_of(dispense(&claimed, PHARMACY, &[L::FullyDispensed], true)), Some(INVALID_STATE_TRANSITION));
        let not = dispense(&s, PHARMACY, &[L::NotDispensed], false).unwrap();
        assert_eq!(claim(&not, PHARMACY, false).unwrap().status, S::NoClaimed);
    }

    #[test]
    fn cancellation_codes_by_status() {
        let waiting = items(L::ToBeDispensed, L::ToBeDispensed);
        let (code, one) = cancel(&State::new(), &waiting, "1", "p1");
        assert_eq!((code, code.code(), code.http_status()), (CancelCode::Cancelled, "R-0001", 200));
        let (state, one_cancelled) = one.unwrap();
        assert_eq!((state.status, &one_cancelled), (S::ToBeDispensed, &items(L::Cancelled, L::ToBeDispensed)));
        assert_eq!(cancel(&state, &one_cancelled, "1", "p1"), (CancelCode::AlreadyCancelled, None));
        let (state, both) = cancel(&state, &one_cancelled, "2", "p1").1.unwrap();
        assert_eq!((state.status, both), (S::Cancelled, items(L::Cancelled, L::Cancelled)), "the last item");
        assert_eq!(cancel(&state, &waiting, "1", "p1").0.code(), "R-0006", "a cancelled prescription");

        let (code, marked) = cancel(&released(), &held(), "1", "p1");
        assert_eq!(code.code(), "R-0002");
        let (marked, held_items) = marked.unwrap();
        assert_eq!(held_items, held(), "marking changes no item");
        assert_eq!(marked.marks, Some(Marks { prescriber: "p1".into(), items: vec!["1".into()] }));
        assert_eq!(
            cancel(&marked, &held(), "1", "p1"),
            (CancelCode::MarkedWithDispenser, None),
            "asking again changes nothing"
        );
        assert_eq!(cancel(&marked, &held(), "2", "p2"), (CancelCode::RequestedByAnotherPrescriber, None));
        assert_eq!(CancelCode::RequestedByAnotherPrescriber.code(), "R-0007");

        let active = dispense(&released(), PHARMACY, &[L::PartiallyDispensed, L::FullyDispensed], false).unwrap();
        let partly = items(L::PartiallyDispensed, L::FullyDispensed);
        assert_eq!(cancel(&active, &partly, "1", "p1").0.code(), "R-0003");
        assert_eq!(cancel(&active, &partly, "2", "p1"), (CancelCode::Dispensed, None), "that item is dispensed");
        let done = dispense(&active, PHARMACY, &[L::FullyDispensed], false).unwrap();
        let dispensed = items(L::FullyDispensed, L::FullyDispensed);
        assert_eq!(cancel(&done, &dispensed, "1", "p1"), (CancelCode::Dispensed, None));
        assert_eq!(cancel(&claim(&done, PHARMACY, false).unwrap(), &dispensed, "1", "p1").0.code(), "R-0004");
        let not = dispense(&released(), PHARMACY, &[L::NotDispensed], false).unwrap();
        assert_eq!(cancel(&not, &items(L::NotDispensed, L::NotDispensed), "1", "p1").0.code(), "R-0010");
        let expired = State { status: S::Expired, ..State::new() };
        assert_eq!(cancel(&expired, &waiting, "1", "p1").0.code(), "R-0005");
        let future = State { status: S::RepeatDispenseFutureInstance, ..State::new() };
        let one_item = [LineItem { id: "1".into(), status: L::ToBeDispensed }];
        assert_eq!(cancel(&future, &one_item, "1", "p1").1.unwrap().0.status, S::CancelledFutureInstance);
        assert_eq!(CancelCode::MarkedWithDispenser.http_status(), 400, "marked, but not cancelled (as EPS answers)");
        assert_eq!(CancelCode::MarkedWithDispenserActive.http_status(), 400);
        assert_eq!(expire(&State::new()).unwrap().status, S::Expired);
        assert_eq!(expire(&released()).map(|s| (s.status, s.dispenser)), Some((S::Expired, Some(PHARMACY.into()))));
        let active = dispense(&released(), PHARMACY, &[L::PartiallyDispensed], false).unwrap();
        assert_eq!(expire(&active), None, "dispensing has begun: the dispenser completes it");
        assert_eq!(expire(&expire(&State::new()).unwrap()), None);
        for code in [CancelCode::AlreadyCancelled, CancelCode::Dispensed, CancelCode::NotDispensed] {
            assert_eq!(code.http_status(), 400);
        }
    }

    #[test]
    fn a_claim_is_amendable_until_the_fifth_of_the_next_month() {
        use time::macros::date;
        assert!(claim_amendable(date!(2026 - 11 - 22), date!(2026 - 11 - 30)));
        assert!(claim_amendable(date!(2026 - 11 - 22), date!(2026 - 12 - 05)));
        assert!(!claim_amendable(date!(2026 - 11 - 22), date!(2026 - 12 - 06)));
        assert!(claim_amendable(date!(2026 - 12 - 31), date!(2027 - 01 - 05)), "across the year's end");
        assert!(!claim_amendable(date!(2026 - 12 - 01), date!(2027 - 01 - 06)));
    }

    #[test]
    fn a_pending_cancellation_ends_when_dispensing_completes() {
        let (marked, _) = cancel(&released(), &held(), "1", "p1").1.unwrap();
        let partial = dispense(&marked, PHARMACY, &[L::PartiallyDispensed], false).unwrap();
        assert_eq!(partial.marks.as_ref().map(|m| (m.prescriber.as_str(), m.items.len())), Some(("p1", 1)));
        let done = dispense(&partial, PHARMACY, &[L::FullyDispensed], false).unwrap();
        assert_eq!(done.marks, None);
    }

    #[test]
    fn final_states_refuse_everything_but_claim_amendment() {
        for status in [S::Expired, S::Cancelled, S::CancelledFutureInstance] {
            let s = State { status, dispenser: Some(PHARMACY.into()), ..State::new() };
            assert!(status.is_final());
            assert_eq!(code_of(release(&s, PHARMACY)), Some(INVALID_STATE_TRANSITION));
            assert_eq!(code_of(dispense(&s, PHARMACY, &[L::FullyDispensed], true)), Some(INVALID_STATE_TRANSITION));
            assert_eq!(code_of(claim(&s, PHARMACY, true)), Some(INVALID_STATE_TRANSITION));
        }
    }
}
