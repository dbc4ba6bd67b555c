//! Sample requests over the synthetic population for load generators: paths that exist in a
//! store seeded with a given number of patients, chosen evenly across it.

use crate::model::RecordStatus;
use crate::seed::population;

const BASE: &str = "/personal-demographics/FHIR/R4";

/// `count` request paths of `kind` (`read` or `search`) over a population of `patients`.
pub fn paths(patients: u64, count: u64, kind: &str) -> Result<Vec<String>, String> {
    if patients == 0 {
        return Err("the population is empty".into());
    }
    if kind != "read" && kind != "search" {
        return Err(format!("unknown kind {kind}: read or search"));
    }
    let step = (patients / count.max(1)).max(1);
    let mut out = Vec::with_capacity(count as usize);
    let mut numbers = population::nhs_numbers().peekable();
    for i in 0..patients {
        let Some(nhs) = numbers.next() else { break };
        if i % step != 0 || out.len() as u64 >= count {
            continue;
        }
        let next = numbers.peek().copied().unwrap_or(nhs);
        let (record, _) = population::record(i, nhs, next);
        if record.status != RecordStatus::Active {
            continue;
        }
        if kind == "read" {
            out.push(format!("{BASE}/Patient/{nhs}"));
        } else if let (Some(name), Some(dob)) = (record.usual_name(), record.patient.birth_date.as_deref()) {
            let family = name.family.as_deref().unwrap_or_default();
            let given = name.given.first().map(String::as_str).unwrap_or_default();
            out.push(format!("{BASE}/Patient?family={}&given={}&birthdate=eq{dob}", encode(family), encode(given)));
        }
    }
    Ok(out)
}

/// A random version 4 UUID for an `X-Request-ID`.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
