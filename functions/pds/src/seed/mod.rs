//! Seeding a store: the reference patients and a deterministic synthetic population of any size,
//! loaded in large batches. A marker item records how far a store was seeded, so a restart with
//! the same (or a smaller) size does nothing and a larger size only adds the missing patients.

pub mod data;
pub mod population;
pub mod reference;
pub mod sample;

use std::sync::Arc;

use spine_shared::SpineResult;
use spine_shared::ports::{Condition, Item, RecordStore};

use crate::repository::PatientRepository;

const MARKER_PK: &str = "SEED#population";
const MARKER_SK: &str = "MARKER";
/// Records loaded per batch (one embedded transaction each).
const BATCH: u64 = 20_000;

/// Seeds only the reference patients (idempotent: plain puts), as tests and sample events need.
pub async fn seed_reference(store: Arc<dyn RecordStore>) -> SpineResult<()> {
    PatientRepository::new(store).load(&reference::records()).await
}

/// How many population records the store already holds.
pub async fn seeded(repo: &PatientRepository) -> SpineResult<u64> {
    Ok(match repo.store().get(MARKER_PK, MARKER_SK).await? {
        Some(item) => serde_json::from_slice(&item.data).unwrap_or(0),
        None => 0,
    })
}

/// Seeds the reference patients (once) and the population up to `patients` records, calling
/// `progress` with the count so far. Returns how many population records were added. Generation
/// (on its own threads) overlaps with loading: while one batch is written, the next is built.
pub async fn seed(repo: &PatientRepository, patients: u64, mut progress: impl FnMut(u64)) -> SpineResult<u64> {
    let done = seeded(repo).await?;
    if done == 0 && repo.store().get(MARKER_PK, "REFERENCE").await?.is_none() {
        repo.load(&reference::records()).await?;
        repo.store().put(Item::new(MARKER_PK, "REFERENCE", b"true".to_vec()), Condition::None).await?;
    }
    if done >= patients {
        return Ok(0);
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, Vec<Item>)>(2);
    let generator = std::thread::spawn(move || {
        let mut at = done;
        while at < patients {
            let to = (at + BATCH).min(patients);
            let mut items = generate_items(at, to);
            // The marker lands in the same batch as the records it counts.
            items.push(Item::new(MARKER_PK, MARKER_SK, serde_json::to_vec(&to).unwrap_or_default()));
            if tx.blocking_send((to, items)).is_err() {
                return;
            }
            at = to;
        }
    });
    let mut at = done;
    while let Some((to, items)) = rx.recv().await {
        repo.store().batch_put(items).await?;
        at = to;
        progress(at);
    }
    generator.join().map_err(|_| spine_shared::SpineError::internal("the seed generator failed"))?;
    // One durable write makes every batch before it durable too.
    repo.store()
        .put(Item::new(MARKER_PK, MARKER_SK, serde_json::to_vec(&at).unwrap_or_default()), Condition::None)
        .await?;
    Ok(at.saturating_sub(done))
}

/// Generates the items of records `from..to` on every core.
fn generate_items(from: u64, to: u64) -> Vec<Item> {
    let threads = std::thread::available_parallelism().map(|n| n.get() as u64).unwrap_or(1).max(1);
    let per = (to - from).div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let a = (from + t * per).min(to);
                let b = (a + per).min(to);
                s.spawn(move || {
                    population::range(a, b).into_iter().flat_map(|(n, r, v)| r.items(n, v)).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}
