//! `entitlements.v1.ContractService`: contracts, their designated contacts and their
//! revision history.

use std::sync::Arc;

use chrono::Utc;
use tonic::{Request, Response, Status};

use super::convert::{self, UpdateMask, pb_contract_record};
use super::error::ApiError;
use super::guard::{self, Caller};
use super::pb;
use super::pb::contract_service_server::ContractService;
use crate::domain::ContractOverrides;
use crate::names::Name;
use crate::store::records::ContractRecord;
use crate::store::records::{ContractPatch, OverridesPatch};
use crate::store::{Change, Store, StoreError};

/// The contract service over a store.
#[derive(Debug, Clone)]
pub struct ContractApi {
    /// Where contracts live.
    store: Arc<dyn Store>,
}

impl ContractApi {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        ContractApi { store }
    }

    /// Applies `change` for `caller`, whose principal the revision records (at most
    /// once per request id), and answers with `respond` given the contract written.
    async fn write<R: prost::Message + Default>(
        &self,
        caller: &Caller,
        change: Change,
        respond: impl Fn(Result<pb::Contract, ApiError>) -> Result<R, ApiError> + Send + Sync,
    ) -> Result<R, ApiError> {
        caller
            .write(
                self.store.as_ref(),
                change,
                |done: Result<ContractRecord, _>| respond(done.map(|c| pb_contract_record(&c))),
            )
            .await
    }
}

const CONTRACT_OUTPUT_ONLY: &[&str] = &[
    "name",
    "terminate_time",
    "designated_contacts",
    "version",
    "etag",
    "create_time",
    "update_time",
];
const CONTRACT_PATHS: &[&str] = &[
    "plan",
    "start_time",
    "end_time",
    "state",
    "overrides",
    "overrides.added_benefits",
    "overrides.removed_benefits",
    "overrides.priority_terms",
    "overrides.extra_designated_contacts",
    "technical_account_manager",
];

fn not_found(name: Name) -> ApiError {
    StoreError::NotFound(name).into()
}

/// `contract.plan` naming a plan that does not exist is INVALID_ARGUMENT naming that
/// field (types.proto), not NOT_FOUND.
fn plan_ref_error(e: ApiError) -> ApiError {
    match e {
        ApiError::Store(StoreError::NotFound(name @ Name::Plan(_))) => {
            ApiError::field("contract.plan", format!("{name} does not exist"))
        }
        e => e,
    }
}

/// The override sub-fields an update replaces: all of them for the `overrides` path,
/// else those whose own paths the mask names; `None` when it replaces none.
fn overrides_patch(
    mask: &UpdateMask,
    o: &Option<pb::ContractOverrides>,
) -> Result<Option<OverridesPatch>, ApiError> {
    let whole = mask.wants("overrides", o.is_some());
    let wants = |path: &str| whole || mask.wants(path, false);
    let paths = [
        "overrides.added_benefits",
        "overrides.removed_benefits",
        "overrides.priority_terms",
        "overrides.extra_designated_contacts",
    ];
    if !paths.into_iter().any(wants) {
        return Ok(None);
    }
    let ContractOverrides {
        added_benefits,
        removed_benefits,
        priority_terms,
        extra_designated_contacts,
    } = convert::overrides(o, "contract.overrides")?;
    Ok(Some(OverridesPatch {
        added_benefits: wants(paths[0]).then_some(added_benefits),
        removed_benefits: wants(paths[1]).then_some(removed_benefits),
        priority_terms: wants(paths[2]).then_some(priority_terms),
        extra_designated_contacts: wants(paths[3]).then_some(extra_designated_contacts),
    }))
}

