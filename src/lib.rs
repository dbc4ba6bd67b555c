//! The local Spine as a library: the gateway that serves the route table and the handler
//! registry, so the binary and the end-to-end tests start the very same server.

pub mod eps_cli;
pub mod gateway;
pub mod local_audit;
pub mod local_eps;
pub mod local_identity;
pub mod local_mesh;
pub mod services;

use std::sync::Arc;

use spine_shared::pipeline::Access;

pub use services::Stores;

/// Binds `addr` and serves every route over `stores` in the background, protected and audited by
/// `access`; returns the origin URL (`http://127.0.0.1:PORT`). For tests and embedding.
pub async fn start(stores: Stores, access: Access, addr: &str) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| e.to_string())?;
    let origin = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let gateway = Arc::new(gateway::Gateway::new(services::handlers(&stores, &origin)?, access));
    tokio::spawn(gateway::serve(listener, gateway));
    Ok(origin)
}
