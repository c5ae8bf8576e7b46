//! `entitlements.v1.SlaService`: deadlines, case evaluation, business-time arithmetic
//! and premium obligations. Deadlines and evaluations are answered from memory.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tonic::{Request, Response, Status};

use super::convert::{self, contract_ref, opt_ts, pb_delta, pb_duration, ts};
use super::entitlement::{check_batch, in_batch};
use super::error::{ApiError, FieldContext};
use super::guard::Caller;
use super::pb;
use super::pb::sla_service_server::SlaService;
use crate::domain::entitlement::InForce;
use crate::domain::obligation::{ObligationReport, report};
use crate::domain::sla::at_risk::assess_deadline;
use crate::domain::{
    BusinessClock, Calendar, CaseTimeline, Completion, Contract, EscalationPath, Milestone,
    ObligationKind, deadline, evaluate_case,
};
use crate::names::{ContractName, Name};
use crate::store::{Applied, Change, State, Store, StoreError};

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

/// The time zone obligation periods are counted in: the account's own.
fn account_zone(state: &State, account_id: &str) -> chrono_tz::Tz {
    state
        .account(account_id)
        .map_or(chrono_tz::Tz::UTC, |a| a.office_hours.zone().tz())
}

/// Every obligation a contract's terms carry, reported at `t`.
fn obligations(
    state: &State,
    contract: &Contract,
    benefits: &crate::domain::Terms,
    t: DateTime<Utc>,
) -> Vec<pb::Obligation> {
    let completions = state.completions(&contract.account_id, &contract.id);
    let zone = account_zone(state, &contract.account_id);
    ObligationKind::ALL
        .into_iter()
        .filter(|k| benefits.benefits.contains(&k.benefit()))
        .map(|k| {
            pb_obligation(&report(
                k,
                zone,
                contract.start,
                contract.effective_end(),
                completions,
                t,
            ))
        })
        .collect()
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
        let state = self.store.snapshot().read();
        let (account_rec, in_force) = state.in_force(account, opened)?;
        let (contract, terms) = match in_force {
            InForce::Effective { contract, terms } => (contract, terms),
            InForce::Denied { reason, contract } => {
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
        };
        let calendar = state.account_calendar(account_rec);
        let pterms = terms.for_priority(priority);
        // A start near the end of the calendar's validity can put the due instant past it.
        let start_field = match milestone {
            Milestone::FirstResponse => "open_time",
            Milestone::NextUpdate => "last_response_time",
        };
        let d = deadline(pterms, milestone, calendar, start, &pauses).in_field(start_field)?;
        crate::telemetry::sla::deadline_computed(&span, &r.account, contract, &d, evaluate_time);
        let at_risk = assess_deadline(&d, &pterms.at_risk, calendar, &pauses, evaluate_time)?;
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
            escalation: Some(convert::pb_escalation(&EscalationPath::of(
                contract, &terms,
            ))),
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

fn case_timeline(c: &Option<pb::CaseTimeline>) -> Result<CaseTimeline, ApiError> {
    let c = c.as_ref().ok_or_else(|| ApiError::required("case"))?;
    let mut priority_changes = Vec::with_capacity(c.priority_changes.len());
    for (i, p) in c.priority_changes.iter().enumerate() {
        let f = format!("case.priority_changes[{i}]");
        priority_changes.push((
            convert::time(&p.change_time, &format!("{f}.change_time"))?,
            convert::priority(p.priority, &format!("{f}.priority"))?,
        ));
    }
    let updates = c
        .update_times
        .iter()
        .enumerate()
        .map(|(i, u)| convert::time(&Some(*u), &format!("case.update_times[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CaseTimeline {
        opened_at: convert::time(&c.open_time, "case.open_time")?,
        priority: convert::priority(c.priority, "case.priority")?,
        priority_changes,
        pauses: convert::pause_list(&c.pauses, "case.pauses")?,
        first_response_at: convert::opt_time(&c.first_response_time, "case.first_response_time")?,
        updates,
        resolved_at: convert::opt_time(&c.resolve_time, "case.resolve_time")?,
    })
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
        let case = case_timeline(&r.case)?;
        let now = convert::time_or(&r.evaluate_time, "evaluate_time", Utc::now())?;
        if now < case.opened_at {
            return Err(
                ApiError::field("evaluate_time", "must not be before case.open_time").into(),
            );
        }
        let state = self.store.snapshot().read();
        let (account_rec, in_force) = state
            .in_force(account, case.opened_at)
            .map_err(ApiError::from)?;
        let (contract, terms) = match in_force {
            InForce::Effective { contract, terms } => (Some(contract), Some(terms)),
            InForce::Denied { .. } => (None, None),
        };
        let calendar = state.account_calendar(account_rec);
        let eval = evaluate_case(terms.as_ref(), calendar, &case, now).in_field("case")?;
        crate::telemetry::sla::case_evaluated(
            &r.account,
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
        let escalation = contract
            .zip(terms.as_ref())
            .map(|(c, t)| convert::pb_escalation(&EscalationPath::of(c, t)));
        Ok(Response::new(pb::EvaluateCaseResponse {
            priority: convert::pb_priority(eval.priority),
            milestones,
            contract: contract.map(contract_ref),
            evaluate_time: Some(ts(now)),
            escalation,
        }))
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
        let (_, in_force) = state.in_force(account, t).map_err(ApiError::from)?;
        let resp = match in_force {
            InForce::Effective { contract, terms } => pb::GetObligationsResponse {
                contract: Some(contract_ref(contract)),
                obligations: obligations(&state, contract, &terms, t),
                check_time: Some(ts(t)),
            },
            InForce::Denied { .. } => pb::GetObligationsResponse {
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
            .write(self.store.as_ref(), change, |done| {
                let rec = match done.map_err(|e| match e {
                    // The only timeline check here is on completion_time (future, or
                    // outside the contract's period).
                    ApiError::Store(StoreError::Domain(
                        crate::domain::DomainError::InvalidTimeline(m),
                    )) => ApiError::field("completion_time", m),
                    e => e,
                })? {
                    Applied::Completion(rec, _) => rec,
                    other => {
                        return Err(ApiError::from(StoreError::Internal(format!(
                            "expected a completion, got {other:?}"
                        ))));
                    }
                };
                // Rendered before the write commits when the request has an id, so the
                // completion is counted whether or not the snapshot has it yet (a retry
                // of the same completion is not recorded twice, nor counted twice).
                let state = self.store.snapshot().read();
                let mut completions = state.completions(account, id).to_vec();
                if !completions
                    .iter()
                    .any(|c| c.kind == completion.kind && c.at == completion.at)
                {
                    completions.push(completion.clone());
                }
                let report = report(
                    kind,
                    account_zone(&state, account),
                    rec.contract.start,
                    rec.contract.effective_end(),
                    &completions,
                    // At the current time if the contract is effective now, else at
                    // completion_time.
                    if rec.contract.is_effective(now) {
                        now
                    } else {
                        at
                    },
                );
                Ok(pb::RecordObligationCompletionResponse {
                    obligation: Some(pb_obligation(&report)),
                    contract: Some(contract_ref(&rec.contract)),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }
}
