//! FHIR `OperationOutcome`: the error body of every Spine FHIR API, and the body of the
//! 200 "answers" such as PDS `TOO_MANY_MATCHES`.

use serde::{Deserialize, Serialize};

use super::SPINE_ERROR_CODE_SYSTEM;
use super::patient::Coding;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueSeverity {
    Fatal,
    Error,
    Warning,
    Information,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperationOutcome {
    pub resource_type: OperationOutcomeType,
    pub issue: Vec<Issue>,
}

/// The constant `resourceType` of an OperationOutcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperationOutcomeType {
    OperationOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Issue {
    pub severity: IssueSeverity,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CodeableConcept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl OperationOutcome {
    /// One issue coded with a Spine error or warning code.
    pub fn single(
        severity: IssueSeverity,
        issue_type: &str,
        spine_code: &str,
        display: &str,
        diagnostics: Option<String>,
    ) -> Self {
        OperationOutcome {
            resource_type: OperationOutcomeType::OperationOutcome,
            issue: vec![Issue {
                severity,
                code: issue_type.to_owned(),
                details: Some(CodeableConcept {
                    coding: vec![Coding {
                        system: Some(SPINE_ERROR_CODE_SYSTEM.to_owned()),
                        version: Some("1".to_owned()),
                        code: Some(spine_code.to_owned()),
                        display: Some(display.to_owned()),
                    }],
                    text: None,
                }),
                diagnostics,
            }],
        }
    }

    /// The Spine code of the first issue, if any.
    pub fn spine_code(&self) -> Option<&str> {
        self.issue.first()?.details.as_ref()?.coding.first()?.code.as_deref()
    }
}
