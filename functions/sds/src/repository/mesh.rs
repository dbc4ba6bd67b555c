//! MESH mailboxes, for the MESH service: a mailbox by id (authentication), an organisation's
//! mailboxes, and MESH's endpoint lookup (ODS code + workflow id → the mailboxes that take it).

use spine_shared::SpineResult;
use spine_shared::ports::{Index, KeyCondition, Query};

use super::DirectoryRepository;
use crate::model::{
    MAILBOX_SK, MeshMailbox, decode, id_of_index_sk, mailbox_pk, mesh_route_pk, mesh_workflow_pk, org_mailbox_pk,
};

impl DirectoryRepository {
    pub async fn mesh_mailbox(&self, id: &str) -> SpineResult<Option<MeshMailbox>> {
        match self.store().get(&mailbox_pk(id), MAILBOX_SK).await? {
            Some(item) => Ok(Some(decode(&item.data)?)),
            None => Ok(None),
        }
    }

    /// Every mailbox of an organisation, by id.
    pub async fn mesh_mailboxes_of(&self, ods: &str) -> SpineResult<Vec<MeshMailbox>> {
        let items = self.query_all(Query::new(Index::Gsi1, org_mailbox_pk(ods), KeyCondition::All)).await?;
        items.iter().map(|i| decode(&i.data)).collect()
    }

    /// MESH endpoint lookup: the mailboxes of `ods` that take `workflow`, by id. A workflow id
    /// holding `|` names no workflow.
    pub async fn mesh_mailboxes(&self, ods: &str, workflow: &str) -> SpineResult<Vec<MeshMailbox>> {
        if workflow.is_empty() || workflow.contains('|') {
            return Ok(Vec::new());
        }
        let q = Query::new(Index::Gsi1, mesh_route_pk(ods), KeyCondition::BeginsWith(format!("{workflow}|")));
        let keys = self
            .query_all(q)
            .await?
            .into_iter()
            .filter_map(|i| i.gsi1.map(|k| (mailbox_pk(id_of_index_sk(&k.sk)), MAILBOX_SK.to_owned())))
            .collect();
        self.mailboxes_by_key(keys).await
    }

    /// MESH workflow search: every mailbox that takes `workflow`, by id.
    pub async fn mesh_mailboxes_for_workflow(&self, workflow: &str) -> SpineResult<Vec<MeshMailbox>> {
        if workflow.is_empty() {
            return Ok(Vec::new());
        }
        let q = Query::new(Index::Gsi2, mesh_workflow_pk(workflow), KeyCondition::All);
        let keys = self
            .query_all(q)
            .await?
            .into_iter()
            .filter_map(|i| i.gsi2.map(|k| (mailbox_pk(&k.sk), MAILBOX_SK.to_owned())))
            .collect();
        self.mailboxes_by_key(keys).await
    }

    async fn mailboxes_by_key(&self, keys: Vec<(String, String)>) -> SpineResult<Vec<MeshMailbox>> {
        let mut out: Vec<MeshMailbox> =
            self.fetch(keys).await?.iter().map(|i| decode(&i.data)).collect::<SpineResult<_>>()?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}
