//! The synthetic accredited systems, MHS records and MESH mailboxes. A GP practice runs a clinical
//! system (party key `<ODS>-0000806`, one of three suppliers) and one practice in four — always
//! Y12345 — also a document system (`<ODS>-0000807`); pharmacies and trusts run one system each;
//! the Spine runs `YES-0000806`. Every interaction of a system has an MHS record at its party key:
//! GP Connect interactions at the practice's FHIR service root, ebXML ones at its MHS with
//! reliable-messaging settings. ASIDs count up from 200 000 000 101 in directory order. GP
//! practices and laboratories have a MESH mailbox `<ODS>HC001` for pathology reports
//! (`PATH_MEDRPT_V3`) and `TEST_WORKFLOW`; trusts and councils one for `TEST_WORKFLOW`; NHS England
//! has the MESH sandbox's `X26ABC1`–`X26ABC3`. The interaction lists are a synthetic selection.

use spine_shared::synthetic::Rng;

use super::organisations::rng_for;
use super::reference::{JANE_GP, SPINE, SUPPLIERS};
use crate::model::{AccreditedSystem, MeshMailbox, MhsRecord, OrgType, Organisation, Reliability};

pub const PSIS: &str = "urn:nhs:names:services:psis:REPC_IN150016UK05";
pub const ACK: &str = "urn:nhs:names:services:psis:MCCI_IN010000UK13";
pub const GPC_METADATA: &str = "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1";
pub const GPC_STRUCTURED: &str = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";
pub const GPC_DOCUMENTS: &str = "urn:nhs:names:services:gpconnect:documents:fhir:rest:search:documentreference-1";
pub const GPC_BINARY: &str = "urn:nhs:names:services:gpconnect:documents:fhir:rest:read:binary-1";
pub const GP2GP_REQUEST: &str = "urn:nhs:names:services:gp2gp:RCMR_IN010000UK05";
pub const GP2GP_EHR: &str = "urn:nhs:names:services:gp2gp:RCMR_IN030000UK06";
pub const PDS_QUERY: &str = "urn:nhs:names:services:pdsquery:QUPA_IN000008UK02";
pub const CPIS_QUERY: &str = "urn:nhs:names:services:cpisquery:QUPC_IN000006GB01";
pub const EPS_PRESCRIPTION: &str = "urn:nhs:names:services:mm:PORX_IN020101SM31";
pub const EPS_RELEASE: &str = "urn:nhs:names:services:mm:PORX_IN132004SM30";
pub const PATHOLOGY_WORKFLOW: &str = "PATH_MEDRPT_V3";
pub const TEST_WORKFLOW: &str = "TEST_WORKFLOW";

const GP_CLINICAL: [&str; 8] =
    [GPC_METADATA, GPC_STRUCTURED, GPC_DOCUMENTS, GPC_BINARY, PSIS, ACK, GP2GP_REQUEST, GP2GP_EHR];
const GP_DOCUMENTS: [&str; 2] = [PSIS, ACK];
const PHARMACY: [&str; 3] = [EPS_PRESCRIPTION, EPS_RELEASE, PDS_QUERY];
const TRUST: [&str; 3] = [PDS_QUERY, PSIS, CPIS_QUERY];
const SPINE_CORE: [&str; 2] = [PSIS, ACK];

/// The next ASID and CPA id numbers.
pub struct SystemIds {
    asid: u64,
    cpa: u64,
}

impl Default for SystemIds {
    fn default() -> Self {
        SystemIds { asid: 200_000_000_101, cpa: 1 }
    }
}

/// A stable UUID (v4-shaped) drawn from a generator.
fn uuid(rng: &mut Rng) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next().to_be_bytes());
    bytes[8..].copy_from_slice(&rng.next().to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

/// One deployed system with its MHS records.
struct Deployment<'a> {
    suffix: &'a str,
    supplier: usize,
    product: &'a str,
    interactions: &'a [&'a str],
}

