//! `entitlements.v1.SlaService`: deadlines, case evaluation, business-time arithmetic
//! and premium obligations. Deadlines and evaluations are answered from memory.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tonic::{Request, Response, Status};

use super::batch::{check_batch, in_batch};
use super::convert::{self, contract_ref, opt_ts, pb_delta, pb_duration, ts};
use super::error::{ApiError, FieldContext};
use super::guard::Caller;
use super::pb;
use super::pb::sla_service_server::SlaService;
use crate::app::cases::{self, CaseAnswer, CaseError};
use crate::app::deadlines::{self, DeadlineAnswer, DeadlineError, DeadlineQuestion};
use crate::app::obligations;
use crate::domain::obligation::ObligationReport;
use crate::domain::{BusinessClock, Calendar, Completion, Contract, Milestone};
use crate::names::{ContractName, Name};
use crate::store::records::CompletionRecorded;
use crate::store::{Change, Store, StoreError};

/// The SLA service over a store.
#[derive(Debug, Clone)]
pub struct SlaApi {
    /// Where contracts and calendars live; read from memory only.
    store: Arc<dyn Store>,
}

/// Appends "; under {contract name} (version {v}, plan {p})" to an explanation
/// (in place: this is on every deadline's path).
fn push_under(text: &mut String, contract: &Contract) {
    text.push_str("; under ");
    ContractName::new(&contract.account_id, &contract.id).push_to(text);
    text.push_str(" (version ");
    // Writing into a `String` cannot fail.
    crate::domain::text::write_i64(text, contract.version).ok();
    for part in [", plan ", &contract.plan_id, ")"] {
        text.push_str(part);
    }
}

fn pb_obligation(r: &ObligationReport) -> pb::Obligation {
    pb::Obligation {
        kind: convert::pb_obligation_kind(r.kind),
        status: convert::pb_obligation_status(r.status),
        period_start_time: Some(ts(r.period_start)),
        period_end_time: Some(ts(r.period_end)),
        required_per_period: r.required as i32,
        completed_in_period: r.completed_in_period as i32,
        next_due_time: opt_ts(r.next_due),
        last_completion_time: opt_ts(r.last_completion),
    }
}

impl SlaApi {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        SlaApi { store }
    }

    /// One deadline; `now` is the default evaluate_time (shared by a batch).
    fn compute(
        &self,
        r: &pb::ComputeDeadlineRequest,
        now: DateTime<Utc>,
    ) -> Result<pb::ComputeDeadlineResponse, ApiError> {
        let span = crate::telemetry::sla::deadline_span();
        let _in_span = span.enter();
        let account = convert::account_id(&r.account, "account")?;
        let priority = convert::priority(r.priority, "priority")?;
        let opened = convert::time(&r.open_time, "open_time")?;
        let milestone = convert::milestone(r.milestone, "milestone")?;
        let start = match milestone {
            Milestone::FirstResponse => opened,
            Milestone::NextUpdate => {
                let last = convert::time(&r.last_response_time, "last_response_time")?;
                if last < opened {
                    return Err(ApiError::field(
                        "last_response_time",
                        "must not be before open_time",
                    ));
                }
                last
            }
        };
        let pauses = convert::pauses(&r.pauses, "pauses")?;
        let evaluate_time = convert::time_or(&r.evaluate_time, "evaluate_time", now)?;
        let question = DeadlineQuestion {
            account,
            priority,
            milestone,
            opened,
            start,
            pauses: &pauses,
            evaluate_time,
        };
        let state = self.store.snapshot().read();
        // A start near the end of the calendar's validity can put the due instant past it.
        let start_field = match milestone {
            Milestone::FirstResponse => "open_time",
            Milestone::NextUpdate => "last_response_time",
        };
        let answer = deadlines::compute(&state, &question).map_err(|e| match e {
            DeadlineError::Store(e) => ApiError::from(e),
            DeadlineError::Start(e) => ApiError::DomainIn {
                field: start_field.to_owned(),
                error: e,
            },
            DeadlineError::Domain(e) => ApiError::from(e),
        })?;
        let (contract, calendar, d, at_risk, escalation) = match answer {
            DeadlineAnswer::NoContract { reason, contract } => {
                crate::telemetry::sla::deadline_without_contract(
                    &span, &r.account, priority, milestone,
                );
                return Ok(pb::ComputeDeadlineResponse {
                    has_target: false,
                    explanation: format!(
                        "no target: {}",
                        crate::domain::entitlement::explain_denial(reason, contract, opened)
                    ),
                    evaluate_time: Some(ts(evaluate_time)),
                    ..Default::default()
                });
            }
            DeadlineAnswer::Due {
                contract,
                calendar,
                deadline,
                at_risk,
                escalation,
            } => (contract, calendar, deadline, at_risk, escalation),
        };
        crate::telemetry::sla::deadline_computed(&span, &r.account, contract, &d, evaluate_time);
        let has_target = d.target.is_some();
        Ok(pb::ComputeDeadlineResponse {
            has_target,
            due_time: opt_ts(d.due),
            clock: if has_target {
                convert::pb_clock(d.clock)
            } else {
                0
            },
            target: d.target.map(pb_duration),
            explanation: {
                let mut text = d.explanation(calendar, &pauses)?;
                push_under(&mut text, contract);
                text
            },
            contract: Some(contract_ref(contract)),
            at_risk: at_risk.as_ref().map(convert::pb_at_risk),
            escalation: Some(convert::pb_escalation(&escalation)),
            evaluate_time: Some(ts(evaluate_time)),
        })
    }

    /// The calendar a business-time request names or carries inline.
    fn calendar_source(
        &self,
        source: &Option<pb::add_business_time_request::CalendarSource>,
    ) -> Result<Arc<Calendar>, ApiError> {
        use pb::add_business_time_request::CalendarSource;
        match source {
            Some(CalendarSource::Calendar(name)) => {
                let id = convert::calendar_id(name, "calendar")?;
                let state = self.store.snapshot().read();
                state
                    .calendar(id)
                    .map(|c| c.calendar.clone())
                    .ok_or_else(|| StoreError::NotFound(Name::calendar(id)).into())
            }
            Some(CalendarSource::CalendarSpec(spec)) => {
                convert::shared_calendar(spec, "calendar_spec")
            }
            None => Err(ApiError::field(
                "calendar_source",
                "set calendar or calendar_spec",
            )),
        }
    }
}

