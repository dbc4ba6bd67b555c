//! `GET /Organization?type=&name=&address-postalcode=&_count=`: a searchset Bundle of the
//! organisations matching every parameter given, by name; `total` counts them all.

use async_trait::async_trait;
use spine_shared::SpineResult;
use spine_shared::pipeline::{ApiRequest, ApiResponse, Handler};

use super::{SdsContext, org_params};
use crate::fhir::organization::organization;
use crate::fhir::{searchset, self_url};

pub struct SearchOrganizations(pub SdsContext);

#[async_trait]
impl Handler for SearchOrganizations {
    async fn handle(&self, req: &ApiRequest) -> SpineResult<ApiResponse> {
        let search = org_params::parse(&req.query)?;
        let found = self.0.repo.search_organisations(&search).await?;
        let entries =
            found.organisations.iter().map(|o| (self.0.url("Organization", Some(&o.ods)), organization(o))).collect();
        let link = self_url(&self.0.url("Organization", None), &req.query);
        Ok(ApiResponse::fhir_json(200, &searchset(entries, found.total, &link)))
    }
}
