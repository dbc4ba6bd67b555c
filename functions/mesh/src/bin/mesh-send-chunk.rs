//! Lambda: MESH `mesh-send-chunk`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_mesh::lambda::run::<{ spine_mesh::api::MeshRoute::SendChunk as u8 }>("mesh-send-chunk").await
}
