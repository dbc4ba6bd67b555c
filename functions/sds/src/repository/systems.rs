//! Accredited systems (the Device lookup: organisation + interaction, narrowed by party key and
//! manufacturer) and MHS records (the Endpoint lookup: by party key, or by organisation and
//! interaction).

use spine_shared::SpineResult;
use spine_shared::ports::{Index, KeyCondition, Query};

use super::DirectoryRepository;
use crate::model::{
    AS_SK, AccreditedSystem, MhsRecord, SVC_PREFIX, as_pk, as_service_pk, decode, id_of_index_sk, mhs_org_pk, mhs_pk,
    svc_sk,
};

/// What a Device lookup asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceQuery {
    pub ods: String,
    pub interaction: String,
    pub party_key: Option<String>,
    pub manufacturer: Option<String>,
}

/// What an Endpoint lookup asks for: an organisation and an interaction, or a party key with
/// either or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointQuery {
    pub ods: Option<String>,
    pub interaction: Option<String>,
    pub party_key: Option<String>,
}

impl DirectoryRepository {
    /// The accredited systems of an organisation that take part in an interaction, by ASID.
    pub async fn devices(&self, q: &DeviceQuery) -> SpineResult<Vec<AccreditedSystem>> {
        let index =
            Query::new(Index::Gsi1, as_service_pk(&q.ods), KeyCondition::BeginsWith(format!("{}|", q.interaction)));
        let keys = self
            .query_all(index)
            .await?
            .into_iter()
            .filter_map(|i| i.gsi1.map(|k| (as_pk(id_of_index_sk(&k.sk)), AS_SK.to_owned())))
            .collect();
        let mut out = Vec::new();
        for item in self.fetch(keys).await? {
            let a: AccreditedSystem = decode(&item.data)?;
            let party_ok = q.party_key.as_ref().is_none_or(|p| a.party_key.as_ref() == Some(p));
            let maker_ok = q.manufacturer.as_ref().is_none_or(|m| &a.manufacturer == m);
            if party_ok && maker_ok {
                out.push(a);
            }
        }
        out.sort_by(|a, b| a.asid.cmp(&b.asid));
        Ok(out)
    }

    /// The accredited system with this ASID.
    pub async fn device(&self, asid: &str) -> SpineResult<Option<AccreditedSystem>> {
        match self.store().get(&as_pk(asid), AS_SK).await? {
            Some(item) => Ok(Some(decode(&item.data)?)),
            None => Ok(None),
        }
    }

    /// The MHS records matching the lookup, by party key and interaction.
    pub async fn endpoints(&self, q: &EndpointQuery) -> SpineResult<Vec<MhsRecord>> {
        let query = match (&q.party_key, &q.interaction, &q.ods) {
            (Some(party), Some(interaction), _) => {
                Query::new(Index::Table, mhs_pk(party), KeyCondition::Equals(svc_sk(interaction)))
            }
            (Some(party), None, _) => {
                Query::new(Index::Table, mhs_pk(party), KeyCondition::BeginsWith(SVC_PREFIX.to_owned()))
            }
            (None, Some(interaction), Some(ods)) => {
                Query::new(Index::Gsi1, mhs_org_pk(ods), KeyCondition::BeginsWith(format!("{interaction}|")))
            }
            (None, _, _) => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        for item in self.query_all(query).await? {
            let m: MhsRecord = decode(&item.data)?;
            if q.ods.as_ref().is_none_or(|o| &m.ods == o) {
                out.push(m);
            }
        }
        out.sort_by(|a, b| (&a.party_key, &a.interaction).cmp(&(&b.party_key, &b.interaction)));
        Ok(out)
    }
}
