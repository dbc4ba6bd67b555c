//! EPS's refusals: each has the HTTP status, the FHIR issue type (`value`, `invalid`,
//! `business-rule`, `not-found`, …) and, where EPS names one, the EPS issue code
//! (`PRESCRIPTION_WITH_ANOTHER_DISPENSER`, `NO_MORE_PRESCRIPTIONS`, …) that its
//! OperationOutcome carries, plus diagnostics for the caller (never patient data).

/// The FHIR issue types EPS answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueType {
    Value,
    Invalid,
    Structure,
    BusinessRule,
    NotFound,
    Duplicate,
    Processing,
    Informational,
    Forbidden,
}

impl IssueType {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueType::Value => "value",
            IssueType::Invalid => "invalid",
            IssueType::Structure => "structure",
            IssueType::BusinessRule => "business-rule",
            IssueType::NotFound => "not-found",
            IssueType::Duplicate => "duplicate",
            IssueType::Processing => "processing",
            IssueType::Informational => "informational",
            IssueType::Forbidden => "forbidden",
        }
    }
}

const ALREADY_APPLIED: &str = "ALREADY_APPLIED";

/// An EPS refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {issue:?} {code:?}: {diagnostics}")]
pub struct EpsError {
    status: u16,
    issue: IssueType,
    /// The EPS issue code, when EPS names one.
    code: Option<&'static str>,
    diagnostics: String,
    /// What went wrong inside, for the log only (internal errors).
    cause: Option<String>,
    /// The ODS code of the dispenser holding the prescription (`PRESCRIPTION_WITH_ANOTHER_DISPENSER`
    /// names it in a contained Organization).
    holder: Option<String>,
}

impl EpsError {
    fn new(status: u16, issue: IssueType, code: Option<&'static str>, diagnostics: impl Into<String>) -> Self {
        EpsError { status, issue, code, diagnostics: diagnostics.into(), cause: None, holder: None }
    }

    /// 400 `value`: a field holds a value EPS does not accept.
    pub fn invalid_value(diagnostics: impl Into<String>) -> Self {
        Self::new(400, IssueType::Value, None, diagnostics)
    }

    /// 400 `invalid`: a required field is missing or a field is populated wrongly.
    pub fn invalid(diagnostics: impl Into<String>) -> Self {
        Self::new(400, IssueType::Invalid, None, diagnostics)
    }

    /// 400 `structure`: fields that may not appear together.
    pub fn structure(diagnostics: impl Into<String>) -> Self {
        Self::new(400, IssueType::Structure, None, diagnostics)
    }

    /// 400 `business-rule` with an EPS code: the operation is not allowed in the prescription's
    /// state or for this dispenser.
    pub fn business_rule(code: &'static str, diagnostics: impl Into<String>) -> Self {
        Self::new(400, IssueType::BusinessRule, Some(code), diagnostics)
    }

    /// 400 `duplicate` `DUPLICATE_PRESCRIPTION_ID`: a prescription with this id exists.
    pub fn duplicate_prescription_id() -> Self {
        Self::new(
            400,
            IssueType::Duplicate,
            Some("DUPLICATE_PRESCRIPTION_ID"),
            "A prescription with the same ID already exists.",
        )
    }

    /// 500: the store failed. `cause` is for the log (it never holds patient data); the caller
    /// sees a generic diagnostic.
    pub fn internal(cause: impl Into<String>) -> Self {
        EpsError {
            cause: Some(cause.into()),
            ..Self::new(500, IssueType::Processing, None, "An internal error occurred.")
        }
    }

    /// 400 `not-found` `ITEM_NOT_FOUND`: a line item the prescription does not have.
    pub fn item_not_found(item: &str) -> Self {
        Self::new(
            400,
            IssueType::NotFound,
            Some("ITEM_NOT_FOUND"),
            format!("The requested item could not be found: {}.", item.chars().take(64).collect::<String>()),
        )
    }

