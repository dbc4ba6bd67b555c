//! `spine eps <message>`: prints an EPS message as a prescribing or dispensing system would send
//! it, for trying the local Spine with curl (README, EPS). Orders are signed with the synthetic
//! key of the reference prescriber's role profile (555021935107, Dr Amelia Hart at Y12345), which
//! the directory registers: what a prescriber's smartcard does, for synthetic prescribers only.

use clap::ValueEnum;
use serde_json::Value;
use spine_eps::reference::{PRESCRIBER_ODS, PRESCRIBER_ROLE};
use spine_eps::{PrescriptionId, client};

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    /// A signed prescription-order Bundle ($process-message).
    Order,
    /// The same order unsigned ($prepare).
    UnsignedOrder,
    /// A prescription-order-update cancelling the prescription's line item --item.
    Cancel,
    /// A Task/$release Parameters (nominated without --id; patient release with it).
    Release,
    /// A dispense-notification, every item fully dispensed (0001).
    Dispense,
    /// A Task returning the prescription to the Spine.
    Return,
    /// A Task withdrawing dispense notification --notification.
    Withdraw,
    /// A Claim.
    Claim,
}

/// The message of `kind`: for prescription `id` (a new id when absent, for orders), patient
/// `patient`, pharmacy `pharmacy`; `notification`: the notification a dispense amends or a
/// withdrawal withdraws, and the id of a new one; `replaces`: the claim a claim amends; `item`: the
/// line item (1 or 2) a cancellation names.
pub fn message(
    kind: Kind,
    id: Option<&str>,
    patient: &str,
    pharmacy: &str,
    notification: Option<&str>,
    replaces: Option<&str>,
    item: usize,
) -> Result<Value, String> {
    let id = match id {
        Some(id) => PrescriptionId::parse(id).map_err(|e| e.to_string())?.to_string(),
        None if matches!(kind, Kind::Order | Kind::UnsignedOrder) => {
            PrescriptionId::random(PRESCRIBER_ODS).map_err(|e| e.to_string())?.to_string()
        }
        None if matches!(kind, Kind::Release) => String::new(),
        None => return Err("--id names the prescription".into()),
    };
    let items = client::line_items(&id);
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let order = || client::order(&id, patient, PRESCRIBER_ROLE, PRESCRIBER_ODS, &[&items[0], &items[1]], &now);
    Ok(match kind {
        Kind::UnsignedOrder => order(),
        Kind::Order => {
            let key = spine_sds::seed::signing_keys::synthetic_signing_key(PRESCRIBER_ROLE);
            client::signed(order(), &key, &now).map_err(|e| e.to_string())?
        }
        Kind::Cancel => {
            let item = items.get(item.wrapping_sub(1)).ok_or("--item is 1 or 2")?;
            client::cancel(&id, patient, item)
        }
        Kind::Release => client::release(pharmacy, (!id.is_empty()).then_some(id.as_str())),
        Kind::Dispense => {
            let new = client::uuid(&now, "notification");
            client::dispense(&new, &id, patient, pharmacy, &[(&items[0], "0001"), (&items[1], "0001")], notification)
        }
        Kind::Return => client::return_task(&id, patient, pharmacy),
        Kind::Withdraw => {
            let n = notification.ok_or("--notification names the dispense notification to withdraw")?;
            client::withdraw_task(&id, patient, pharmacy, n)
        }
        Kind::Claim => client::claim(&client::uuid(&now, "claim"), &id, patient, pharmacy, replaces),
    })
}
