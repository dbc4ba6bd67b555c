//! The directory repository: typed reads of organisations, people and role profiles, accredited
//! systems, MHS records and MESH mailboxes over the record store port, each one `Query` or
//! `GetItem` (plus a `BatchGetItem` of the records an index query named), and the bulk load the
//! seed uses.

mod mesh;
mod organisations;
mod people;
mod systems;

use std::sync::Arc;

use spine_shared::SpineResult;
use spine_shared::ports::{Item, Query, RecordStore};

pub use organisations::{OrgPage, OrgSearch};
pub use systems::{DeviceQuery, EndpointQuery};

/// More pages than any directory partition holds: a query that goes on longer is a fault.
const MAX_PAGES: usize = 1_000;
/// Items per bulk-load call.
const LOAD_CHUNK: usize = 5_000;

#[derive(Clone)]
pub struct DirectoryRepository {
    store: Arc<dyn RecordStore>,
}

impl DirectoryRepository {
    pub fn new(store: Arc<dyn RecordStore>) -> Self {
        DirectoryRepository { store }
    }

    pub fn store(&self) -> &dyn RecordStore {
        self.store.as_ref()
    }

    /// Every item of a key range, page after page.
    async fn query_all(&self, query: Query) -> SpineResult<Vec<Item>> {
        let mut out = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.store.query(query.clone().after(cursor)).await?;
            out.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(out),
            }
        }
        Err(spine_shared::SpineError::internal("a directory query returned too many pages"))
    }

    /// The items with these keys (absent ones left out, order not kept).
    async fn fetch(&self, keys: Vec<(String, String)>) -> SpineResult<Vec<Item>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.store.batch_get(keys).await?)
    }

    /// Bulk-loads items (seeding), unconditionally.
    pub async fn load(&self, items: Vec<Item>) -> SpineResult<()> {
        let mut items = items;
        while !items.is_empty() {
            let rest = items.split_off(items.len().min(LOAD_CHUNK));
            self.store.batch_put(items).await?;
            items = rest;
        }
        Ok(())
    }
}
