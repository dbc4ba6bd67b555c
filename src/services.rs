//! The handler of every route in the route table, built once over one record store: what the
//! local Spine serves, from the same handlers the Lambda binaries run.

use std::collections::HashMap;
use std::sync::Arc;

use spine_shared::pipeline::Handler;
use spine_shared::ports::RecordStore;
use spine_shared::routes;

/// Handlers by function name. Fails naming the first route no service handles.
pub fn handlers(store: Arc<dyn RecordStore>, origin: &str) -> Result<HashMap<String, Box<dyn Handler>>, String> {
    let pds = spine_pds::PdsContext::new(store.clone(), origin);
    let sds = spine_sds::SdsContext::new(store, origin);
    let mut out: HashMap<String, Box<dyn Handler>> = HashMap::new();
    for route in routes::all() {
        let handler = match route.service.as_str() {
            "pds" => spine_pds::handler_for(&route.function, pds.clone()),
            "sds" => spine_sds::handler_for(&route.function, sds.clone()),
            _ => None,
        };
        let handler = handler.ok_or_else(|| format!("no handler for route function {}", route.function))?;
        out.insert(route.function.clone(), handler);
    }
    Ok(out)
}
