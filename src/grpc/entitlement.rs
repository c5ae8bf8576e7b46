//! `entitlements.v1.EntitlementService`: benefit checks, everything an account is
//! entitled to, and support availability — all answered from memory.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};

use super::batch::{check_batch, in_batch};
use super::convert::{self, contract_ref, opt_ts, ts};
use super::error::{ApiError, FieldContext};
use super::pb;
use super::pb::entitlement_service_server::EntitlementService;
use crate::domain::entitlement::{
    InForce, availability, check_benefit, explain_denial, first_available_from_start,
};
use crate::domain::{AvailabilityReason, Benefit, CaseContext, DecisionReason, EscalationPath};
use crate::store::Store;

/// The entitlement service over a store.
#[derive(Debug, Clone)]
pub struct EntitlementApi {
    /// Where contracts live; read from memory only.
    store: Arc<dyn Store>,
}

impl EntitlementApi {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        EntitlementApi { store }
    }

    /// One benefit check.
    fn check(
        &self,
        r: &pb::CheckEntitlementRequest,
        now: DateTime<Utc>,
    ) -> Result<pb::CheckEntitlementResponse, ApiError> {
        let span = crate::telemetry::sla::check_span();
        let _in_span = span.enter();
        let account = convert::account_id(&r.account, "account")?;
        if r.benefit.is_empty() {
            return Err(ApiError::required("benefit"));
        }
        let benefit: Benefit = r.benefit.parse().field("benefit")?;
        let t = convert::time_or(&r.check_time, "check_time", now)?;
        // An empty contact means "no contact check" (CheckEntitlementRequest.contact).
        let contact = r
            .contact
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty());
        let case = CaseContext {
            priority: convert::opt_priority(r.case_priority, "case_priority")?,
            not_solvable_remotely: r.not_solvable_remotely,
        };
        let state = self.store.snapshot().read();
        let (_, in_force) = state.in_force(account, t)?;
        let (allowed, reason, explanation, contract) = match in_force {
            InForce::Effective { contract, terms } => {
                let (allowed, reason, explanation) =
                    check_benefit(contract, &terms, benefit, contact.as_deref(), &case);
                (allowed, reason, explanation, Some(contract))
            }
            InForce::Denied { reason, contract } => {
                (false, reason, explain_denial(reason, contract, t), contract)
            }
        };
        crate::telemetry::sla::check_decided(&span, &r.account, benefit, contract, allowed, reason);
        Ok(pb::CheckEntitlementResponse {
            allowed,
            reason: pb_reason(reason),
            explanation,
            contract: contract.map(contract_ref),
            check_time: Some(ts(t)),
        })
    }
}

/// A decision reason on the wire.
pub fn pb_reason(r: DecisionReason) -> i32 {
    use pb::DecisionReason as P;
    match r {
        DecisionReason::Granted => P::Granted,
        DecisionReason::NoActiveContract => P::NoActiveContract,
        DecisionReason::ContractNotStarted => P::ContractNotStarted,
        DecisionReason::ContractExpired => P::ContractExpired,
        DecisionReason::ContractSuspended => P::ContractSuspended,
        DecisionReason::ContractTerminated => P::ContractTerminated,
        DecisionReason::BenefitNotInPlan => P::BenefitNotInPlan,
        DecisionReason::ContactNotDesignated => P::ContactNotDesignated,
        DecisionReason::CasePriorityNotEligible => P::CasePriorityNotEligible,
        DecisionReason::CaseSolvableRemotely => P::CaseSolvableRemotely,
    }
    .into()
}

fn pb_availability_reason(r: AvailabilityReason) -> i32 {
    use pb::AvailabilityReason as P;
    match r {
        AvailabilityReason::Covered24x7 => P::Covered24x7,
        AvailabilityReason::WithinBusinessHours => P::WithinBusinessHours,
        AvailabilityReason::OutsideBusinessHours => P::OutsideBusinessHours,
        AvailabilityReason::ChannelNotInPlan => P::ChannelNotInPlan,
    }
    .into()
}

fn pb_denied_availability(r: DecisionReason) -> i32 {
    use pb::AvailabilityReason as P;
    match r {
        DecisionReason::ContractNotStarted => P::ContractNotStarted,
        DecisionReason::ContractExpired => P::ContractExpired,
        DecisionReason::ContractSuspended => P::ContractSuspended,
        DecisionReason::ContractTerminated => P::ContractTerminated,
        _ => P::NoActiveContract,
    }
    .into()
}

#[tonic::async_trait]
impl EntitlementService for EntitlementApi {
    async fn check_entitlement(
        &self,
        request: Request<pb::CheckEntitlementRequest>,
    ) -> Result<Response<pb::CheckEntitlementResponse>, Status> {
        Ok(Response::new(self.check(request.get_ref(), Utc::now())?))
    }