fn between_source(
    s: &Option<pb::business_time_between_request::CalendarSource>,
) -> Option<pb::add_business_time_request::CalendarSource> {
    use pb::add_business_time_request::CalendarSource as A;
    use pb::business_time_between_request::CalendarSource as B;
    s.as_ref().map(|s| match s {
        B::Calendar(n) => A::Calendar(n.clone()),
        B::CalendarSpec(c) => A::CalendarSpec(c.clone()),
    })
}

/// EvaluateCase's answer for a case of account `account` (its resource name), evaluated
/// at `now`; also what GetCase answers for a tracked case.
pub(super) fn evaluation_response(
    account: &str,
    answer: &CaseAnswer<'_>,
    now: DateTime<Utc>,
) -> pb::EvaluateCaseResponse {
    let (contract, eval) = (answer.contract, &answer.evaluation);
    crate::telemetry::sla::case_evaluated(
        account,
        contract,
        eval.priority,
        &eval.milestones,
        eval.evaluated_at,
    );
    let milestones = eval
        .milestones
        .iter()
        .map(|m| pb::MilestoneEvaluation {
            milestone: convert::pb_milestone(m.milestone),
            sequence: m.sequence as i32,
            start_time: Some(ts(m.start)),
            due_time: opt_ts(m.due),
            status: convert::pb_milestone_status(m.status),
            event_time: opt_ts(m.event_at),
            margin: m.margin.map(pb_delta),
            clock: if m.target.is_some() {
                convert::pb_clock(m.clock)
            } else {
                0
            },
            target: m.target.map(pb_duration),
            explanation: match contract {
                Some(c) => {
                    let mut text = m.explanation.clone();
                    push_under(&mut text, c);
                    text
                }
                None => m.explanation.clone(),
            },
            at_risk: m.at_risk.as_ref().map(convert::pb_at_risk),
        })
        .collect();
    pb::EvaluateCaseResponse {
        priority: convert::pb_priority(eval.priority),
        milestones,
        contract: contract.map(contract_ref),
        evaluate_time: Some(ts(now)),
        escalation: answer.escalation.as_ref().map(convert::pb_escalation),
    }
}

/// A case evaluation's error, its timeline given in request field `field`.
pub(super) fn case_error(e: CaseError, field: &str) -> ApiError {
    match e {
        CaseError::Store(e) => ApiError::from(e),
        CaseError::Timeline(e) => ApiError::DomainIn {
            field: field.to_owned(),
            error: e,
        },
    }
}

#[tonic::async_trait]
impl SlaService for SlaApi {
    async fn compute_deadline(
        &self,
        request: Request<pb::ComputeDeadlineRequest>,
    ) -> Result<Response<pb::ComputeDeadlineResponse>, Status> {
        Ok(Response::new(self.compute(request.get_ref(), Utc::now())?))
    }

