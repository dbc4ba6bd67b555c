//! Lambda: MESH `mesh-ping`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_mesh::lambda::run::<{ spine_mesh::api::MeshRoute::Ping as u8 }>("mesh-ping").await
}
