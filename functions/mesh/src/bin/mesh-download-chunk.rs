//! Lambda: MESH `mesh-download-chunk`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_mesh::lambda::run::<{ spine_mesh::api::MeshRoute::DownloadChunk as u8 }>("mesh-download-chunk").await
}
