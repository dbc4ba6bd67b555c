//! Accredited systems and MHS records, as SDS's LDAP holds them (`nhsAs`, `nhsMhs`) and its FHIR
//! API returns them (Device, Endpoint). An accredited system (ASID) is one system deployed at one
//! organisation, with the interactions it may take part in; an MHS record is the routing and
//! reliability of one interaction at one party key.

use serde::{Deserialize, Serialize};
use spine_shared::ports::{IndexKey, Item};

use super::{AS_SK, as_org_pk, as_pk, as_service_pk, encode, index_sk, mhs_org_pk, mhs_pk, svc_sk};

/// An accredited system: `nhsAs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditedSystem {
    /// The 12-digit Accredited System Identifier (`uniqueIdentifier`).
    pub asid: String,
    /// The stable id of the Device resource.
    pub id: String,
    /// The organisation the system is deployed at (`nhsIDCode`, `nhsAsClient`): `Device.owner`.
    pub ods: String,
    /// The MHS party key the system sends and receives under (`nhsMhsPartyKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_key: Option<String>,
    /// The supplier's ODS code (`nhsMhsManufacturerOrg`).
    pub manufacturer: String,
    pub product: String,
    /// Service interaction ids (`nhsAsSvcIA`).
    pub interactions: Vec<String>,
}

impl AccreditedSystem {
    /// The record (indexed by organisation) and one index item per interaction.
    pub fn items(&self) -> Vec<Item> {
        let pk = as_pk(&self.asid);
        let mut items = vec![
            Item::new(pk.clone(), AS_SK, encode(self))
                .with_gsi1(IndexKey::new(as_org_pk(&self.ods), self.asid.clone())),
        ];
        for interaction in &self.interactions {
            items.push(
                Item::new(pk.clone(), svc_sk(interaction), Vec::new())
                    .with_gsi1(IndexKey::new(as_service_pk(&self.ods), index_sk(interaction, &self.asid))),
            );
        }
        items
    }
}

/// ebXML reliability settings of an MHS record (`nhsMHS*`); absent ones are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reliability {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_reply_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persist_duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_elimination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_requested: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// An MHS record: `nhsMhs`, one interaction at one party key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MhsRecord {
    /// The stable id of the Endpoint resource.
    pub id: String,
    pub party_key: String,
    /// The organisation the endpoint belongs to (`nhsIDCode`): `Endpoint.managingOrganization`.
    pub ods: String,
    /// `nhsMhsSvcIA`.
    pub interaction: String,
    /// `nhsMHSEndPoint`.
    pub address: String,
    /// `nhsMhsFQDN`.
    pub fqdn: String,
    /// `nhsMhsCPAId`.
    pub cpa_id: String,
    /// `uniqueIdentifier`: the ASID of the system behind the endpoint.
    pub mhs_id: String,
    #[serde(default)]
    pub reliability: Reliability,
}

impl MhsRecord {
    /// Keyed by party key and interaction; indexed by organisation and interaction.
    pub fn item(&self) -> Item {
        Item::new(mhs_pk(&self.party_key), svc_sk(&self.interaction), encode(self))
            .with_gsi1(IndexKey::new(mhs_org_pk(&self.ods), index_sk(&self.interaction, &self.party_key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPC: &str = "urn:nhs:names:services:psis:REPC_IN150016UK05";

    #[test]
    fn an_asid_is_indexed_by_organisation_and_by_each_interaction() {
        let a = AccreditedSystem {
            asid: "200000000101".into(),
            id: "0b6f6a52-5d37-4f5a-9a59-4f0c7d8f0001".into(),
            ods: "Y12345".into(),
            party_key: Some("Y12345-0000806".into()),
            manufacturer: "YGA01".into(),
            product: "Clinical system".into(),
            interactions: vec![REPC.into()],
        };
        let items = a.items();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].gsi1.as_ref().unwrap().pk, "ASORG#Y12345");
        assert_eq!(items[1].sk, format!("SVC#{REPC}"));
        assert_eq!(items[1].gsi1.as_ref().unwrap().pk, "ASSVC#Y12345");
        assert_eq!(items[1].gsi1.as_ref().unwrap().sk, format!("{REPC}|200000000101"));
    }

    #[test]
    fn an_mhs_record_is_keyed_by_party_and_interaction() {
        let m = MhsRecord {
            id: "x".into(),
            party_key: "YES-0000806".into(),
            ods: "YES".into(),
            interaction: REPC.into(),
            address: "https://msg.spine.nhs.example/reliablemessaging/reliablerequest".into(),
            fqdn: "msg.spine.nhs.example".into(),
            cpa_id: "S20001A000182".into(),
            mhs_id: "200000000401".into(),
            reliability: Reliability::default(),
        };
        let item = m.item();
        assert_eq!((item.pk.as_str(), item.sk.as_str()), ("MHS#YES-0000806", format!("SVC#{REPC}").as_str()));
        assert_eq!(item.gsi1.as_ref().unwrap().sk, format!("{REPC}|YES-0000806"));
    }
}
