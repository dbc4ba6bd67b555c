//! MESH mailboxes: each belongs to one organisation and takes part in some workflows. MESH's
//! endpoint lookup (ODS code + workflow id → mailbox ids) is one query on `MESHROUTE#<ods>`, its
//! workflow search (workflow id → mailbox ids) one on `MESHWORKFLOW#<workflow>`.

use serde::{Deserialize, Serialize};
use spine_shared::ports::{IndexKey, Item};

use super::{
    MAILBOX_SK, encode, mailbox_pk, mesh_route_pk, mesh_route_sk, mesh_workflow_pk, org_mailbox_pk, workflow_sk,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeshMailbox {
    /// The mailbox id (`Y12345HC001`).
    pub id: String,
    pub ods: String,
    pub description: String,
    /// The workflow ids the mailbox sends and receives (`PATH_MEDRPT_V3`, `TEST_WORKFLOW`).
    pub workflows: Vec<String>,
}

impl MeshMailbox {
    /// The record (indexed by organisation) and one routing item per workflow.
    pub fn items(&self) -> Vec<Item> {
        let pk = mailbox_pk(&self.id);
        let mut items = vec![
            Item::new(pk.clone(), MAILBOX_SK, encode(self))
                .with_gsi1(IndexKey::new(org_mailbox_pk(&self.ods), self.id.clone())),
        ];
        for w in &self.workflows {
            items.push(
                Item::new(pk.clone(), workflow_sk(w), Vec::new())
                    .with_gsi1(IndexKey::new(mesh_route_pk(&self.ods), mesh_route_sk(w, &self.id)))
                    .with_gsi2(IndexKey::new(mesh_workflow_pk(w), self.id.clone())),
            );
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_is_routed_by_organisation_and_workflow() {
        let m = MeshMailbox {
            id: "Y12345HC001".into(),
            ods: "Y12345".into(),
            description: "Boar Lane Medical Centre".into(),
            workflows: vec!["PATH_MEDRPT_V3".into(), "TEST_WORKFLOW".into()],
        };
        let items = m.items();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].gsi1.as_ref().unwrap().pk, "ORGMAILBOX#Y12345");
        let route = items[1].gsi1.as_ref().unwrap();
        assert_eq!((route.pk.as_str(), route.sk.as_str()), ("MESHROUTE#Y12345", "PATH_MEDRPT_V3|Y12345HC001"));
    }
}
