//! The statuses EPS tracks: a prescription's (0001–0009, and the 9000-range of future instances
//! of a repeat) and each line item's (0001–0008), with the codes and displays of EPS's tracker.

/// A status table: each status with its code and display.
type Table<T> = [(T, &'static str, &'static str)];

fn entry<T: PartialEq>(table: &'static Table<T>, status: T) -> &'static (T, &'static str, &'static str) {
    table.iter().find(|e| e.0 == status).expect("every status has a code")
}

fn by_code<T: Copy>(table: &'static Table<T>, code: &str) -> Option<T> {
    table.iter().find(|e| e.1 == code).map(|e| e.0)
}

/// A prescription's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrescriptionStatus {
    ToBeDispensed,
    WithDispenser,
    WithDispenserActive,
    Expired,
    Cancelled,
    Dispensed,
    NotDispensed,
    Claimed,
    NoClaimed,
    RepeatDispenseFutureInstance,
    PrescriptionFutureInstance,
    CancelledFutureInstance,
}

const PRESCRIPTION_STATUSES: [(PrescriptionStatus, &str, &str); 12] = [
    (PrescriptionStatus::ToBeDispensed, "0001", "To Be Dispensed"),
    (PrescriptionStatus::WithDispenser, "0002", "With Dispenser"),
    (PrescriptionStatus::WithDispenserActive, "0003", "With Dispenser - Active"),
    (PrescriptionStatus::Expired, "0004", "Expired"),
    (PrescriptionStatus::Cancelled, "0005", "Cancelled"),
    (PrescriptionStatus::Dispensed, "0006", "Dispensed"),
    (PrescriptionStatus::NotDispensed, "0007", "Not Dispensed"),
    (PrescriptionStatus::Claimed, "0008", "Claimed"),
    (PrescriptionStatus::NoClaimed, "0009", "No-Claimed"),
    (PrescriptionStatus::RepeatDispenseFutureInstance, "9000", "Repeat Dispense future instance"),
    (PrescriptionStatus::PrescriptionFutureInstance, "9001", "Prescription future instance"),
    (PrescriptionStatus::CancelledFutureInstance, "9005", "Cancelled future instance"),
];

impl PrescriptionStatus {
    pub fn code(self) -> &'static str {
        entry(&PRESCRIPTION_STATUSES, self).1
    }

    pub fn display(self) -> &'static str {
        entry(&PRESCRIPTION_STATUSES, self).2
    }

    pub fn from_code(code: &str) -> Option<Self> {
        by_code(&PRESCRIPTION_STATUSES, code)
    }

    /// With a dispenser: released and not yet returned, withdrawn to the Spine, or finished.
    pub fn is_with_dispenser(self) -> bool {
        matches!(self, PrescriptionStatus::WithDispenser | PrescriptionStatus::WithDispenserActive)
    }

    /// No operation moves the prescription on from here (a claim can still be amended).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PrescriptionStatus::Expired
                | PrescriptionStatus::Cancelled
                | PrescriptionStatus::Claimed
                | PrescriptionStatus::NoClaimed
                | PrescriptionStatus::CancelledFutureInstance
        )
    }
}

/// A line item's (one MedicationRequest's) status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineItemStatus {
    FullyDispensed,
    NotDispensed,
    PartiallyDispensed,
    NotDispensedOwing,
    Cancelled,
    Expired,
    ToBeDispensed,
    WithDispenser,
}

const LINE_ITEM_STATUSES: [(LineItemStatus, &str, &str); 8] = [
    (LineItemStatus::FullyDispensed, "0001", "Item fully dispensed"),
    (LineItemStatus::NotDispensed, "0002", "Item not dispensed"),
    (LineItemStatus::PartiallyDispensed, "0003", "Item dispensed - partial"),
    (LineItemStatus::NotDispensedOwing, "0004", "Item not dispensed owing"),
    (LineItemStatus::Cancelled, "0005", "Item Cancelled"),
    (LineItemStatus::Expired, "0006", "Expired"),
    (LineItemStatus::ToBeDispensed, "0007", "Item to be dispensed"),
    (LineItemStatus::WithDispenser, "0008", "Item with dispenser"),
];

impl LineItemStatus {
    pub fn code(self) -> &'static str {
        entry(&LINE_ITEM_STATUSES, self).1
    }

    pub fn display(self) -> &'static str {
        entry(&LINE_ITEM_STATUSES, self).2
    }

    pub fn from_code(code: &str) -> Option<Self> {
        by_code(&LINE_ITEM_STATUSES, code)
    }

    /// A status a dispense notification may report for an item.
    pub fn is_dispense_outcome(self) -> bool {
        matches!(
            self,
            LineItemStatus::FullyDispensed
                | LineItemStatus::NotDispensed
                | LineItemStatus::PartiallyDispensed
                | LineItemStatus::NotDispensedOwing
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for (s, code, display) in PRESCRIPTION_STATUSES {
            assert_eq!(PrescriptionStatus::from_code(code), Some(s));
            assert_eq!((s.code(), s.display()), (code, display));
        }
        for (s, code, display) in LINE_ITEM_STATUSES {
            assert_eq!(LineItemStatus::from_code(code), Some(s));
            assert_eq!((s.code(), s.display()), (code, display));
        }
        let codes: std::collections::BTreeSet<_> = PRESCRIPTION_STATUSES.iter().map(|e| e.1).collect();
        assert_eq!(codes.len(), PRESCRIPTION_STATUSES.len());
        assert_eq!(PrescriptionStatus::from_code("0010"), None);
        assert_eq!(LineItemStatus::from_code("0009"), None);
        assert_eq!(PrescriptionStatus::WithDispenserActive.display(), "With Dispenser - Active");
    }
}
