//! Seeding a store: the reference patients and a deterministic synthetic population of any size,
//! loaded in large batches. A marker item records how far a store was seeded, so a restart with
//! the same (or a smaller) size does nothing and a larger size only adds the missing patients.

pub mod data;
pub mod population;
pub mod reference;
pub mod sample;

use spine_shared::SpineResult;
use spine_shared::ports::{Condition, Item};

use crate::repository::PatientRepository;

const MARKER_PK: &str = "SEED#population";
const MARKER_SK: &str = "MARKER";
/// Records loaded per batch (one embedded transaction each).
const BATCH: u64 = 20_000;

/// How many population records the store already holds.
pub async fn seeded(repo: &PatientRepository) -> SpineResult<u64> {
    Ok(match repo.store().get(MARKER_PK, MARKER_SK).await? {
        Some(item) => serde_json::from_slice(&item.data).unwrap_or(0),
        None => 0,
    })
}

/// Seeds the reference patients (once) and the population up to `patients` records, calling
/// `progress` with the count so far. Returns how many population records were added.
pub async fn seed(repo: &PatientRepository, patients: u64, mut progress: impl FnMut(u64)) -> SpineResult<u64> {
    let done = seeded(repo).await?;
    if done == 0 && repo.store().get(MARKER_PK, "REFERENCE").await?.is_none() {
        repo.load(&reference::records()).await?;
        repo.store().put(Item::new(MARKER_PK, "REFERENCE", b"true".to_vec()), Condition::None).await?;
    }
    let mut at = done;
    while at < patients {
        let to = (at + BATCH).min(patients);
        let batch = generate(at, to);
        repo.load(&batch).await?;
        at = to;
        repo.store()
            .put(Item::new(MARKER_PK, MARKER_SK, serde_json::to_vec(&at).unwrap_or_default()), Condition::None)
            .await?;
        progress(at);
    }
    Ok(at.saturating_sub(done))
}

/// Generates records `from..to` on every core.
fn generate(from: u64, to: u64) -> Vec<(spine_shared::NhsNumber, crate::model::PatientRecord, u64)> {
    let threads = std::thread::available_parallelism().map(|n| n.get() as u64).unwrap_or(1).max(1);
    let per = (to - from).div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let a = (from + t * per).min(to);
                let b = (a + per).min(to);
                s.spawn(move || population::range(a, b))
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}
