//! `GET /oauth2/jwks`: the public keys that verify the Spine's access tokens (RFC 7517 JWK Set),
//! cacheable for five minutes.

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};

use crate::context::CisContext;

pub struct GetJwks(pub CisContext);

#[async_trait]
impl Handler for GetJwks {
    async fn handle(&self, _request: &ApiRequest) -> SpineResult<ApiResponse> {
        Ok(ApiResponse::fhir_json(200, &self.0.minter.jwks())
            .with_header("content-type", "application/json")
            .with_header("cache-control", "public, max-age=300"))
    }
}
