//! Care Identity Service: who may call the Spine. The OAuth2 token endpoint (a healthcare
//! worker in one of their role profiles, a patient with NHS login, or an application with a
//! signed JWT client assertion), the JWKS that verifies its ES256 tokens, care episodes (the
//! legitimate relationships access checks look for), and the API Gateway REQUEST authorizer that
//! verifies tokens in front of every other route. Tokens are signed by a [`signing::TokenMinter`]:
//! a KMS key in AWS, a PEM key file locally ([`local`]).

pub mod accounts;
pub mod assertion;
#[cfg(feature = "lambda")]
pub mod authorizer;
pub mod clients;
pub mod config;
pub mod context;
pub mod episodes;
pub mod form;
pub mod grants;
pub mod handlers;
pub mod identities;
pub mod jws;
pub mod keys;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod local;
pub mod oauth;
pub mod passcode;
pub mod seed;
pub mod signing;

pub use context::CisContext;
pub use handlers::handler_for;
