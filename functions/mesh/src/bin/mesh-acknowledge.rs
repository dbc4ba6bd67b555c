//! Lambda: MESH `mesh-acknowledge`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_mesh::lambda::run::<{ spine_mesh::api::MeshRoute::Acknowledge as u8 }>("mesh-acknowledge").await
}
