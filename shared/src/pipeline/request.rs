//! The request as every handler sees it, whichever way it arrived (API Gateway event, local
//! gateway, test), and the request and correlation ids the pipeline reads from it.

use bytes::Bytes;
use http::HeaderMap;

use super::response::ApiResponse;
use crate::error::{ErrorCode, SpineError};
use crate::identity::Identity;

#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    pub method: http::Method,
    pub path: String,
    /// Captured path parameters (`{id}` → value), decoded.
    pub path_params: Vec<(String, String)>,
    /// Every query parameter in order; a repeated parameter appears once per value.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Set by the pipeline once the ids are valid.
    pub ids: Option<RequestIds>,
    /// The verified caller, set by the pipeline before the handler runs (absent on public routes).
    pub identity: Option<Identity>,
    /// In a Lambda, what the API Gateway authorizer verified: the token's claims as JSON
    /// (`requestContext.authorizer.identity`). Trusted because only API Gateway invokes the function.
    pub authorizer_claims: Option<String>,
}

impl ApiRequest {
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The verified caller. Handlers of routes that need a token run only after the pipeline set it.
    pub fn caller(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// The validated `X-Request-ID`. Handlers run only after the pipeline set it.
    pub fn request_id(&self) -> &str {
        self.ids.as_ref().map(|i| i.request_id.as_str()).unwrap_or("")
    }

    /// Parses a query string (`a=1&b=2&a=3`) into ordered pairs, decoding `%XX` and `+`.
    pub fn parse_query(raw: &str) -> Vec<(String, String)> {
        raw.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode_component(k), decode_component(v))
            })
            .collect()
    }
}

fn decode_component(s: &str) -> String {
    crate::routes::percent_decode(&s.replace('+', " "))
}

/// The ids a request carries: `X-Request-ID` (a UUID) and `X-Correlation-ID` (optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIds {
    pub request_id: String,
    pub correlation_id: Option<String>,
}

/// What can still be echoed when the ids are not valid, or when a request is refused before the
/// pipeline (unknown route, wrong method, oversized body).
#[derive(Debug)]
pub struct Echo {
    request_id: Option<String>,
    correlation_id: Option<String>,
}

impl Echo {
    /// Whatever ids a request carries that are fit to echo, valid or not.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let echo = |n: &str| {
            headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| echoable(v)).map(str::to_owned)
        };
        Echo { request_id: echo("x-request-id"), correlation_id: echo("x-correlation-id") }
    }

    pub fn apply(&self, mut r: ApiResponse) -> ApiResponse {
        if let Some(id) = &self.request_id {
            r = r.with_header("x-request-id", id);
        }
        if let Some(id) = &self.correlation_id {
            r = r.with_header("x-correlation-id", id);
        }
        r
    }
}

/// A header value fit to echo: printable ASCII, at most 200 characters.
fn echoable(v: &str) -> bool {
    !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| (0x20..0x7f).contains(&b))
}

impl RequestIds {
    /// What of the correlation id may be logged: its leading UUID, if it starts with one (the NHS
    /// shape, `<uuid>` or `<uuid>.rrt-…`), else nothing — a client may put anything there, a
    /// patient's NHS number included. Echoes and the audit trail keep the whole id.
    pub fn loggable_correlation_id(&self) -> &str {
        match self.correlation_id.as_deref().and_then(|c| c.get(..36)) {
            Some(head) if uuid::Uuid::try_parse(head).is_ok() => head,
            _ => "",
        }
    }

