//! `entitlements.v1.CaseService`: tracked cases. Parses requests into the use cases'
//! changes and queries (`app::cases`, `app::case_list`) and answers from what they
//! decide; a case's status and evaluation come from the snapshot.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use prost_types::Timestamp;
use tonic::{Request, Response, Status};

use super::convert::{self, CASE_OUTPUT_ONLY, CASE_PATHS, UpdateMask, pb_case};
use super::error::ApiError;
use super::guard::Caller;
use super::pb;
use super::pb::case_service_server::CaseService;
use super::sla::{case_error, evaluation_response};
use crate::app::case_list::{self, standing};
use crate::app::cases;
use crate::domain::{CaseMove, DomainError};
use crate::names::{AccountName, CaseName, Name};
use crate::store::cases::CaseRecord;
use crate::store::records::{CaseAt, Deleted};
use crate::store::{Change, State, Store, StoreError};

/// The case service over a store.
#[derive(Debug, Clone)]
pub struct CaseApi {
    /// Where cases live; open ones are answered from memory.
    store: Arc<dyn Store>,
}

/// A timeline rule a write broke, reported on the request field that carried the
/// timeline (`case.timeline`).
fn in_timeline(e: ApiError, field: &str) -> ApiError {
    match e {
        ApiError::Store(StoreError::Domain(error)) => ApiError::DomainIn {
            field: field.to_owned(),
            error,
        },
        e => e,
    }
}

/// A timeline rule a move broke, reported on the request field that carried the
/// move's instant (`update_time`): that instant is the only input.
fn in_move(e: ApiError, field: &str) -> ApiError {
    match e {
        ApiError::Store(StoreError::Domain(
            DomainError::CaseEventOutOfOrder { message, .. }
            | DomainError::InvalidTimeline(message),
        )) => ApiError::field(field, message),
        e => e,
    }
}

impl CaseApi {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        CaseApi { store }
    }

    /// A case on the wire with its status now.
    fn pb_now(&self, rec: &CaseRecord) -> pb::Case {
        let now = Utc::now();
        let state = self.store.snapshot().read();
        let (status, next_due) = standing(&state, rec, now);
        pb_case(rec, status, next_due, now)
    }

    /// The case a write is about: named, and read through when the snapshot does not
    /// hold it (a resolved case in the Postgres store).
    async fn case_at(&self, name: CaseName<'_>) -> Result<CaseAt, ApiError> {
        let held = self
            .store
            .snapshot()
            .read()
            .case(name.account, name.id)
            .is_some();
        let read_through = if held {
            None
        } else {
            self.store
                .read_case(name.account, name.id)
                .await?
                .map(Box::new)
        };
        Ok(CaseAt {
            account_id: name.account.to_owned(),
            id: name.id.to_owned(),
            read_through,
        })
    }

    /// One of the small moves: on the case `name` names, at the instant `time` (now by
    /// default) given in request field `field`.
    async fn step(
        &self,
        caller: &Caller,
        name: &str,
        field: &str,
        time: &Option<Timestamp>,
        step: impl FnOnce(DateTime<Utc>) -> CaseMove,
    ) -> Result<pb::Case, ApiError> {
        let name = convert::case_name(name, "name")?;
        let at = convert::time_or(time, field, Utc::now())?;
        let change = Change::MoveCase {
            case: self.case_at(name).await?,
            step: step(at),
        };
        caller
            .write(
                self.store.as_ref(),
                change,
                |done: Result<CaseRecord, _>| {
                    Ok(self.pb_now(&done.map_err(|e| in_move(e, field))?))
                },
            )
            .await
    }
}

/// GetCase's answer for `rec`, evaluated at `now` against `state`.
fn get_answer(
    state: &State,
    name: CaseName<'_>,
    rec: &CaseRecord,
    now: DateTime<Utc>,
) -> Result<pb::GetCaseResponse, ApiError> {
    if now < rec.timeline.opened_at() {
        return Err(ApiError::field(
            "evaluate_time",
            "must not be before the case's timeline.open_time",
        ));
    }
    let answer = cases::evaluate(state, name.account, &rec.case_timeline(), now)
        .map_err(|e| case_error(e, "case.timeline"))?;
    let resolved = rec.timeline.resolved_at().is_some_and(|t| t <= now);
    let case = pb_case(
        rec,
        Some(answer.evaluation.status()),
        answer.next_due(resolved),
        now,
    );
    let account = AccountName { id: name.account }.to_string();
    Ok(pb::GetCaseResponse {
        case: Some(case),
        evaluation: Some(evaluation_response(&account, &answer, now)),
    })
}

