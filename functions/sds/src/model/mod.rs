//! How the Spine Directory keeps its entries in the single table, and the typed keys of every
//! item it writes. Every lookup an API needs is one `Query` (or `GetItem`) on the table or an
//! overloaded index; nothing scans.
//!
//! | item                         | pk                 | sk                    | gsi1                                          | gsi2                                                 |
//! |------------------------------|--------------------|-----------------------|-----------------------------------------------|------------------------------------------------------|
//! | organisation                 | `ORG#<ods>`        | `ORG`                 | `ORGNAME#<first char>` / `<NAME>\|<ods>`       | `ORGPOSTCODE#<district>` / `<POSTCODE>\|<NAME>\|<ods>` |
//! | organisation's type          | `ORG#<ods>`        | `INDEX#TYPE`          | `ORGTYPE#<type>` / `<NAME>\|<ods>`             | —                                                    |
//! | person                       | `PERSON#<user id>` | `PERSON`              | —                                             | —                                                    |
//! | role profile                 | `PERSON#<user id>` | `ROLE#<role id>`      | `ORGSTAFF#<ods>` / `<R-code>\|<role id>`       | `ROLEPROFILE#<role id>` / `ROLE`                     |
//! | accredited system (ASID)     | `AS#<asid>`        | `AS`                  | `ASORG#<ods>` / `<asid>`                       | —                                                    |
//! | an ASID's interaction        | `AS#<asid>`        | `SVC#<interaction>`   | `ASSVC#<ods>` / `<interaction>\|<asid>`        | —                                                    |
//! | MHS record (party, service)  | `MHS#<party key>`  | `SVC#<interaction>`   | `MHSORG#<ods>` / `<interaction>\|<party key>`  | —                                                    |
//! | MESH mailbox                 | `MAILBOX#<id>`     | `MAILBOX`             | `ORGMAILBOX#<ods>` / `<id>`                    | —                                                    |
//! | a mailbox's workflow         | `MAILBOX#<id>`     | `WORKFLOW#<workflow>` | `MESHROUTE#<ods>` / `<workflow>\|<id>`         | `MESHWORKFLOW#<workflow>` / `<id>`                   |
//! | seed marker                  | `SEED#directory`   | `MARKER`              | —                                             | —                                                    |
//!
//! `<NAME>` is the organisation's name folded to upper-case letters and digits, so a name search
//! is a `begins_with` on a sort key, and every organisation index sorts by name. `<POSTCODE>` is
//! the full postcode without its space. Index items (`INDEX#TYPE`, `SVC#`, `WORKFLOW#`) carry no
//! document: a query on them yields keys, and the few records wanted are fetched with one
//! `BatchGetItem`.

pub mod mailbox;
pub mod organisation;
pub mod people;
pub mod systems;

pub use mailbox::MeshMailbox;
pub use organisation::{OrgAddress, OrgType, Organisation};
pub use people::{JobRole, Person, RoleProfile};
pub use systems::{AccreditedSystem, MhsRecord, Reliability};

use serde::Serialize;
use serde::de::DeserializeOwned;
use spine_shared::{SpineError, SpineResult};

pub const ORG_SK: &str = "ORG";
pub const ORG_TYPE_SK: &str = "INDEX#TYPE";
pub const PERSON_SK: &str = "PERSON";
pub const ROLE_GSI2_SK: &str = "ROLE";
pub const AS_SK: &str = "AS";
pub const MAILBOX_SK: &str = "MAILBOX";
/// The prefix of the sort keys of interactions (of an ASID or of an MHS party key).
pub const SVC_PREFIX: &str = "SVC#";
pub const ROLE_PREFIX: &str = "ROLE#";
pub const WORKFLOW_PREFIX: &str = "WORKFLOW#";

pub fn org_pk(ods: &str) -> String {
    format!("ORG#{ods}")
}

