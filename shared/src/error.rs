//! The one error type of the Spine and its one mapping to an HTTP status and a FHIR
//! `OperationOutcome` coded with NHS `Spine-ErrorOrWarningCode`. Handlers return `SpineError`; the
//! request pipeline turns it into a response, so no handler writes a status or an outcome itself.

use crate::fhir::outcome::{IssueSeverity, OperationOutcome};

/// The Spine error and warning codes we answer with, each with its one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: the resource id (an NHS number) is malformed or fails its check digit.
    InvalidResourceId,
    /// 400: no search parameters or no NHS number; 405 when the method is not served.
    UnsupportedService,
    /// 400: a required header, parameter or field is missing.
    MissingValue,
    /// 400: a header, parameter or field has an invalid value.
    InvalidValue,
    /// 400: the search parameters do not make a valid search.
    InvalidSearchData,
    /// 400: an unrecognised parameter or property.
    AdditionalProperties,
    /// 400: the update is not well-formed or breaks a PDS patch rule.
    InvalidUpdate,
    /// 400: the resulting resource breaks a field rule.
    ValidationError,
    /// 400: a value outside the supported set.
    UnsupportedValue,
    /// 400: characters that a field does not allow.
    UnsupportedCharactersInField,
    /// 400: too few values submitted (for example an empty patch list).
    TooFewValuesSubmitted,
    /// 400: too many values submitted.
    TooManyValuesSubmitted,
    /// 401: no valid credentials.
    AccessDenied,
    /// 403: the caller is authenticated, but its access mode or role may not perform this activity.
    Forbidden,
    /// 403: the update touches a field the caller may not change.
    ForbiddenUpdate,
    /// 403 `INVALID_VALUE`: a value the caller's access mode may not send (PDS: `_max-results`
    /// other than 1 in application-restricted mode).
    InvalidValueForAccessMode,
    /// 404: the resource does not exist, or no route has this path.
    ResourceNotFound,
    /// 404: the record was invalidated and not superseded.
    InvalidatedResource,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 409: `If-Match` names a version that is no longer current.
    ResourceVersionMismatch,
    /// 412: `If-Match` is missing.
    PreconditionFailed,
    /// 413: the body is larger than the platform accepts.
    PayloadTooLarge,
    /// 415: the body's media type is not the one this interaction takes.
    UnsupportedMediaType,
    /// 200: a search matched more patients than it may return.
    TooManyMatches,
    /// 200: a create found one existing patient with these details; nothing created.
    SingleMatch,
    /// 200: a create found several existing patients with these details; nothing created.
    MultipleMatches,
    /// 503: the write did not complete in time; retry with the same `X-Request-ID`.
    ServiceUnavailable,
    /// 500: anything unexpected. The cause is logged (without patient data), never returned.
    UnknownError,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidResourceId
            | UnsupportedService
            | MissingValue
            | InvalidValue
            | InvalidSearchData
            | AdditionalProperties
            | InvalidUpdate
            | ValidationError
            | UnsupportedValue
            | UnsupportedCharactersInField
            | TooFewValuesSubmitted
            | TooManyValuesSubmitted => 400,
            AccessDenied => 401,
            Forbidden | ForbiddenUpdate | InvalidValueForAccessMode => 403,
            ResourceNotFound | InvalidatedResource => 404,
            MethodNotAllowed => 405,
            ResourceVersionMismatch => 409,
            PreconditionFailed => 412,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            TooManyMatches | SingleMatch | MultipleMatches => 200,
            ServiceUnavailable => 503,
            UnknownError => 500,
        }
    }

    /// The code as the Spine names it in `details.coding[0].code`.
    pub fn spine_code(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidResourceId => "INVALID_RESOURCE_ID",
            UnsupportedService | MethodNotAllowed => "UNSUPPORTED_SERVICE",
            MissingValue => "MISSING_VALUE",
            InvalidValue | PayloadTooLarge | InvalidValueForAccessMode => "INVALID_VALUE",
            InvalidSearchData => "INVALID_SEARCH_DATA",
            AdditionalProperties => "ADDITIONAL_PROPERTIES",
            InvalidUpdate => "INVALID_UPDATE",
            ValidationError => "VALIDATION_ERROR",
            UnsupportedValue | UnsupportedMediaType => "UNSUPPORTED_VALUE",
            UnsupportedCharactersInField => "UNSUPPORTED_CHARACTERS_IN_FIELD",
            TooFewValuesSubmitted => "TOO_FEW_VALUES_SUBMITTED",
            TooManyValuesSubmitted => "TOO_MANY_VALUES_SUBMITTED",
            AccessDenied | Forbidden => "ACCESS_DENIED",
            ForbiddenUpdate => "FORBIDDEN_UPDATE",
            ResourceNotFound => "RESOURCE_NOT_FOUND",
            InvalidatedResource => "INVALIDATED_RESOURCE",
            ResourceVersionMismatch => "RESOURCE_VERSION_MISMATCH",
            PreconditionFailed => "PRECONDITION_FAILED",
            TooManyMatches => "TOO_MANY_MATCHES",
            SingleMatch => "SINGLE_MATCH",
            MultipleMatches => "MULTIPLE_MATCHES",
            ServiceUnavailable => "SERVICE_UNAVAILABLE",
            UnknownError => "UNKNOWN_ERROR",
        }
    }

    /// The display text of the code.
    pub fn display(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidResourceId => "Resource Id is invalid",
            UnsupportedService => "Unsupported Service",
            MethodNotAllowed => "Method is not supported on this resource",
            MissingValue => "Required value is missing",
            InvalidValue | InvalidValueForAccessMode => "Provided value is invalid",
            PayloadTooLarge => "Request body is too large",
            InvalidSearchData => "Search data is invalid",
            AdditionalProperties => "Additional properties are not allowed",
            InvalidUpdate => "Update is invalid",
            ValidationError => "Validation error",
            UnsupportedValue => "Unsupported value",
            UnsupportedMediaType => "Unsupported media type",
            UnsupportedCharactersInField => "Unsupported characters in field",
            TooFewValuesSubmitted => "Too few values submitted",
            TooManyValuesSubmitted => "Too many values submitted",
            AccessDenied | Forbidden => "Access denied",
            ForbiddenUpdate => "Forbidden update with gender set to 'other'",
            ResourceNotFound => "Resource not found",
            InvalidatedResource => "Resource Id is invalid",
            ResourceVersionMismatch => "Resource version mismatch",
            PreconditionFailed => "Required condition was not fulfilled",
            TooManyMatches => "Too Many Matches",
            SingleMatch => "Single match found",
            MultipleMatches => "Multiple matches found",
            ServiceUnavailable => "Service unavailable",
            UnknownError => "Unknown error",
        }
    }

    /// The FHIR issue type (`issue.code`).
    pub fn issue_type(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidResourceId
            | InvalidValue
            | InvalidValueForAccessMode
            | InvalidSearchData
            | UnsupportedValue
            | UnsupportedCharactersInField
            | PayloadTooLarge => "value",
            MissingValue | PreconditionFailed => "required",
            UnsupportedService | MethodNotAllowed | UnsupportedMediaType => "not-supported",
            AdditionalProperties | InvalidUpdate | TooFewValuesSubmitted | TooManyValuesSubmitted => "structure",
            ValidationError => "invariant",
            AccessDenied | Forbidden => "forbidden",
            ForbiddenUpdate => "forbidden",
            ResourceNotFound | InvalidatedResource => "not-found",
            ResourceVersionMismatch => "conflict",
            TooManyMatches => "multiple-matches",
            SingleMatch | MultipleMatches => "structure",
            ServiceUnavailable => "timeout",
            UnknownError => "exception",
        }
    }

    /// `information` for the 200 outcomes that are answers, `error` otherwise.
    pub fn severity(self) -> IssueSeverity {
        match self {
            ErrorCode::TooManyMatches => IssueSeverity::Information,
            _ => IssueSeverity::Error,
        }
    }
}