#[tonic::async_trait]
impl CaseService for CaseApi {
    async fn create_case(
        &self,
        request: Request<pb::CreateCaseRequest>,
    ) -> Result<Response<pb::CreateCaseResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CaseService/CreateCase", &r, &r.request_id)?;
        let account_id = convert::account_id(&r.parent, "parent")?.to_owned();
        let id = convert::new_id(&r.case_id, "case_id")?.to_owned();
        let c = r.case.as_ref().ok_or_else(|| ApiError::required("case"))?;
        let change = Change::CreateCase {
            account_id,
            id,
            external_reference: convert::external_reference(
                &c.external_reference,
                "case.external_reference",
            )?,
            timeline: convert::case_timeline(&c.timeline, "case.timeline")?,
        };
        let case = caller
            .write(
                self.store.as_ref(),
                change,
                |done: Result<CaseRecord, _>| {
                    Ok(self.pb_now(&done.map_err(|e| in_timeline(e, "case.timeline"))?))
                },
            )
            .await?;
        Ok(Response::new(pb::CreateCaseResponse { case: Some(case) }))
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::GetCaseResponse>, Status> {
        let r = request.into_inner();
        let name = convert::case_name(&r.name, "name")?;
        let now = convert::time_or(&r.evaluate_time, "evaluate_time", Utc::now())?;
        // An open case is answered in place, under the snapshot's read lock; a case the
        // snapshot does not hold (resolved, Postgres store) is read through first.
        let answer = {
            let state = self.store.snapshot().read();
            state
                .case(name.account, name.id)
                .map(|rec| get_answer(&state, name, rec, now))
        };
        let answer = match answer {
            Some(answer) => answer,
            None => {
                let rec = self
                    .store
                    .read_case(name.account, name.id)
                    .await
                    .map_err(ApiError::from)?
                    .ok_or_else(|| ApiError::from(StoreError::NotFound(Name::from(name))))?;
                let state = self.store.snapshot().read();
                get_answer(&state, name, &rec, now)
            }
        };
        Ok(Response::new(answer?))
    }