/// The name-index partition of a folded name (or name prefix): its first character.
pub fn org_name_pk(folded: &str) -> String {
    format!("ORGNAME#{}", folded.chars().next().unwrap_or('_'))
}

pub fn org_name_sk(folded: &str, ods: &str) -> String {
    format!("{folded}|{ods}")
}

pub fn org_postcode_pk(district: &str) -> String {
    format!("ORGPOSTCODE#{district}")
}

pub fn org_postcode_sk(full: &str, folded: &str, ods: &str) -> String {
    format!("{full}|{folded}|{ods}")
}

pub fn org_type_pk(kind: OrgType) -> String {
    format!("ORGTYPE#{}", kind.code())
}

pub fn person_pk(user_id: &str) -> String {
    format!("PERSON#{user_id}")
}

pub fn role_sk(role_id: &str) -> String {
    format!("{ROLE_PREFIX}{role_id}")
}

pub fn org_staff_pk(ods: &str) -> String {
    format!("ORGSTAFF#{ods}")
}

pub fn role_profile_pk(role_id: &str) -> String {
    format!("ROLEPROFILE#{role_id}")
}

pub fn as_pk(asid: &str) -> String {
    format!("AS#{asid}")
}

pub fn as_org_pk(ods: &str) -> String {
    format!("ASORG#{ods}")
}

pub fn as_service_pk(ods: &str) -> String {
    format!("ASSVC#{ods}")
}

pub fn svc_sk(interaction: &str) -> String {
    format!("{SVC_PREFIX}{interaction}")
}

/// An index sort key that orders by `first` and ends with the id: `<first>|<id>` (an
/// interaction's ASIDs or party keys, an organisation's staff by job role).
pub fn index_sk(first: &str, id: &str) -> String {
    format!("{first}|{id}")
}

pub fn mhs_pk(party_key: &str) -> String {
    format!("MHS#{party_key}")
}

pub fn mhs_org_pk(ods: &str) -> String {
    format!("MHSORG#{ods}")
}

pub fn mailbox_pk(id: &str) -> String {
    format!("MAILBOX#{id}")
}

pub fn org_mailbox_pk(ods: &str) -> String {
    format!("ORGMAILBOX#{ods}")
}

pub fn workflow_sk(workflow: &str) -> String {
    format!("{WORKFLOW_PREFIX}{workflow}")
}

pub fn mesh_route_pk(ods: &str) -> String {
    format!("MESHROUTE#{ods}")
}

/// MESH's workflow search: every mailbox taking a workflow, on gsi2.
pub fn mesh_workflow_pk(workflow: &str) -> String {
    format!("MESHWORKFLOW#{workflow}")
}

pub fn mesh_route_sk(workflow: &str, mailbox: &str) -> String {
    format!("{workflow}|{mailbox}")
}

/// The id after the last `|` of an index sort key.
pub fn id_of_index_sk(sk: &str) -> &str {
    sk.rsplit('|').next().unwrap_or(sk)
}

/// A document as stored.
pub fn encode<T: Serialize>(doc: &T) -> Vec<u8> {
    serde_json::to_vec(doc).unwrap_or_default()
}

/// A stored document; a document that does not decode is a fault (500), never a client error.
pub fn decode<T: DeserializeOwned>(data: &[u8]) -> SpineResult<T> {
    serde_json::from_slice(data).map_err(SpineError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_sort_keys_end_with_the_id() {
        assert_eq!(id_of_index_sk(&org_name_sk("BOARLANE", "Y12345")), "Y12345");
        assert_eq!(id_of_index_sk(&org_postcode_sk("LS16AE", "BOARLANE", "Y12345")), "Y12345");
        let gpc = "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1";
        assert_eq!(id_of_index_sk(&index_sk(gpc, "200000000101")), "200000000101");
        assert_eq!(org_name_pk("BOARLANE"), "ORGNAME#B");
        assert_eq!(org_type_pk(OrgType::GpPractice), "ORGTYPE#gp-practice");
    }
}
