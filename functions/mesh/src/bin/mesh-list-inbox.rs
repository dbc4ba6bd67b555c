//! Lambda: MESH `mesh-list-inbox`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_mesh::lambda::run::<{ spine_mesh::api::MeshRoute::ListInbox as u8 }>("mesh-list-inbox").await
}
