//! `Endpoint`: an MHS record as SDS returns it — address, managing organisation, the FQDN, party
//! key, CPA id and MHS id as identifiers, the reliability configuration and the service
//! interaction as extensions.

use serde::Serialize;

use super::{
    CPA_ID_SYSTEM, CodeableConcept, Coding, Extension, FQDN_SYSTEM, INTERACTION_EXTENSION, INTERACTION_SYSTEM,
    Identifier, MHS_ID_SYSTEM, ODS_CODE_SYSTEM, PARTY_KEY_SYSTEM, RELIABILITY_EXTENSION, Reference,
};
use crate::model::{MhsRecord, Reliability};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub resource_type: &'static str,
    pub id: String,
    pub status: &'static str,
    pub connection_type: Coding,
    pub payload_type: Vec<CodeableConcept>,
    pub address: String,
    pub managing_organization: Reference,
    pub identifier: Vec<Identifier>,
    pub extension: Vec<Extension>,
}

pub fn endpoint(m: &MhsRecord) -> Endpoint {
    let mut extension = Vec::new();
    let reliability = reliability(&m.reliability);
    if !reliability.is_empty() {
        extension.push(Extension::nested(RELIABILITY_EXTENSION, reliability));
    }
    extension.push(Extension::reference(INTERACTION_EXTENSION, INTERACTION_SYSTEM, &m.interaction));
    Endpoint {
        resource_type: "Endpoint",
        id: m.id.clone(),
        status: "active",
        connection_type: Coding::new(
            "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
            "hl7-fhir-msg",
            "HL7 FHIR Messaging",
        ),
        payload_type: vec![CodeableConcept {
            coding: vec![Coding::new("http://terminology.hl7.org/CodeSystem/endpoint-payload-type", "any", "Any")],
        }],
        address: m.address.clone(),
        managing_organization: Reference::to(ODS_CODE_SYSTEM, &m.ods),
        identifier: vec![
            Identifier::new(FQDN_SYSTEM, &m.fqdn),
            Identifier::new(PARTY_KEY_SYSTEM, &m.party_key),
            Identifier::new(CPA_ID_SYSTEM, &m.cpa_id),
            Identifier::new(MHS_ID_SYSTEM, &m.mhs_id),
        ],
        extension,
    }
}

/// The reliability settings present, in SDS's order.
fn reliability(r: &Reliability) -> Vec<Extension> {
    let text = |url: &str, v: &Option<String>| v.as_ref().map(|v| Extension::string(url, v));
    [
        text("nhsMHSSyncReplyMode", &r.sync_reply_mode),
        text("nhsMHSRetryInterval", &r.retry_interval),
        r.retries.map(|n| Extension::integer("nhsMHSRetries", n)),
        text("nhsMHSPersistDuration", &r.persist_duration),
        text("nhsMHSDuplicateElimination", &r.duplicate_elimination),
        text("nhsMHSAckRequested", &r.ack_requested),
        text("nhsMHSActor", &r.actor),
    ]
    .into_iter()
    .flatten()
    .collect()
}
