//! The API Gateway REST **REQUEST** authorizer: reads `Authorization: Bearer <token>`, verifies
//! the token (ES256, our issuer and audience, current) with the very `TokenVerifier` the local
//! gateway runs, and answers with an Allow policy for every method and path of the API's stage
//! (API Gateway caches the answer per token for 300 s across routes; each function's pipeline
//! then checks the route's access modes and activity), `principalId` the token subject, and
//! context `{"identity": "<the verified claims as a JSON string>"}`, which the functions read
//! from `requestContext.authorizer.identity`. Anything else is a [`Denial`]: the Lambda glue
//! answers `Err("Unauthorized")`, which API Gateway turns into a 401, and the denial (with its
//! reason, never the token) is the hook for auditing refusals.

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
};
use lambda_http::aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use serde_json::json;
use spine_shared::identity::{Denial, TokenVerifier};
use spine_shared::pipeline::{ApiRequest, access::bearer_token};
use time::OffsetDateTime;

/// The decision for one authorizer event.
pub fn authorize(
    event: &ApiGatewayCustomAuthorizerRequestTypeRequest,
    verifier: &TokenVerifier,
    now: OffsetDateTime,
) -> Result<ApiGatewayCustomAuthorizerResponse, Denial> {
    let request = ApiRequest { headers: event.headers.clone(), ..Default::default() };
    let token = bearer_token(&request)?;
    let claims = verifier.verify_claims(token, now)?;
    let resource = stage_wildcard(event.method_arn.as_deref().unwrap_or(""))
        .ok_or_else(|| Denial::unauthenticated("authorizer event has no usable methodArn"))?;
    let identity = serde_json::to_string(&claims)
        .map_err(|_| Denial::unauthenticated("verified claims could not be serialised"))?;

    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = IamPolicyEffect::Allow;
    statement.resource = vec![resource];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(claims.sub.clone());
    response.policy_document = policy;
    response.context = json!({ "identity": identity });
    Ok(response)
}

/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/*/*` from a method ARN
/// (`…:<api>/<stage>/<METHOD>/<path>`): the one policy fits every route of the stage.
pub fn stage_wildcard(method_arn: &str) -> Option<String> {
    let mut parts = method_arn.splitn(3, '/');
    let (api, stage) = (parts.next()?, parts.next()?);
    let fields: Vec<&str> = api.split(':').collect();
    let well_formed = fields.len() == 6
        && fields[0] == "arn"
        && fields[2] == "execute-api"
        && fields[1..].iter().all(|f| !f.is_empty())
        && !stage.is_empty()
        && !stage.contains('*');
    well_formed.then(|| format!("{api}/{stage}/*/*"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_covers_the_whole_stage() {
        let arn = "arn:aws:execute-api:eu-west-2:123456789012:abc123/prod/GET/personal-demographics/FHIR/R4/Patient/9";
        assert_eq!(stage_wildcard(arn).unwrap(), "arn:aws:execute-api:eu-west-2:123456789012:abc123/prod/*/*");
        for bad in ["", "arn:aws:execute-api:eu-west-2:123456789012:abc123", "arn:aws:s3:::bucket/prod/GET/x", "x/y/z"]
        {
            assert!(stage_wildcard(bad).is_none(), "{bad}");
        }
    }
}