/// The accredited systems of an organisation and the MHS records of their interactions.
pub fn systems_of(org: &Organisation, ids: &mut SystemIds) -> (Vec<AccreditedSystem>, Vec<MhsRecord>) {
    let mut rng = rng_for(&format!("systems:{}", org.ods));
    let mut deployments = Vec::new();
    match org.kind {
        OrgType::GpPractice if org.active => {
            let supplier = rng.below(3) as usize;
            deployments.push(Deployment {
                suffix: "0000806",
                supplier,
                product: "GP clinical system",
                interactions: &GP_CLINICAL,
            });
            if org.ods == JANE_GP || rng.chance(250) {
                deployments.push(Deployment {
                    suffix: "0000807",
                    supplier: 3,
                    product: "Document management",
                    interactions: &GP_DOCUMENTS,
                });
            }
        }
        OrgType::Pharmacy => deployments.push(Deployment {
            suffix: "0000806",
            supplier: 4,
            product: "Dispensing system",
            interactions: &PHARMACY,
        }),
        OrgType::NhsTrust => deployments.push(Deployment {
            suffix: "0000806",
            supplier: 5,
            product: "Patient administration system",
            interactions: &TRUST,
        }),
        OrgType::NationalBody if org.ods == SPINE => deployments.push(Deployment {
            suffix: "0000806",
            supplier: 0,
            product: "Spine core",
            interactions: &SPINE_CORE,
        }),
        _ => {}
    }
    let mut systems = Vec::new();
    let mut records = Vec::new();
    for d in deployments {
        let asid = ids.asid.to_string();
        ids.asid += 1;
        let party_key = format!("{}-{}", org.ods, d.suffix);
        let (manufacturer, _, host) = SUPPLIERS[d.supplier];
        let manufacturer = if org.ods == SPINE { "X26" } else { manufacturer };
        for &interaction in d.interactions {
            records.push(mhs_record(org, &party_key, interaction, host, &asid, ids, &mut rng));
        }
        systems.push(AccreditedSystem {
            asid,
            id: uuid(&mut rng),
            ods: org.ods.clone(),
            party_key: Some(party_key),
            manufacturer: manufacturer.to_owned(),
            product: d.product.to_owned(),
            interactions: d.interactions.iter().map(|i| i.to_string()).collect(),
        });
    }
    (systems, records)
}

fn mhs_record(
    org: &Organisation,
    party_key: &str,
    interaction: &str,
    host: &str,
    asid: &str,
    ids: &mut SystemIds,
    rng: &mut Rng,
) -> MhsRecord {
    let ods = org.ods.to_ascii_lowercase();
    let (fqdn, address, reliability) = if org.ods == SPINE {
        let fqdn = "msg.spine.nhs.example".to_owned();
        (fqdn.clone(), format!("https://{fqdn}/reliablemessaging/reliablerequest"), ebxml())
    } else if interaction.contains(":gpconnect:") {
        let fqdn = format!("gpconnect.{host}.example");
        let never = Some("never".to_owned());
        let r = Reliability { duplicate_elimination: never.clone(), ack_requested: never, ..Reliability::default() };
        (fqdn.clone(), format!("https://{fqdn}/{}/STU3/1/gpconnect", org.ods), r)
    } else {
        let fqdn = format!("{ods}.mhs.{host}.example");
        (fqdn.clone(), format!("https://{fqdn}/reliablemessaging/reliablerequest"), ebxml())
    };
    let cpa_id = format!("S20001A{:06}", ids.cpa);
    ids.cpa += 1;
    MhsRecord {
        id: uuid(rng),
        party_key: party_key.to_owned(),
        ods: org.ods.clone(),
        interaction: interaction.to_owned(),
        address,
        fqdn,
        cpa_id,
        mhs_id: asid.to_owned(),
        reliability,
    }
}

/// Reliable ebXML messaging, as SDS's examples show it.
fn ebxml() -> Reliability {
    Reliability {
        sync_reply_mode: Some("MSHSignalsOnly".into()),
        retry_interval: Some("PT1M".into()),
        retries: Some(2),
        persist_duration: Some("PT5M".into()),
        duplicate_elimination: Some("always".into()),
        ack_requested: Some("always".into()),
        actor: Some("urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH".into()),
    }
}

/// The MESH mailboxes of an organisation.
pub fn mailboxes_of(org: &Organisation) -> Vec<MeshMailbox> {
    let mailbox = |id: String, workflows: &[&str]| MeshMailbox {
        id,
        ods: org.ods.clone(),
        description: org.name.clone(),
        workflows: workflows.iter().map(|w| w.to_string()).collect(),
    };
    match org.kind {
        OrgType::GpPractice | OrgType::Laboratory if org.active => {
            vec![mailbox(format!("{}HC001", org.ods), &[PATHOLOGY_WORKFLOW, TEST_WORKFLOW])]
        }
        OrgType::NhsTrust | OrgType::LocalAuthority => vec![mailbox(format!("{}HC001", org.ods), &[TEST_WORKFLOW])],
        OrgType::NationalBody if org.ods == "X26" => {
            (1..=3).map(|n| mailbox(format!("X26ABC{n}"), &[TEST_WORKFLOW])).collect()
        }
        _ => Vec::new(),
    }
}
