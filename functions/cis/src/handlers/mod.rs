//! The CIS interactions, one handler each, over a shared [`CisContext`]. `handler_for` maps a
//! function (binary) name of the route table to its handler, for the Lambda binaries and the
//! local gateway. (`cis-authorizer` is not a route: see [`crate::authorizer`].)

mod create_episode;
mod jwks;
mod token;

use spine_shared::pipeline::Handler;

pub use create_episode::CreateEpisode;
pub use jwks::GetJwks;
pub use token::Token;

use crate::context::CisContext;

/// The handler of a CIS function, by its name in the route table.
pub fn handler_for(function: &str, ctx: CisContext) -> Option<Box<dyn Handler>> {
    Some(match function {
        "cis-token" => Box::new(Token(ctx)),
        "cis-jwks" => Box::new(GetJwks(ctx)),
        "cis-create-episode" => Box::new(CreateEpisode(ctx)),
        _ => return None,
    })
}
