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
use crate::app::entitlements::{self, AvailabilityError, Entitlements, SupportAvailability};
use crate::domain::{AvailabilityReason, Benefit, CaseContext, DecisionReason};
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
        let d = entitlements::check(&state, account, benefit, contact.as_deref(), &case, t)?;
        crate::telemetry::sla::check_decided(
            &span, &r.account, benefit, d.contract, d.allowed, d.reason,
        );
        Ok(pb::CheckEntitlementResponse {
            allowed: d.allowed,
            reason: pb_reason(d.reason),
            explanation: d.explanation,
            contract: d.contract.map(contract_ref),
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
        let resp = match entitlements::entitlements(&state, account, t).map_err(ApiError::from)? {
            Entitlements::Entitled {
                contract,
                terms,
                escalation,
                explanation,
            } => {
                // The TAM is named only under the `technical_account_manager` benefit,
                // exactly as in the escalation path (GetEntitlementsResponse).
                pb::GetEntitlementsResponse {
                    entitled: true,
                    reason: pb_reason(DecisionReason::Granted),
                    explanation,
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
            Entitlements::Denied {
                reason,
                contract,
                explanation,
            } => pb::GetEntitlementsResponse {
                entitled: false,
                reason: pb_reason(reason),
                explanation,
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
        let answer = entitlements::support_availability(&state, account, channel, priority, t)
            .map_err(|e| match e {
                AvailabilityError::Store(e) => ApiError::from(e),
                AvailabilityError::CheckTime(e) => ApiError::DomainIn {
                    field: "check_time".to_owned(),
                    error: e,
                },
                AvailabilityError::Domain(e) => ApiError::from(e),
            })?;
        let resp = match answer {
            SupportAvailability::Under {
                contract,
                availability: a,
            } => pb::CheckSupportAvailabilityResponse {
                available: a.available,
                reason: pb_availability_reason(a.reason),
                next_available_time: opt_ts(a.next_available),
                coverage: convert::pb_coverage(a.coverage),
                contract: Some(contract_ref(contract)),
                explanation: a.explanation,
                check_time: Some(ts(t)),
            },
            SupportAvailability::Denied {
                reason,
                contract,
                next_available,
                explanation,
            } => pb::CheckSupportAvailabilityResponse {
                available: false,
                reason: pb_denied_availability(reason),
                next_available_time: opt_ts(next_available),
                contract: contract.map(contract_ref),
                explanation,
                check_time: Some(ts(t)),
                ..Default::default()
            },
        };
        Ok(Response::new(resp))
    }
}