    async fn batch_check_entitlements(
        &self,
        request: Request<pb::BatchCheckEntitlementsRequest>,
    ) -> Result<Response<pb::BatchCheckEntitlementsResponse>, Status> {
        let r = request.into_inner();
        check_batch(r.requests.len())?;
        let now = Utc::now();
        let responses = r
            .requests
            .iter()
            .enumerate()
            .map(|(i, q)| self.check(q, now).map_err(|e| in_batch(i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Response::new(pb::BatchCheckEntitlementsResponse {
            responses,
        }))
    }

    async fn get_entitlements(
        &self,
        request: Request<pb::GetEntitlementsRequest>,
    ) -> Result<Response<pb::GetEntitlementsResponse>, Status> {
        let r = request.into_inner();
        let account = convert::account_id(&r.account, "account")?;
        let t = convert::time_or(&r.check_time, "check_time", Utc::now())?;
        let state = self.store.snapshot().read();
        let (_, in_force) = state.in_force(account, t).map_err(ApiError::from)?;
        let resp = match in_force {
            InForce::Effective { contract, terms } => {
                // The TAM is named only under the `technical_account_manager` benefit,
                // exactly as in the escalation path (GetEntitlementsResponse).
                let escalation = EscalationPath::of(contract, &terms);
                pb::GetEntitlementsResponse {
                    entitled: true,
                    reason: pb_reason(DecisionReason::Granted),
                    explanation: explain_denial(DecisionReason::Granted, Some(contract), t),
                    contract: Some(contract_ref(contract)),
                    benefits: terms.benefits.iter().map(|b| b.key().to_owned()).collect(),
                    channels: terms
                        .channels()
                        .into_iter()
                        .map(convert::pb_channel)
                        .collect(),
                    // Only priorities that have terms: an entry with business-hours coverage
                    // and no targets is what "no entry" means (GetEntitlementsResponse).
                    priority_terms: convert::pb_terms(&terms.priority_terms)
                        .into_iter()
                        .filter(|t| {
                            t.coverage != pb::Coverage::BusinessHours as i32
                                || t.first_response_target.is_some()
                                || t.update_cadence.is_some()
                        })
                        .collect(),
                    designated_contact_limit: i32::try_from(terms.designated_contact_limit)
                        .unwrap_or(i32::MAX),
                    designated_contacts: convert::pb_contacts(&contract.contacts),
                    check_time: Some(ts(t)),
                    technical_account_manager: escalation
                        .technical_account_manager
                        .as_ref()
                        .map(convert::pb_technical_account_manager),
                    escalation: Some(convert::pb_escalation(&escalation)),
                }
            }
            InForce::Denied { reason, contract } => pb::GetEntitlementsResponse {
                entitled: false,
                reason: pb_reason(reason),
                explanation: explain_denial(reason, contract, t),
                contract: contract.map(contract_ref),
                check_time: Some(ts(t)),
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }

    async fn check_support_availability(
        &self,
        request: Request<pb::CheckSupportAvailabilityRequest>,
    ) -> Result<Response<pb::CheckSupportAvailabilityResponse>, Status> {
        let r = request.into_inner();
        let account = convert::account_id(&r.account, "account")?;
        let channel = convert::channel(r.channel, "channel")?;
        let priority = convert::priority(r.priority, "priority")?;
        let t = convert::time_or(&r.check_time, "check_time", Utc::now())?;
        let state = self.store.snapshot().read();
        let (account_rec, in_force) = state.in_force(account, t).map_err(ApiError::from)?;
        let resp = match in_force {
            InForce::Effective { contract, terms } => {
                let calendar = state.account_calendar(account_rec);
                let a = availability(contract, &terms, calendar, channel, priority, t)
                    .in_field("check_time")?;
                pb::CheckSupportAvailabilityResponse {
                    available: a.available,
                    reason: pb_availability_reason(a.reason),
                    next_available_time: opt_ts(a.next_available),
                    coverage: convert::pb_coverage(a.coverage),
                    contract: Some(contract_ref(contract)),
                    explanation: a.explanation,
                    check_time: Some(ts(t)),
                }
            }
            InForce::Denied { reason, contract } => {
                let upcoming = match contract {
                    Some(c) if reason == DecisionReason::ContractNotStarted => {
                        let terms = state.terms_of(c).map_err(ApiError::from)?;
                        let calendar = state.account_calendar(account_rec);
                        first_available_from_start(c, &terms, calendar, channel, priority)
                            .map_err(ApiError::from)?
                    }
                    _ => None,
                };
                pb::CheckSupportAvailabilityResponse {
                    available: false,
                    reason: pb_denied_availability(reason),
                    next_available_time: opt_ts(upcoming),
                    contract: contract.map(contract_ref),
                    explanation: explain_denial(reason, contract, t),
                    check_time: Some(ts(t)),
                    ..Default::default()
                }
            }
        };
        Ok(Response::new(resp))
    }
}
