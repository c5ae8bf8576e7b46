//! `entitlements.v1.CatalogService`: the built-in plans (read-only) and custom plans.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{self, UpdateMask, pb_plan};
use super::error::{ApiError, FieldContext};
use super::guard::Caller;
use super::pb;
use super::pb::catalog_service_server::CatalogService;
use crate::domain::{Channel, Plan};
use crate::names::Name;
use crate::store::records::PlanPatch;
use crate::store::records::PlanRecord;
use crate::store::{Change, Store, StoreError};

/// The catalog service over a store.
#[derive(Debug, Clone)]
pub struct CatalogApi {
    /// Where plans live.
    store: Arc<dyn Store>,
}

impl CatalogApi {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        CatalogApi { store }
    }
}

const PLAN_OUTPUT_ONLY: &[&str] = &["name", "built_in", "etag", "create_time", "update_time"];
const PLAN_PATHS: &[&str] = &[
    "display_name",
    "benefits",
    "channels",
    "priority_terms",
    "designated_contact_limit",
];

/// Applies the `channels` field to a benefit set: each channel is its benefit.
fn with_channels(
    mut benefits: crate::domain::catalog::BenefitSet,
    channels: &[i32],
) -> Result<crate::domain::catalog::BenefitSet, ApiError> {
    for c in [Channel::Online, Channel::Phone] {
        benefits.remove(&c.benefit());
    }
    for (i, c) in channels.iter().enumerate() {
        benefits.insert(convert::channel(*c, &format!("plan.channels[{i}]"))?.benefit());
    }
    Ok(benefits)
}

#[tonic::async_trait]
impl CatalogService for CatalogApi {
    async fn get_plan(
        &self,
        request: Request<pb::GetPlanRequest>,
    ) -> Result<Response<pb::GetPlanResponse>, Status> {
        let r = request.into_inner();
        let id = convert::plan_id(&r.name, "name")?;
        let state = self.store.snapshot().read();
        let plan = state
            .plan(id)
            .ok_or_else(|| ApiError::from(StoreError::NotFound(Name::plan(id))))?;
        Ok(Response::new(pb::GetPlanResponse {
            plan: Some(pb_plan(plan)),
        }))
    }

    async fn list_plans(
        &self,
        request: Request<pb::ListPlansRequest>,
    ) -> Result<Response<pb::ListPlansResponse>, Status> {
        let r = request.into_inner();
        let page = convert::page(r.page_size, &r.page_token, "plans")?;
        let state = self.store.snapshot().read();
        let (plans, next_page_token) = convert::paginate(
            &page,
            state
                .plans_after(&page.after)
                .map(|p| (p.plan.id.clone(), pb_plan(p))),
        );
        Ok(Response::new(pb::ListPlansResponse {
            plans,
            next_page_token,
        }))
    }

    async fn create_plan(
        &self,
        request: Request<pb::CreatePlanRequest>,
    ) -> Result<Response<pb::CreatePlanResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CatalogService/CreatePlan", &r, &r.request_id)?;
        let id = convert::new_id(&r.plan_id, "plan_id")?;
        let p = r.plan.ok_or_else(|| ApiError::required("plan"))?;
        let benefits = convert::plan_benefits(&p.benefits, "plan.benefits")?;
        let benefits = if p.channels.is_empty() {
            benefits
        } else {
            with_channels(benefits, &p.channels)?
        };
        // The display name defaults to the plan ID (types.proto, Plan.display_name).
        let display_name = if p.display_name.is_empty() {
            id.to_owned()
        } else {
            convert::display_name(&p.display_name, "plan.display_name")?
        };
        let plan = Plan::new(
            id.to_owned(),
            display_name,
            benefits,
            convert::priority_terms(&p.priority_terms, "plan.priority_terms")?,
            convert::count(p.designated_contact_limit, "plan.designated_contact_limit")?,
        )
        .field("plan")?;
        let answer = caller
            .write(
                self.store.as_ref(),
                Change::CreatePlan(plan),
                |done: Result<PlanRecord, _>| {
                    Ok(pb::CreatePlanResponse {
                        plan: Some(pb_plan(&done?)),
                    })
                },
            )
            .await?;
        Ok(Response::new(answer))
    }

    async fn update_plan(
        &self,
        request: Request<pb::UpdatePlanRequest>,
    ) -> Result<Response<pb::UpdatePlanResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CatalogService/UpdatePlan", &r, &r.request_id)?;
        let p = r.plan.ok_or_else(|| ApiError::required("plan"))?;
        let id = convert::plan_id(&p.name, "plan.name")?.to_owned();
        let mask = UpdateMask::parse(&r.update_mask, PLAN_PATHS, PLAN_OUTPUT_ONLY)?;
        let mut patch = PlanPatch::default();
        if mask.wants("display_name", !p.display_name.is_empty()) {
            patch.display_name = Some(convert::display_name(&p.display_name, "plan.display_name")?);
        }
        let wants_benefits = mask.wants("benefits", !p.benefits.is_empty());
        let wants_channels = mask.wants("channels", !p.channels.is_empty());
        if wants_benefits || wants_channels {
            let base = if wants_benefits {
                convert::plan_benefits(&p.benefits, "plan.benefits")?
            } else {
                let state = self.store.snapshot().read();
                state
                    .plan(&id)
                    .map(|cur| cur.plan.benefits)
                    .ok_or_else(|| ApiError::from(StoreError::NotFound(Name::plan(&id))))?
            };
            patch.benefits = Some(if wants_channels {
                with_channels(base, &p.channels)?
            } else {
                base
            });
        }
        if mask.wants("priority_terms", !p.priority_terms.is_empty()) {
            patch.terms = Some(convert::terms_table(
                &p.priority_terms,
                "plan.priority_terms",
            )?);
        }
        if mask.wants("designated_contact_limit", p.designated_contact_limit != 0) {
            patch.designated_contact_limit = Some(convert::count(
                p.designated_contact_limit,
                "plan.designated_contact_limit",
            )?);
        }
        let change = Change::UpdatePlan {
            id,
            patch,
            etag: Some(p.etag.clone()),
        };
        let answer = caller
            .write(
                self.store.as_ref(),
                change,
                |done: Result<PlanRecord, _>| {
                    Ok(pb::UpdatePlanResponse {
                        plan: Some(pb_plan(&done?)),
                    })
                },
            )
            .await?;
        Ok(Response::new(answer))
    }
}
