//! Lambda: CIS `GET /oauth2/jwks`, the keys that verify access tokens. Wiring only; the handler lives in the library.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    spine_cis::lambda::run("cis-jwks", spine_cis::handlers::GetJwks).await
}
