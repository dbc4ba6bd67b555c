//! What every CIS handler works with: the record store (accounts, clients, used assertion ids,
//! care episodes, patients), the Spine Directory (people and role profiles), the token names,
//! and the [`TokenMinter`] that signs.

use std::sync::Arc;

use spine_sds::repository::DirectoryRepository;
use spine_shared::ports::RecordStore;

use crate::config::TokenNames;
use crate::passcode::DEFAULT_ITERATIONS;
use crate::signing::TokenMinter;

#[derive(Clone)]
pub struct CisContext {
    pub store: Arc<dyn RecordStore>,
    pub directory: DirectoryRepository,
    /// Where clients reach the APIs, e.g. `https://api.service.nhs.uk`.
    pub origin: String,
    pub names: TokenNames,
    pub minter: Arc<dyn TokenMinter>,
    /// The iterations an unknown username's passcode is hashed with, to take as long as a known
    /// one's (stored hashes carry their own count).
    pub hash_iterations: u32,
}

impl CisContext {
    /// The context for an origin: issuer `{origin}/oauth2`, audience `{origin}`.
    pub fn new(store: Arc<dyn RecordStore>, origin: &str, minter: Arc<dyn TokenMinter>) -> Self {
        CisContext {
            directory: DirectoryRepository::new(store.clone()),
            store,
            origin: origin.trim_end_matches('/').to_owned(),
            names: TokenNames::for_origin(origin),
            minter,
            hash_iterations: DEFAULT_ITERATIONS,
        }
    }

    /// Other token names (`SPINE_TOKEN_ISSUER` / `SPINE_TOKEN_AUDIENCE` in AWS).
    pub fn with_names(mut self, names: TokenNames) -> Self {
        self.names = names;
        self
    }

    /// Another iteration count for unknown usernames (tests hash with few).
    pub fn with_hash_iterations(mut self, iterations: u32) -> Self {
        self.hash_iterations = iterations;
        self
    }
}
