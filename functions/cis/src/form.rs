//! The token endpoint's request body: `application/x-www-form-urlencoded` (RFC 6749 §3.2). A
//! parameter sent with an empty value counts as omitted (§3.1); one sent twice is refused (§3.1);
//! unknown parameters are ignored (§3.2).

use spine_shared::pipeline::ApiRequest;

use crate::oauth::OAuthError;

const FORM: &str = "application/x-www-form-urlencoded";

/// The parameters of a form body, each at most once.
#[derive(Clone, Default)]
pub struct Form(Vec<(String, String)>);

/// Values are credentials: only the names are shown.
impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(k, _)| k)).finish()
    }
}

impl Form {
    /// Reads the body of a token request.
    pub fn parse(request: &ApiRequest) -> Result<Form, OAuthError> {
        let media_type = request.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim();
        if !media_type.eq_ignore_ascii_case(FORM) {
            return Err(OAuthError::invalid_request("The body must be application/x-www-form-urlencoded"));
        }
        let body = std::str::from_utf8(&request.body)
            .map_err(|_| OAuthError::invalid_request("The body is not UTF-8 form data"))?;
        Form::from_pairs(ApiRequest::parse_query(body))
    }

    /// The parameters of already decoded pairs.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Form, OAuthError> {
        let pairs: Vec<(String, String)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        for (i, (name, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(OAuthError::invalid_request(format!("Parameter {} is repeated", shown(name))));
            }
        }
        Ok(Form(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A parameter the grant cannot do without.
    pub fn required(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::invalid_request(format!("Missing required parameter {name}")))
    }
}

/// A caller's value for a description: printable ASCII, at most 64 characters.
pub fn shown(value: &str) -> String {
    value.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(content_type: &str, body: &str) -> ApiRequest {
        let mut r = ApiRequest { body: body.to_owned().into(), ..Default::default() };
        r.headers.insert("content-type", content_type.parse().unwrap());
        r
    }

    #[test]
    fn form_bodies_are_decoded() {
        let f = Form::parse(&request(
            "application/x-www-form-urlencoded; charset=UTF-8",
            "grant_type=password&username=a%2Bb&password=p+q&scope=",
        ))
        .unwrap();
        assert_eq!(f.get("grant_type"), Some("password"));
        assert_eq!(f.get("username"), Some("a+b"));
        assert_eq!(f.get("password"), Some("p q"));
        assert_eq!(f.get("scope"), None, "an empty value counts as omitted");
        assert!(!format!("{f:?}").contains("p q"));
    }

    #[test]
    fn other_media_types_and_repeats_are_invalid_requests() {
        for ct in ["application/json", "text/plain", ""] {
            assert!(Form::parse(&request(ct, "grant_type=password")).is_err(), "{ct}");
        }
        let e = Form::parse(&request(FORM, "grant_type=password&grant_type=client_credentials")).unwrap_err();
        assert_eq!(e.error_description, "Parameter grant_type is repeated");
        assert!(Form::parse(&request(FORM, "a=&a=1")).is_ok());
        assert_eq!(Form::parse(&request(FORM, "")).unwrap().required("grant_type").unwrap_err().status(), 400);
    }
}