    pub fn from_headers(headers: &HeaderMap) -> Result<Self, (SpineError, Echo)> {
        let header = |n: &str| headers.get(n).map(|v| v.to_str().map(str::trim));
        let correlation_id = match header("x-correlation-id") {
            None => None,
            Some(Ok(v)) if echoable(v) => Some(v.to_owned()),
            Some(_) => {
                let e = SpineError::new(
                    ErrorCode::InvalidValue,
                    "Invalid value - X-Correlation-ID must be printable ASCII of at most 200 characters",
                );
                return Err((e, Echo { request_id: None, correlation_id: None }));
            }
        };
        let echo_correlation = correlation_id.clone();
        match header("x-request-id") {
            None | Some(Ok("")) => Err((
                SpineError::new(
                    ErrorCode::MissingValue,
                    "Invalid request with error - X-Request-ID header must be supplied to access this resource",
                ),
                Echo { request_id: None, correlation_id: echo_correlation },
            )),
            Some(Ok(v)) if uuid::Uuid::try_parse(v).is_ok() && v.len() == 36 => {
                Ok(RequestIds { request_id: v.to_owned(), correlation_id })
            }
            Some(v) => {
                let echoed = v.ok().filter(|v| echoable(v)).map(str::to_owned);
                Err((
                    SpineError::new(ErrorCode::InvalidValue, "Invalid value - X-Request-ID must be a UUID"),
                    Echo { request_id: echoed, correlation_id: echo_correlation },
                ))
            }
        }
    }

    /// Echoes both ids on the response.
    pub fn apply(&self, r: ApiResponse) -> ApiResponse {
        Echo { request_id: Some(self.request_id.clone()), correlation_id: self.correlation_id.clone() }.apply(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_missing_request_id_is_missing_value() {
        let (e, _) = RequestIds::from_headers(&headers(&[])).unwrap_err();
        assert_eq!(e.code, ErrorCode::MissingValue);
    }

    #[test]
    fn a_non_uuid_request_id_is_invalid_value() {
        for bad in
            ["1234", "not-a-uuid", "60E0B220-8136-4CA5-AE46-1D97EF59D06", "{60e0b220-8136-4ca5-ae46-1d97ef59d068}"]
        {
            let (e, _) = RequestIds::from_headers(&headers(&[("x-request-id", bad)])).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidValue, "{bad}");
        }
    }

    #[test]
    fn valid_ids_are_kept_for_echo() {
        let ids = RequestIds::from_headers(&headers(&[
            ("x-request-id", "60E0B220-8136-4CA5-AE46-1D97EF59D068"),
            ("x-correlation-id", "11C46F5F-CDEF-4865-94B2-0EE0EDCC26DA.rrt-1.1"),
        ]))
        .unwrap();
        assert_eq!(ids.request_id, "60E0B220-8136-4CA5-AE46-1D97EF59D068");
        assert_eq!(ids.correlation_id.as_deref(), Some("11C46F5F-CDEF-4865-94B2-0EE0EDCC26DA.rrt-1.1"));
        assert_eq!(ids.loggable_correlation_id(), "11C46F5F-CDEF-4865-94B2-0EE0EDCC26DA");
    }

    #[test]
    fn only_a_correlation_ids_leading_uuid_is_logged() {
        let with = |c: &str| RequestIds {
            request_id: "60E0B220-8136-4CA5-AE46-1D97EF59D068".into(),
            correlation_id: Some(c.into()),
        };
        assert_eq!(
            with("11c46f5f-cdef-4865-94b2-0ee0edcc26da").loggable_correlation_id(),
            "11c46f5f-cdef-4865-94b2-0ee0edcc26da"
        );
        for unsafe_id in ["patient 9000000009", "9000000009-cdef-4865-94b2-0ee0edcc26da", "short"] {
            assert_eq!(with(unsafe_id).loggable_correlation_id(), "", "{unsafe_id}");
        }
        let none = RequestIds { correlation_id: None, ..with("x") };
        assert_eq!(none.loggable_correlation_id(), "");
    }

    #[test]
    fn query_strings_keep_order_and_repeats() {
        let q = ApiRequest::parse_query("family=Sm%2A&birthdate=ge2010-01-01&birthdate=le2011-01-01&given=Jo+Ann&flag");
        assert_eq!(q[0], ("family".into(), "Sm*".into()));
        assert_eq!(q[2], ("birthdate".into(), "le2011-01-01".into()));
        assert_eq!(q[3], ("given".into(), "Jo Ann".into()));
        assert_eq!(q[4], ("flag".into(), "".into()));
    }
}