/// An error with its code and a diagnostic for the caller. Diagnostics never carry patient data
/// beyond what the caller sent for that very field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {diagnostics}", code.spine_code())]
pub struct SpineError {
    pub code: ErrorCode,
    pub diagnostics: String,
}

impl SpineError {
    pub fn new(code: ErrorCode, diagnostics: impl Into<String>) -> Self {
        SpineError { code, diagnostics: diagnostics.into() }
    }

    /// An unexpected failure: the cause goes to the log under a fresh message id, the caller gets
    /// 500 `UNKNOWN_ERROR` naming that id and nothing else.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let message_id = uuid::Uuid::new_v4();
        tracing::error!(%message_id, %cause, "unexpected failure");
        SpineError::new(ErrorCode::UnknownError, format!("Unexpected error, message id {message_id}"))
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The body of the response: an OperationOutcome with one issue.
    pub fn to_outcome(&self) -> OperationOutcome {
        OperationOutcome::single(
            self.code.severity(),
            self.code.issue_type(),
            self.code.spine_code(),
            self.code.display(),
            Some(self.diagnostics.clone()),
        )
    }
}

pub type SpineResult<T> = Result<T, SpineError>;

impl From<crate::ports::StoreError> for SpineError {
    fn from(e: crate::ports::StoreError) -> Self {
        SpineError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_matches_is_an_http_200_information_outcome() {
        let e = SpineError::new(ErrorCode::TooManyMatches, "refine the search");
        assert_eq!(e.status(), 200);
        let v = serde_json::to_value(e.to_outcome()).unwrap();
        assert_eq!(v["issue"][0]["severity"], "information");
        assert_eq!(v["issue"][0]["code"], "multiple-matches");
        assert_eq!(v["issue"][0]["details"]["coding"][0]["code"], "TOO_MANY_MATCHES");
    }

    #[test]
    fn outcome_is_coded_with_the_spine_code_system() {
        let v = serde_json::to_value(SpineError::new(ErrorCode::InvalidResourceId, "bad").to_outcome()).unwrap();
        let coding = &v["issue"][0]["details"]["coding"][0];
        assert_eq!(coding["system"], "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode");
        assert_eq!(coding["version"], "1");
        assert_eq!(coding["code"], "INVALID_RESOURCE_ID");
        assert_eq!(v["issue"][0]["diagnostics"], "bad");
        assert_eq!(v["resourceType"], "OperationOutcome");
    }

    #[test]
    fn statuses_follow_the_pds_specification() {
        use ErrorCode::*;
        for (code, status) in [
            (MissingValue, 400),
            (InvalidatedResource, 404),
            (ResourceNotFound, 404),
            (PreconditionFailed, 412),
            (ResourceVersionMismatch, 409),
            (SingleMatch, 200),
            (MultipleMatches, 200),
            (UnknownError, 500),
            (ServiceUnavailable, 503),
        ] {
            assert_eq!(code.status(), status, "{code:?}");
        }
    }

    #[test]
    fn unauthenticated_is_401_and_not_allowed_is_403_both_access_denied() {
        let unauthenticated = SpineError::new(ErrorCode::AccessDenied, "no token");
        let forbidden = SpineError::new(ErrorCode::Forbidden, "role lacks the activity");
        assert_eq!((unauthenticated.status(), forbidden.status()), (401, 403));
        for e in [unauthenticated, forbidden] {
            let v = serde_json::to_value(e.to_outcome()).unwrap();
            assert_eq!(v["issue"][0]["code"], "forbidden");
            assert_eq!(v["issue"][0]["details"]["coding"][0]["code"], "ACCESS_DENIED");
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = SpineError::internal("disk on fire at /var/lib/secret");
        assert_eq!(e.status(), 500);
        assert!(!e.diagnostics.contains("disk"));
        assert!(e.diagnostics.starts_with("Unexpected error, message id "));
    }
}
