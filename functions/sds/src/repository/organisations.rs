//! Organisations: one by ODS code, and searches by type, name prefix and postcode. A search reads
//! the one index partition that narrows it most — a postcode (full, then district), else a name
//! prefix (on the type index when a type is given), else the type — and filters the rest from the
//! sort key or the record. It counts every match for `total` and returns the first `count` by name.

use spine_shared::SpineResult;
use spine_shared::ports::{Index, KeyCondition, Query};

use super::DirectoryRepository;
use crate::model::{
    ORG_SK, OrgType, Organisation, decode, id_of_index_sk, org_name_pk, org_pk, org_postcode_pk, org_type_pk,
};
use crate::values::Postcode;

/// A parsed organisation search; at least one criterion is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSearch {
    pub kind: Option<OrgType>,
    /// A folded name prefix.
    pub name: Option<String>,
    pub postcode: Option<Postcode>,
    pub count: usize,
}

/// What a search found: how many matched, and the first `count` of them by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPage {
    pub total: usize,
    pub organisations: Vec<Organisation>,
}

impl DirectoryRepository {
    pub async fn organisation(&self, ods: &str) -> SpineResult<Option<Organisation>> {
        match self.store().get(&org_pk(ods), ORG_SK).await? {
            Some(item) => Ok(Some(decode(&item.data)?)),
            None => Ok(None),
        }
    }

    pub async fn search_organisations(&self, s: &OrgSearch) -> SpineResult<OrgPage> {
        if let Some(postcode) = &s.postcode {
            return self.by_postcode(s, postcode).await;
        }
        match (&s.name, s.kind) {
            (Some(name), None) => {
                let q = Query::new(Index::Gsi1, org_name_pk(name), KeyCondition::BeginsWith(name.clone()));
                let orgs = self.records(q).await?;
                Ok(page(orgs, s.count))
            }
            (name, Some(kind)) => {
                let sk = name.as_ref().map_or(KeyCondition::All, |n| KeyCondition::BeginsWith(n.clone()));
                let keys = self.query_all(Query::new(Index::Gsi1, org_type_pk(kind), sk)).await?;
                let total = keys.len();
                let wanted = keys
                    .iter()
                    .filter_map(|i| i.gsi1.as_ref())
                    .take(s.count)
                    .map(|k| (org_pk(id_of_index_sk(&k.sk)), ORG_SK.to_owned()))
                    .collect();
                let mut orgs = Vec::new();
                for item in self.fetch(wanted).await? {
                    orgs.push(decode::<Organisation>(&item.data)?);
                }
                Ok(OrgPage { total, organisations: sorted(orgs) })
            }
            (None, None) => Ok(OrgPage { total: 0, organisations: Vec::new() }),
        }
    }

    async fn by_postcode(&self, s: &OrgSearch, postcode: &Postcode) -> SpineResult<OrgPage> {
        let sk = match (&postcode.full, &s.name) {
            (Some(full), Some(name)) => KeyCondition::BeginsWith(format!("{full}|{name}")),
            (Some(full), None) => KeyCondition::BeginsWith(format!("{full}|")),
            (None, _) => KeyCondition::All,
        };
        let orgs = self.records(Query::new(Index::Gsi2, org_postcode_pk(&postcode.district), sk)).await?;
        let orgs = orgs
            .into_iter()
            .filter(|o| s.kind.is_none_or(|k| o.kind == k))
            .filter(|o| s.name.as_ref().is_none_or(|n| o.folded_name().starts_with(n.as_str())))
            .collect();
        Ok(page(orgs, s.count))
    }

    /// The organisation records an index query on record items returns.
    async fn records(&self, q: Query) -> SpineResult<Vec<Organisation>> {
        let mut out = Vec::new();
        for item in self.query_all(q).await? {
            if item.sk == ORG_SK {
                out.push(decode(&item.data)?);
            }
        }
        Ok(out)
    }
}

fn sorted(mut orgs: Vec<Organisation>) -> Vec<Organisation> {
    orgs.sort_by_cached_key(|o| (o.folded_name(), o.ods.clone()));
    orgs
}

fn page(orgs: Vec<Organisation>, count: usize) -> OrgPage {
    let total = orgs.len();
    let mut organisations = sorted(orgs);
    organisations.truncate(count);
    OrgPage { total, organisations }
}
