//! Lambda: MESH `mesh-endpoint-lookup`. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_mesh::lambda::run::<{ spine_mesh::api::MeshRoute::EndpointLookup as u8 }>("mesh-endpoint-lookup").await
}