    /// 400 `processing` `FAILURE_TO_PROCESS_MESSAGE`: the message names something EPS cannot act on
    /// (a patient unknown to PDS, say).
    pub fn failure_to_process(diagnostics: impl Into<String>) -> Self {
        Self::new(400, IssueType::Processing, Some("FAILURE_TO_PROCESS_MESSAGE"), diagnostics)
    }

    /// 404 `not-found` `PRESCRIPTION_NOT_FOUND`.
    pub fn prescription_not_found() -> Self {
        Self::new(
            404,
            IssueType::NotFound,
            Some("PRESCRIPTION_NOT_FOUND"),
            "The requested prescription could not be found.",
        )
    }

    /// The request (by its `X-Request-ID`) was applied already: the caller answers with what was
    /// recorded then. Never sent as such.
    pub fn already_applied() -> Self {
        Self::new(409, IssueType::Duplicate, Some(ALREADY_APPLIED), "The request was applied already.")
    }

    pub fn is_already_applied(&self) -> bool {
        self.code == Some(ALREADY_APPLIED)
    }

    pub fn with_holder(mut self, ods: &str) -> Self {
        self.holder = Some(ods.to_owned());
        self
    }

    pub fn holder(&self) -> Option<&str> {
        self.holder.as_deref()
    }

    /// 400 `not-found` `RESOURCE_NOT_FOUND`: a patient release names a prescription that does not
    /// exist (EPS's code for `Task/$release`).
    pub fn resource_not_found(diagnostics: impl Into<String>) -> Self {
        Self::new(400, IssueType::NotFound, Some("RESOURCE_NOT_FOUND"), diagnostics)
    }

    /// 400 `not-found` `R-0008`: a cancellation of a prescription EPS does not have (answered with
    /// an OperationOutcome, not the cancellation's response Bundle).
    pub fn cancel_not_found() -> Self {
        Self::new(400, IssueType::NotFound, Some("R-0008"), "Prescription/item was not found")
    }

    /// 400 `processing` `R-5000`: a cancellation whose NHS number, prescribing organisation or line
    /// item does not match the prescription (an OperationOutcome).
    pub fn cancel_mismatch() -> Self {
        Self::new(
            400,
            IssueType::Processing,
            Some("R-5000"),
            "Unable to process message. Information missing or invalid - NHS number, prescribing organisation or line item does not match",
        )
    }

    /// 400 `duplicate`: a dispense notification's identifier sent again with other outcomes (an
    /// amendment has an identifier of its own and `replacementOf`).
    pub fn notification_reused() -> Self {
        Self::new(
            400,
            IssueType::Duplicate,
            None,
            "This dispense notification identifier was already received with other line item outcomes; an amendment needs its own identifier and replacementOf.",
        )
    }

    /// 400 `invalid` `MISSING_DIGITAL_SIGNATURE`.
    pub fn missing_signature() -> Self {
        Self::new(400, IssueType::Invalid, Some("MISSING_DIGITAL_SIGNATURE"), "Digital signature not found.")
    }

    /// 403 `forbidden` `ACCESS_DENIED`: the caller may not do this (the wrong activity for the
    /// message, another organisation's work).
    pub fn access_denied(diagnostics: impl Into<String>) -> Self {
        Self::new(403, IssueType::Forbidden, Some("ACCESS_DENIED"), diagnostics)
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn issue(&self) -> IssueType {
        self.issue
    }

    pub fn code(&self) -> Option<&'static str> {
        self.code
    }

    pub fn diagnostics(&self) -> &str {
        &self.diagnostics
    }

    /// The internal cause of a 500, for the log.
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_item_is_echoed_at_most_64_characters_long() {
        let e = EpsError::item_not_found(&"x".repeat(900_000));
        assert!(e.diagnostics().len() < 120, "{}", e.diagnostics().len());
        assert_eq!((e.status(), e.code()), (400, Some("ITEM_NOT_FOUND")));
    }
}