#[tonic::async_trait]
impl ContractService for ContractApi {
    async fn create_contract(
        &self,
        request: Request<pb::CreateContractRequest>,
    ) -> Result<Response<pb::CreateContractResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("ContractService/CreateContract", &r, &r.request_id)?;
        let account = convert::account_id(&r.parent, "parent")?;
        let id = convert::new_id(&r.contract_id, "contract_id")?;
        let c = r
            .contract
            .as_ref()
            .ok_or_else(|| ApiError::required("contract"))?;
        let contract = convert::new_contract(account, id, c)?;
        let answer = self
            .write(&caller, Change::CreateContract(contract), |done| {
                Ok(pb::CreateContractResponse {
                    contract: Some(done.map_err(plan_ref_error)?),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn get_contract(
        &self,
        request: Request<pb::GetContractRequest>,
    ) -> Result<Response<pb::GetContractResponse>, Status> {
        let r = request.into_inner();
        let (account, id) = convert::contract_ids(&r.name, "name")?;
        let state = self.store.snapshot().read();
        let c = state
            .contract(account, id)
            .ok_or_else(|| not_found(Name::contract(account, id)))?;
        Ok(Response::new(pb::GetContractResponse {
            contract: Some(pb_contract_record(c)),
        }))
    }

    async fn update_contract(
        &self,
        request: Request<pb::UpdateContractRequest>,
    ) -> Result<Response<pb::UpdateContractResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("ContractService/UpdateContract", &r, &r.request_id)?;
        let c = r.contract.ok_or_else(|| ApiError::required("contract"))?;
        let (account, id) = convert::contract_ids(&c.name, "contract.name")?;
        let mask = UpdateMask::parse(&r.update_mask, CONTRACT_PATHS, CONTRACT_OUTPUT_ONLY)?;
        let mut patch = ContractPatch::default();
        if mask.wants("plan", !c.plan.is_empty()) {
            patch.plan_id = Some(convert::plan_id(&c.plan, "contract.plan")?.to_owned());
        }
        if mask.wants("start_time", c.start_time.is_some()) {
            patch.start = Some(convert::time(&c.start_time, "contract.start_time")?);
        }
        if mask.wants("end_time", c.end_time.is_some()) {
            patch.end = Some(convert::opt_time(&c.end_time, "contract.end_time")?);
        }
        if mask.wants("state", c.state != 0) {
            patch.state = Some(convert::contract_state(c.state, "contract.state")?);
        }
        if mask.wants(
            "technical_account_manager",
            c.technical_account_manager.is_some(),
        ) {
            patch.technical_account_manager = Some(convert::technical_account_manager(
                &c.technical_account_manager,
                "contract.technical_account_manager",
            )?);
        }
        patch.overrides = overrides_patch(&mask, &c.overrides)?;
        let change = Change::UpdateContract {
            account_id: account.to_owned(),
            id: id.to_owned(),
            patch,
            etag: Some(c.etag),
        };
        let answer = self
            .write(&caller, change, |done| {
                Ok(pb::UpdateContractResponse {
                    contract: Some(done.map_err(plan_ref_error)?),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn list_contracts(
        &self,
        request: Request<pb::ListContractsRequest>,
    ) -> Result<Response<pb::ListContractsResponse>, Status> {
        let r = request.into_inner();
        let account = convert::account_id(&r.parent, "parent")?;
        let page = convert::page(
            r.page_size,
            &r.page_token,
            &format!("contracts:{}", r.parent),
        )?;
        let state = self.store.snapshot().read();
        if state.account(account).is_none() {
            return Err(not_found(Name::account(account)).into());
        }
        // Ordered by start_time, then by name: the key is the start instant, mapped to a
        // fixed-width number that sorts like the signed timestamp, then the id.
        let key = |c: &crate::domain::Contract| {
            let start = (c.start.timestamp() as u64) ^ (1 << 63);
            format!("{start:020}/{}", c.id)
        };
        let mut list: Vec<_> = state
            .contracts_of(account)
            .map(|c| (key(&c.contract), c))
            .filter(|(k, _)| *k > page.after)
            .collect();
        list.sort_by(|a, b| a.0.cmp(&b.0));
        let (contracts, next_page_token) = convert::paginate(
            &page,
            list.into_iter().map(|(k, c)| (k, pb_contract_record(c))),
        );
        Ok(Response::new(pb::ListContractsResponse {
            contracts,
            next_page_token,
        }))
    }

    async fn terminate_contract(
        &self,
        request: Request<pb::TerminateContractRequest>,
    ) -> Result<Response<pb::TerminateContractResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller =
            caller.with_request_id("ContractService/TerminateContract", &r, &r.request_id)?;
        let (account, id) = convert::contract_ids(&r.name, "name")?;
        let at = convert::time_or(&r.terminate_time, "terminate_time", Utc::now())?;
        let change = Change::TerminateContract {
            account_id: account.to_owned(),
            id: id.to_owned(),
            at,
            etag: Some(r.etag.clone()),
        };
        let answer = self
            .write(&caller, change, |done| {
                Ok(pb::TerminateContractResponse {
                    contract: Some(done?),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn add_designated_contact(
        &self,
        request: Request<pb::AddDesignatedContactRequest>,
    ) -> Result<Response<pb::AddDesignatedContactResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller =
            caller.with_request_id("ContractService/AddDesignatedContact", &r, &r.request_id)?;
        let (account, id) = convert::contract_ids(&r.contract, "contract")?;
        let contact = convert::contact(&r.contact, Utc::now())?;
        let change = Change::AddContact {
            account_id: account.to_owned(),
            id: id.to_owned(),
            contact,
        };
        let answer = self
            .write(&caller, change, |done| {
                Ok(pb::AddDesignatedContactResponse {
                    contract: Some(done?),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn remove_designated_contact(
        &self,
        request: Request<pb::RemoveDesignatedContactRequest>,
    ) -> Result<Response<pb::RemoveDesignatedContactResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller =
            caller.with_request_id("ContractService/RemoveDesignatedContact", &r, &r.request_id)?;
        let (account, id) = convert::contract_ids(&r.contract, "contract")?;
        let email = r.email.trim().to_lowercase();
        if email.is_empty() {
            return Err(ApiError::required("email").into());
        }
        let change = Change::RemoveContact {
            account_id: account.to_owned(),
            id: id.to_owned(),
            email,
        };
        let answer = self
            .write(&caller, change, |done| {
                Ok(pb::RemoveDesignatedContactResponse {
                    contract: Some(done?),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn list_contract_revisions(
        &self,
        request: Request<pb::ListContractRevisionsRequest>,
    ) -> Result<Response<pb::ListContractRevisionsResponse>, Status> {
        let deadline = request.extensions().get::<guard::Deadline>().copied();
        let r = request.into_inner();
        let (account, id) = convert::contract_ids(&r.name, "name")?;
        let page = convert::page(r.page_size, &r.page_token, &format!("revisions:{}", r.name))?;
        let created = {
            let state = self.store.snapshot().read();
            state
                .contract(account, id)
                .ok_or_else(|| not_found(Name::contract(account, id)))?
                .created_at
        };
        let all = guard::within(deadline, self.store.revisions(account, id)).await?;
        let after: i64 = if page.after.is_empty() {
            0
        } else {
            page.after
                .parse()
                .map_err(|_| ApiError::field("page_token", "is not a token this service issued"))?
        };
        // Keys are zero-padded versions so that they sort like numbers.
        let (revisions, next_page_token) = convert::paginate(
            &page,
            all.iter().filter(|rev| rev.version > after).map(|rev| {
                (
                    format!("{:020}", rev.version),
                    convert::pb_revision(rev, created),
                )
            }),
        );
        Ok(Response::new(pb::ListContractRevisionsResponse {
            revisions,
            next_page_token,
        }))
    }
}