    async fn batch_compute_deadlines(
        &self,
        request: Request<pb::BatchComputeDeadlinesRequest>,
    ) -> Result<Response<pb::BatchComputeDeadlinesResponse>, Status> {
        let r = request.into_inner();
        check_batch(r.requests.len())?;
        let now = Utc::now();
        let responses = r
            .requests
            .iter()
            .enumerate()
            .map(|(i, q)| self.compute(q, now).map_err(|e| in_batch(i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Response::new(pb::BatchComputeDeadlinesResponse {
            responses,
        }))
    }

    async fn evaluate_case(
        &self,
        request: Request<pb::EvaluateCaseRequest>,
    ) -> Result<Response<pb::EvaluateCaseResponse>, Status> {
        let r = request.into_inner();
        let account = convert::account_id(&r.account, "account")?;
        let case = convert::case_timeline(&r.case, "case")?;
        let now = convert::time_or(&r.evaluate_time, "evaluate_time", Utc::now())?;
        if now < case.opened_at {
            return Err(
                ApiError::field("evaluate_time", "must not be before case.open_time").into(),
            );
        }
        let state = self.store.snapshot().read();
        let answer =
            cases::evaluate(&state, account, &case, now).map_err(|e| case_error(e, "case"))?;
        Ok(Response::new(evaluation_response(&r.account, &answer, now)))
    }

    async fn add_business_time(
        &self,
        request: Request<pb::AddBusinessTimeRequest>,
    ) -> Result<Response<pb::AddBusinessTimeResponse>, Status> {
        let r = request.into_inner();
        let calendar = self.calendar_source(&r.calendar_source)?;
        let start = convert::time(&r.start_time, "start_time")?;
        calendar.check_instant(start).in_field("start_time")?;
        let duration = convert::duration(&r.duration, "duration")?
            .ok_or_else(|| ApiError::required("duration"))?;
        // The start is valid: only a duration that runs past the window can fail here.
        let end = BusinessClock::Calendar(&calendar)
            .add(start, duration)
            .in_field("duration")?;
        Ok(Response::new(pb::AddBusinessTimeResponse {
            end_time: Some(ts(end)),
        }))
    }

    async fn business_time_between(
        &self,
        request: Request<pb::BusinessTimeBetweenRequest>,
    ) -> Result<Response<pb::BusinessTimeBetweenResponse>, Status> {
        let r = request.into_inner();
        let calendar = self.calendar_source(&between_source(&r.calendar_source))?;
        let start = convert::time(&r.start_time, "start_time")?;
        calendar.check_instant(start).in_field("start_time")?;
        let end = convert::time(&r.end_time, "end_time")?;
        calendar.check_instant(end).in_field("end_time")?;
        let d: TimeDelta = BusinessClock::Calendar(&calendar)
            .between(start, end)
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::BusinessTimeBetweenResponse {
            duration: Some(pb_delta(d)),
        }))
    }

    async fn get_obligations(
        &self,
        request: Request<pb::GetObligationsRequest>,
    ) -> Result<Response<pb::GetObligationsResponse>, Status> {
        let r = request.into_inner();
        let account = convert::account_id(&r.account, "account")?;
        let t = convert::time_or(&r.check_time, "check_time", Utc::now())?;
        let state = self.store.snapshot().read();
        let resp = match obligations::at(&state, account, t).map_err(ApiError::from)? {
            Some((contract, reports)) => pb::GetObligationsResponse {
                contract: Some(contract_ref(contract)),
                obligations: reports.iter().map(pb_obligation).collect(),
                check_time: Some(ts(t)),
            },
            None => pb::GetObligationsResponse {
                check_time: Some(ts(t)),
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn record_obligation_completion(
        &self,
        request: Request<pb::RecordObligationCompletionRequest>,
    ) -> Result<Response<pb::RecordObligationCompletionResponse>, Status> {
        let caller = Caller::of(&request);
        let r = request.into_inner();
        let caller =
            caller.with_request_id("SlaService/RecordObligationCompletion", &r, &r.request_id)?;
        let (account, id) = convert::contract_ids(&r.contract, "contract")?;
        let kind = convert::obligation_kind(r.kind, "kind")?;
        let now = Utc::now();
        let at = convert::time_or(&r.completion_time, "completion_time", now)?;
        if r.note.chars().count() > 2000 {
            return Err(ApiError::field("note", "must be at most 2000 characters").into());
        }
        let completion = Completion {
            kind,
            at,
            note: r.note.clone(),
        };
        let change = Change::RecordCompletion {
            account_id: account.to_owned(),
            id: id.to_owned(),
            completion: completion.clone(),
        };
        let answer = caller
            .write(
                self.store.as_ref(),
                change,
                |done: Result<CompletionRecorded, _>| {
                    let rec = done
                        .map_err(|e| match e {
                            // The only timeline check here is on completion_time (future, or
                            // outside the contract's period).
                            ApiError::Store(StoreError::Domain(
                                crate::domain::DomainError::InvalidTimeline(m),
                            )) => ApiError::field("completion_time", m),
                            e => e,
                        })?
                        .contract;
                    let state = self.store.snapshot().read();
                    let report = obligations::after_recording(&state, &rec, &completion, now);
                    Ok(pb::RecordObligationCompletionResponse {
                        obligation: Some(pb_obligation(&report)),
                        contract: Some(contract_ref(&rec.contract)),
                    })
                },
            )
            .await?;
        Ok(Response::new(answer))
    }
}
