//! The one route table (`shared/routes.json`): method, path template, function (binary) name,
//! the activity a caller needs and the access modes allowed. The local gateway routes from it, the
//! Lambda glue finds its route in it, and the CDK stack reads the same file.

use std::sync::OnceLock;

use serde::Deserialize;

const ROUTES_JSON: &str = include_str!("../routes.json");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    pub function: String,
    pub service: String,
    pub method: String,
    pub path: String,
    pub activity: String,
    pub access: Vec<String>,
    /// Every call is audited with the patients it touched.
    pub patient_data: bool,
    /// A healthcare worker needs a legitimate relationship with the patient (or claims one).
    #[serde(default)]
    pub relationship: bool,
    pub writes: bool,
    /// The route's own request-body limit in bytes (MESH chunks); the pipeline's default otherwise.
    #[serde(default)]
    pub max_body: Option<usize>,
}

#[derive(Deserialize)]
struct RouteFile {
    routes: Vec<Route>,
}

/// The path parameters a template captured, by name.
pub type PathParams = Vec<(String, String)>;

/// Every route, parsed once from the embedded table.
pub fn all() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| serde_json::from_str::<RouteFile>(ROUTES_JSON).map(|f| f.routes).unwrap_or_default())
}

/// The route served by the function (binary) with this name.
pub fn by_function(function: &str) -> Option<&'static Route> {
    all().iter().find(|r| r.function == function)
}

/// What the table says about a method and path.
#[derive(Debug)]
pub enum RouteMatch {
    Found(&'static Route, PathParams),
    /// The path exists, but not with this method; the methods it has.
    MethodNotAllowed(Vec<&'static str>),
    NotFound,
}

/// Finds the route for a request path exactly as the local gateway receives it.
pub fn find(method: &str, path: &str) -> RouteMatch {
    let mut allowed = Vec::new();
    for route in all() {
        if let Some(params) = route.match_path(path) {
            if route.method.eq_ignore_ascii_case(method) {
                return RouteMatch::Found(route, params);
            }
            allowed.push(route.method.as_str());
        }
    }
    if allowed.is_empty() { RouteMatch::NotFound } else { RouteMatch::MethodNotAllowed(allowed) }
}

/// The activity of a public route (the token endpoint, the JWKS): no token is needed.
pub const PUBLIC: &str = "none";

/// The activity of a MESH route: no bearer token; the MESH function checks the `NHSMESH`
/// Authorization token against the mailbox itself and answers in MESH's own error format.
pub const NHSMESH: &str = "nhsmesh";

impl Route {
    /// Whether the route takes no token.
    pub fn is_public(&self) -> bool {
        self.activity == PUBLIC
    }

    /// Whether the route is MESH's: its own authentication, errors and body limit.
    pub fn is_mesh(&self) -> bool {
        self.activity == NHSMESH
    }

    /// The largest request body the route takes.
    pub fn body_limit(&self) -> usize {
        self.max_body.unwrap_or(crate::pipeline::MAX_BODY_BYTES)
    }

    /// Matches the whole path against the template, capturing `{name}` segments.
    pub fn match_path(&self, path: &str) -> Option<PathParams> {
        let mut params = Vec::new();
        let mut template = self.path.trim_matches('/').split('/');
        let mut actual = path.trim_end_matches('/').trim_start_matches('/').split('/');
        loop {
            match (template.next(), actual.next()) {
                (None, None) => return Some(params),
                (Some(t), Some(a)) => {
                    if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                        if a.is_empty() {
                            return None;
                        }
                        params.push((name.to_owned(), percent_decode(a)));
                    } else if t != a {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    }

    /// Matches the template against the end of the path, for paths that arrive with a prefix the
    /// route does not name: an API Gateway stage (`/prod/...`) or a `cargo lambda watch` function URL.
    pub fn match_suffix(&self, path: &str) -> Option<PathParams> {
        let n = self.path.trim_matches('/').split('/').count();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        if segments.len() < n {
            return None;
        }
        self.match_path(&segments[segments.len() - n..].join("/"))
    }
}

/// Percent-encodes a query value: everything but RFC 3986's unreserved characters and the bytes in
/// `also_keep` (for example `:/` in a FHIR token) becomes `%XX`.
pub fn percent_encode(value: &str, also_keep: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || also_keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes of a path segment; malformed escapes stay as they are.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_every_function_name_is_unique() {
        let routes = all();
        assert!(routes.len() >= 5);
        let mut names: Vec<_> = routes.iter().map(|r| r.function.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), routes.len());
    }

    #[test]
    fn every_route_names_an_activity_and_access_modes() {
        for r in all() {
            assert!(["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"].contains(&r.method.as_str()));
            if r.is_mesh() {
                assert!(r.access.is_empty() && r.service == "mesh" && !r.patient_data, "{}", r.function);
                continue;
            }
            assert!(r.max_body.is_none(), "{}: only MESH routes take larger bodies", r.function);
            if r.is_public() {
                assert!(r.access.is_empty() && r.service == "cis", "{}: only CIS may be public", r.function);
                continue;
            }
            assert!(r.activity.starts_with('B') && r.activity.len() == 5, "{}", r.function);
            assert!(!r.access.is_empty(), "{}", r.function);
            for mode in &r.access {
                assert!(["healthcare-worker", "application", "patient"].contains(&mode.as_str()), "{mode}");
            }
            assert!(["GET", "POST", "PATCH", "PUT", "DELETE"].contains(&r.method.as_str()));
        }
    }

    #[test]
    fn finds_routes_with_their_parameters() {
        match find("GET", "/personal-demographics/FHIR/R4/Patient/9000000009") {
            RouteMatch::Found(r, p) => {
                assert_eq!(r.function, "pds-get-patient");
                assert_eq!(p, vec![("id".to_owned(), "9000000009".to_owned())]);
            }
            other => panic!("{other:?}"),
        }
        match find("GET", "/personal-demographics/FHIR/R4/Patient/9000000009/RelatedPerson") {
            RouteMatch::Found(r, _) => assert_eq!(r.function, "pds-get-related-people"),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(find("GET", "/personal-demographics/FHIR/R4/Patient"), RouteMatch::Found(r, _) if r.function == "pds-search-patients")
        );
    }

    #[test]
    fn tells_a_wrong_method_from_an_unknown_path() {
        match find("DELETE", "/personal-demographics/FHIR/R4/Patient/9000000009") {
            RouteMatch::MethodNotAllowed(m) => assert_eq!(m, vec!["GET", "PATCH"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(find("GET", "/nowhere"), RouteMatch::NotFound));
        assert!(matches!(find("GET", "/personal-demographics/FHIR/R4/Patient//RelatedPerson"), RouteMatch::NotFound));
    }

    #[test]
    fn matches_behind_a_stage_prefix() {
        let r = by_function("pds-get-patient").unwrap();
        assert_eq!(
            r.match_suffix("/prod/personal-demographics/FHIR/R4/Patient/9000000009"),
            Some(vec![("id".to_owned(), "9000000009".to_owned())])
        );
        assert_eq!(r.match_suffix("/Patient/9000000009"), None);
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
        assert_eq!(percent_decode("end%2"), "end%2");
    }
}
