//! Lambda: MESH `mesh-head-message`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_mesh::lambda::run::<{ spine_mesh::api::MeshRoute::HeadMessage as u8 }>("mesh-head-message").await
}
