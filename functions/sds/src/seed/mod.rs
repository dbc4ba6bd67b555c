//! Seeding a store with the directory: `seed` loads the whole synthetic directory (thousands of
//! organisations consistent with the PDS population) once, guarded by a marker item;
//! `seed_reference` loads only the reference set the sample events and tests rely on.

pub mod directory;
pub mod organisations;
pub mod reference;
pub mod signing_keys;
pub mod staff;
pub mod systems;

use std::sync::Arc;

pub use directory::Directory;
use spine_shared::SpineResult;
use spine_shared::ports::{Condition, Item, RecordStore};

use crate::repository::DirectoryRepository;

const MARKER_PK: &str = "SEED#directory";
const MARKER_SK: &str = "MARKER";
/// The generator's version: a store seeded by an older generator is seeded again (every item is
/// put unconditionally, so entries are replaced, never duplicated). 2: the reference privacy
/// officer (R0001). 3: MESH workflow items indexed for workflow search (gsi2). 4: prescribers'
/// signing keys (EPS).
pub const GENERATOR_VERSION: u32 = 4;

/// What a seed wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub organisations: usize,
    pub items: usize,
}

/// Whether the store already holds this generator's directory.
pub async fn seeded(store: &dyn RecordStore) -> SpineResult<bool> {
    Ok(match store.get(MARKER_PK, MARKER_SK).await? {
        Some(item) => serde_json::from_slice::<u32>(&item.data).ok() == Some(GENERATOR_VERSION),
        None => false,
    })
}

/// Seeds the whole directory unless the marker says it is there; `None` when nothing was done.
/// The marker is written last and durably, so an interrupted seed runs again in full.
pub async fn seed(store: Arc<dyn RecordStore>) -> SpineResult<Option<Seeded>> {
    if seeded(store.as_ref()).await? {
        return Ok(None);
    }
    let directory = Directory::generate();
    let items = directory.items();
    let seeded = Seeded { organisations: directory.organisations.len(), items: items.len() };
    DirectoryRepository::new(store.clone()).load(items).await?;
    let marker = Item::new(MARKER_PK, MARKER_SK, serde_json::to_vec(&GENERATOR_VERSION).unwrap_or_default());
    store.put(marker, Condition::None).await?;
    Ok(Some(seeded))
}

/// Seeds the reference organisations and what belongs to them (idempotent: plain puts).
pub async fn seed_reference(store: Arc<dyn RecordStore>) -> SpineResult<()> {
    DirectoryRepository::new(store).load(Directory::reference().items()).await
}
