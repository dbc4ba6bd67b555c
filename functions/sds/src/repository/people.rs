//! People and role profiles: a person with all their role profiles (one query of their
//! partition), a role profile by its id (what `NHSD-Session-URID` names), and an organisation's
//! staff.

use spine_shared::SpineResult;
use spine_shared::ports::{Index, KeyCondition, Query};

use super::DirectoryRepository;
use crate::model::{
    PERSON_SK, Person, ROLE_GSI2_SK, ROLE_PREFIX, RoleProfile, decode, org_staff_pk, person_pk, role_profile_pk,
};

impl DirectoryRepository {
    /// A person and their role profiles.
    pub async fn person(&self, user_id: &str) -> SpineResult<Option<(Person, Vec<RoleProfile>)>> {
        let items = self.query_all(Query::new(Index::Table, person_pk(user_id), KeyCondition::All)).await?;
        let mut person = None;
        let mut roles = Vec::new();
        for item in items {
            if item.sk == PERSON_SK {
                person = Some(decode::<Person>(&item.data)?);
            } else if item.sk.starts_with(ROLE_PREFIX) {
                roles.push(decode::<RoleProfile>(&item.data)?);
            }
        }
        Ok(person.map(|p| (p, roles)))
    }

    /// The role profile with this id.
    pub async fn role_profile(&self, role_id: &str) -> SpineResult<Option<RoleProfile>> {
        let q = Query::new(Index::Gsi2, role_profile_pk(role_id), KeyCondition::Equals(ROLE_GSI2_SK.to_owned()));
        match self.query_all(q).await?.into_iter().next() {
            Some(item) => Ok(Some(decode(&item.data)?)),
            None => Ok(None),
        }
    }

    /// The role profiles at an organisation, by job role.
    pub async fn staff(&self, ods: &str) -> SpineResult<Vec<RoleProfile>> {
        let items = self.query_all(Query::new(Index::Gsi1, org_staff_pk(ods), KeyCondition::All)).await?;
        items.iter().map(|i| decode(&i.data)).collect()
    }
}
