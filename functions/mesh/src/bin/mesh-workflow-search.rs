//! Lambda: MESH `mesh-workflow-search`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_mesh::lambda::run::<{ spine_mesh::api::MeshRoute::WorkflowSearch as u8 }>("mesh-workflow-search").await
}