    async fn update_case(
        &self,
        request: Request<pb::UpdateCaseRequest>,
    ) -> Result<Response<pb::UpdateCaseResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CaseService/UpdateCase", &r, &r.request_id)?;
        let c = r.case.as_ref().ok_or_else(|| ApiError::required("case"))?;
        let name = convert::case_name(&c.name, "case.name")?;
        if c.etag.is_empty() {
            return Err(ApiError::required("case.etag").into());
        }
        let mask = UpdateMask::parse(&r.update_mask, CASE_PATHS, CASE_OUTPUT_ONLY)?;
        let patch = convert::case_patch(c, &mask)?;
        let change = Change::UpdateCase {
            case: self.case_at(name).await?,
            patch,
            etag: c.etag.clone(),
        };
        let case = caller
            .write(
                self.store.as_ref(),
                change,
                |done: Result<CaseRecord, _>| {
                    Ok(self.pb_now(&done.map_err(|e| in_timeline(e, "case.timeline"))?))
                },
            )
            .await?;
        Ok(Response::new(pb::UpdateCaseResponse { case: Some(case) }))
    }

    async fn delete_case(
        &self,
        request: Request<pb::DeleteCaseRequest>,
    ) -> Result<Response<pb::DeleteCaseResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CaseService/DeleteCase", &r, &r.request_id)?;
        let name = convert::case_name(&r.name, "name")?;
        let change = Change::DeleteCase {
            case: self.case_at(name).await?,
            etag: Some(r.etag.clone()),
        };
        let answer = caller
            .write(self.store.as_ref(), change, |done: Result<Deleted, _>| {
                done.map(|_| pb::DeleteCaseResponse {})
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let r = request.into_inner();
        let parent = convert::account_parent(&r.parent, "parent")?;
        let filter = convert::case_filter(&r.filter)?;
        let order_by = r.order_by.trim();
        if !order_by.is_empty() && order_by != "next_due_time" {
            return Err(ApiError::field(
                "order_by",
                "cases are listed by next_due_time only; leave it empty or say next_due_time",
            )
            .into());
        }
        // A token is bound to the parent and the filter it was issued for.
        let scope = format!("cases:{parent}:{filter:?}");
        let page = convert::page(r.page_size, &r.page_token, &scope)?;
        let from = convert::position(&page.after)?;
        let now = Utc::now();
        let listed = case_list::list(self.store.as_ref(), parent, &filter, from, page.size, now)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::ListCasesResponse {
            cases: listed
                .cases
                .iter()
                .map(|l| pb_case(&l.record, l.status, l.next_due, now))
                .collect(),
            next_page_token: listed
                .next
                .map(|p| page.token_after(&convert::position_key(&p)))
                .unwrap_or_default(),
        }))
    }

    async fn record_first_response(
        &self,
        request: Request<pb::RecordFirstResponseRequest>,
    ) -> Result<Response<pb::RecordFirstResponseResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller =
            caller.with_request_id("CaseService/RecordFirstResponse", &r, &r.request_id)?;
        let case = self
            .step(
                &caller,
                &r.name,
                "first_response_time",
                &r.first_response_time,
                CaseMove::FirstResponse,
            )
            .await?;
        Ok(Response::new(pb::RecordFirstResponseResponse {
            case: Some(case),
        }))
    }

    async fn record_update(
        &self,
        request: Request<pb::RecordUpdateRequest>,
    ) -> Result<Response<pb::RecordUpdateResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CaseService/RecordUpdate", &r, &r.request_id)?;
        let case = self
            .step(
                &caller,
                &r.name,
                "update_time",
                &r.update_time,
                CaseMove::Update,
            )
            .await?;
        Ok(Response::new(pb::RecordUpdateResponse { case: Some(case) }))
    }

    async fn pause_case(
        &self,
        request: Request<pb::PauseCaseRequest>,
    ) -> Result<Response<pb::PauseCaseResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CaseService/PauseCase", &r, &r.request_id)?;
        let case = self
            .step(
                &caller,
                &r.name,
                "pause_time",
                &r.pause_time,
                CaseMove::Pause,
            )
            .await?;
        Ok(Response::new(pb::PauseCaseResponse { case: Some(case) }))
    }

    async fn resume_case(
        &self,
        request: Request<pb::ResumeCaseRequest>,
    ) -> Result<Response<pb::ResumeCaseResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CaseService/ResumeCase", &r, &r.request_id)?;
        let case = self
            .step(
                &caller,
                &r.name,
                "resume_time",
                &r.resume_time,
                CaseMove::Resume,
            )
            .await?;
        Ok(Response::new(pb::ResumeCaseResponse { case: Some(case) }))
    }

    async fn change_case_priority(
        &self,
        request: Request<pb::ChangeCasePriorityRequest>,
    ) -> Result<Response<pb::ChangeCasePriorityResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CaseService/ChangeCasePriority", &r, &r.request_id)?;
        let priority = convert::priority(r.priority, "priority")?;
        let case = self
            .step(&caller, &r.name, "change_time", &r.change_time, |t| {
                CaseMove::ChangePriority(t, priority)
            })
            .await?;
        Ok(Response::new(pb::ChangeCasePriorityResponse {
            case: Some(case),
        }))
    }

    async fn resolve_case(
        &self,
        request: Request<pb::ResolveCaseRequest>,
    ) -> Result<Response<pb::ResolveCaseResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller = caller.with_request_id("CaseService/ResolveCase", &r, &r.request_id)?;
        let case = self
            .step(
                &caller,
                &r.name,
                "resolve_time",
                &r.resolve_time,
                CaseMove::Resolve,
            )
            .await?;
        Ok(Response::new(pb::ResolveCaseResponse { case: Some(case) }))
    }
}
