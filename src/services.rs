//! The handler of every route in the route table, built once over the local Spine's stores: what
//! the local Spine serves, from the same handlers the Lambda binaries run.

use std::collections::HashMap;
use std::sync::Arc;

use spine_cis::config::TokenNames;
use spine_cis::signing::TokenMinter;
use spine_shared::pipeline::Handler;
use spine_shared::ports::RecordStore;
use spine_shared::routes;

/// What the handlers work over: the Spine's record store, the audit store (the audit table in
/// AWS), the key tokens are signed with and the issuer and audience they name, and MESH's context.
#[derive(Clone)]
pub struct Stores {
    pub records: Arc<dyn RecordStore>,
    pub audit: Arc<dyn RecordStore>,
    pub minter: Arc<dyn TokenMinter>,
    pub token_names: TokenNames,
    /// MESH: its store (records and chunk blobs), the directory, the shared key and its events.
    pub mesh: spine_mesh::MeshContext,
}

/// Handlers by function name. Fails naming the first route no service handles.
pub fn handlers(stores: &Stores, origin: &str) -> Result<HashMap<String, Box<dyn Handler>>, String> {
    let pds = spine_pds::PdsContext::new(stores.records.clone(), origin);
    let sds = spine_sds::SdsContext::new(stores.records.clone(), origin);
    let audit = spine_audit::AuditContext::new(stores.audit.clone(), origin);
    let cis = spine_cis::CisContext::new(stores.records.clone(), origin, stores.minter.clone())
        .with_names(stores.token_names.clone());
    let eps = spine_eps::EpsContext::new(stores.records.clone(), origin);
    let mut out: HashMap<String, Box<dyn Handler>> = HashMap::new();
    for route in routes::all() {
        let handler = match route.service.as_str() {
            "pds" => spine_pds::handler_for(&route.function, pds.clone()),
            "sds" => spine_sds::handler_for(&route.function, sds.clone()),
            "cis" => spine_cis::handler_for(&route.function, cis.clone()),
            "audit" => spine_audit::handler_for(&route.function, audit.clone()),
            "mesh" => spine_mesh::handler_for(&route.function, stores.mesh.clone()),
            "eps" => spine_eps::handler_for(&route.function, eps.clone()),
            _ => None,
        };
        let handler = handler.ok_or_else(|| format!("no handler for route function {}", route.function))?;
        out.insert(route.function.clone(), handler);
    }
    Ok(out)
}
