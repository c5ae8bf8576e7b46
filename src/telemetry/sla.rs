//! SLA and entitlement signals: the attributes that let an SRE ask a tracing backend
//! "which premium P1 first responses breached this week?", a `sla.breach` span event on
//! every breach, and the `entitlements.sla.outcomes` and
//! `entitlements.entitlement.decisions` counters (counted whatever the trace sampling).
//!
//! Spans (children of the RPC's server span):
//! - `sla.deadline`, one per deadline computed (ComputeDeadline and each item of
//!   BatchComputeDeadlines). It has no event to judge, so its outcome is as of the
//!   request's `evaluate_time` (by default the call): `pending` until the due instant,
//!   `breached` after it; its margin is the wall-clock seconds from then to the due
//!   instant.
//! - `sla.milestone`, one per milestone of an EvaluateCase answer, with the evaluation's
//!   outcome and margin (target minus clock time consumed up to the milestone's event, or
//!   up to the evaluation instant).
//! - `entitlement.check`, one per benefit check (CheckEntitlement and each item of
//!   BatchCheckEntitlements).
//!
//! These spans are made only inside a sampled RPC, as children of its server span
//! ([`super::rpc::traced_context`]); the counters count every answer. The README lists
//! every attribute with an example.

use chrono::{DateTime, SecondsFormat, Utc};
use opentelemetry::KeyValue;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::domain::{
    Benefit, Contract, Deadline, DecisionReason, Milestone, MilestoneEvaluation, MilestoneStatus,
    Priority,
};
use crate::names::ContractName;

/// The `sla.source` of an outcome: which question produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A deadline computed without events (ComputeDeadline).
    Deadline,
    /// A milestone of an evaluated case (EvaluateCase).
    Evaluation,
}

impl Source {
    fn key(self) -> &'static str {
        match self {
            Source::Deadline => "deadline",
            Source::Evaluation => "evaluation",
        }
    }
}

/// The `sla.plan` (and `entitlement.plan`) when no contract was in force.
pub const NO_PLAN: &str = "none";

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn record_contract(span: &Span, prefix: Prefix, contract: &Contract) {
    let (name, version, plan) = prefix.contract_fields();
    span.record(
        name,
        tracing::field::display(ContractName::new(&contract.account_id, &contract.id)),
    );
    span.record(version, contract.version);
    span.record(plan, contract.plan_id.as_str());
}

#[derive(Clone, Copy)]
enum Prefix {
    Sla,
    Entitlement,
}

impl Prefix {
    fn contract_fields(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Prefix::Sla => ("sla.contract", "sla.contract.version", "sla.plan"),
            Prefix::Entitlement => (
                "entitlement.contract",
                "entitlement.contract.version",
                "entitlement.plan",
            ),
        }
    }
}

/// The extra outcome counted for a milestone past an at-risk threshold.
const AT_RISK: &str = "at_risk";

fn count_outcome(
    source: Source,
    plan: &str,
    priority: Priority,
    milestone: Milestone,
    outcome: &'static str,
) {
    super::metrics::instruments().sla_outcomes.add(
        1,
        &[
            KeyValue::new("sla.source", source.key()),
            KeyValue::new("sla.plan", plan.to_owned()),
            KeyValue::new("sla.priority", priority_key(priority)),
            KeyValue::new("sla.milestone", milestone.key()),
            KeyValue::new("sla.outcome", outcome),
        ],
    );
}

fn priority_key(p: Priority) -> &'static str {
    match p {
        Priority::P1 => "P1",
        Priority::P2 => "P2",
        Priority::P3 => "P3",
        Priority::P4 => "P4",
    }
}

fn breach_event(span: &Span, attributes: Vec<KeyValue>) {
    span.add_event("sla.breach", attributes);
}

/// A span for one deadline computation: create it, enter it while computing, then call
/// [`deadline_computed`] or [`deadline_without_contract`].
pub fn deadline_span() -> Span {
    let Some(parent) = super::rpc::traced_context() else {
        return Span::none();
    };
    let span = tracing::info_span!(
        "sla.deadline",
        sla.source = "deadline",
        sla.account = Empty,
        sla.contract = Empty,
        sla.contract.version = Empty,
        sla.plan = Empty,
        sla.priority = Empty,
        sla.milestone = Empty,
        sla.clock = Empty,
        sla.target_s = Empty,
        sla.start = Empty,
        sla.due = Empty,
        sla.outcome = Empty,
        sla.margin_s = Empty,
    );
    let _ = span.set_parent(parent);
    span
}

/// Records a computed deadline on its span, with its outcome as of `now` (the request's
/// evaluate_time); counts the outcome and adds a `sla.breach` event when the due instant
/// has passed.
pub fn deadline_computed(
    span: &Span,
    account: &str,
    contract: &Contract,
    d: &Deadline,
    now: DateTime<Utc>,
) {
    let outcome = match (d.target, d.due) {
        (None, _) => MilestoneStatus::NoTarget,
        (Some(_), None) => MilestoneStatus::Paused,
        (Some(_), Some(due)) if now > due => MilestoneStatus::Breached,
        (Some(_), Some(_)) => MilestoneStatus::Pending,
    };
    count_outcome(
        Source::Deadline,
        &contract.plan_id,
        d.priority,
        d.milestone,
        outcome.key(),
    );
    if span.is_disabled() {
        // Nobody traces: skip formatting the attributes.
        return;
    }
    span.record("sla.account", account);
    record_contract(span, Prefix::Sla, contract);
    span.record("sla.priority", priority_key(d.priority));
    span.record("sla.milestone", d.milestone.key());
    span.record("sla.start", rfc3339(d.start));
    if let Some(target) = d.target {
        span.record("sla.clock", d.clock.key());
        span.record("sla.target_s", target.as_secs());
    }
    let margin = d.due.map(|due| (due - now).num_seconds());
    if let Some(due) = d.due {
        span.record("sla.due", rfc3339(due));
    }
    if let Some(m) = margin {
        span.record("sla.margin_s", m);
    }
    span.record("sla.outcome", outcome.key());
    if outcome == MilestoneStatus::Breached {
        let mut attributes = vec![
            KeyValue::new("sla.milestone", d.milestone.key()),
            KeyValue::new("sla.margin_s", margin.unwrap_or_default()),
        ];
        if let Some(due) = d.due {
            attributes.push(KeyValue::new("sla.due", rfc3339(due)));
        }
        breach_event(span, attributes);
    }
}

/// Records a deadline asked of an account with no contract in force: no target.
pub fn deadline_without_contract(
    span: &Span,
    account: &str,
    priority: Priority,
    milestone: Milestone,
) {
    span.record("sla.account", account);
    span.record("sla.plan", NO_PLAN);
    span.record("sla.priority", priority_key(priority));
    span.record("sla.milestone", milestone.key());
    span.record("sla.outcome", MilestoneStatus::NoTarget.key());
    count_outcome(
        Source::Deadline,
        NO_PLAN,
        priority,
        milestone,
        MilestoneStatus::NoTarget.key(),
    );
}

/// Records every milestone of an evaluated case: a `sla.milestone` span each (a child of
/// the RPC's server span, when sampled), a `sla.breach` event on each breached one, and
/// the outcome counts.
/// `contract` is the one in force when the case was opened, if any; `priority` the one in
/// force at the evaluation.
pub fn case_evaluated(
    account: &str,
    contract: Option<&Contract>,
    priority: Priority,
    milestones: &[MilestoneEvaluation],
    evaluated_at: DateTime<Utc>,
) {
    let plan = contract.map_or(NO_PLAN, |c| c.plan_id.as_str());
    let parent = super::rpc::traced_context();
    for m in milestones {
        count_outcome(
            Source::Evaluation,
            plan,
            priority,
            m.milestone,
            m.status.key(),
        );
        // A milestone past an at-risk threshold is also counted as `at_risk`, so that a
        // dashboard can show what is about to breach next to what did.
        let crossed = m.at_risk.as_ref().and_then(|r| r.highest_crossed());
        if crossed.is_some() {
            count_outcome(Source::Evaluation, plan, priority, m.milestone, AT_RISK);
        }
        let Some(parent) = &parent else {
            continue;
        };
        let span = tracing::info_span!(
            "sla.milestone",
            sla.source = "evaluation",
            sla.account = account,
            sla.contract = Empty,
            sla.contract.version = Empty,
            sla.plan = plan,
            sla.priority = priority_key(priority),
            sla.milestone = m.milestone.key(),
            sla.sequence = m.sequence,
            sla.clock = Empty,
            sla.target_s = Empty,
            sla.start = rfc3339(m.start),
            sla.due = Empty,
            sla.event = Empty,
            sla.evaluated_at = rfc3339(evaluated_at),
            sla.outcome = m.status.key(),
            sla.margin_s = Empty,
        );
        if span.is_disabled() {
            continue;
        }
        let _ = span.set_parent(parent.clone());
        if let Some(c) = contract {
            record_contract(&span, Prefix::Sla, c);
        }
        if let Some(target) = m.target {
            span.record("sla.clock", m.clock.key());
            span.record("sla.target_s", target.as_secs());
        }
        if let Some(due) = m.due {
            span.record("sla.due", rfc3339(due));
        }
        if let Some(e) = m.event_at {
            span.record("sla.event", rfc3339(e));
        }
        if let Some(margin) = m.margin {
            span.record("sla.margin_s", margin.num_seconds());
        }
        if let (Some(threshold), Some(at_risk)) = (crossed, &m.at_risk) {
            let mut attributes = vec![
                KeyValue::new("sla.milestone", m.milestone.key()),
                KeyValue::new("sla.sequence", i64::from(m.sequence)),
                KeyValue::new("sla.threshold", f64::from(threshold) / 1_000_000.0),
                KeyValue::new("sla.elapsed_fraction", at_risk.elapsed_fraction()),
            ];
            if let Some(next) = at_risk.next().and_then(|n| n.at) {
                attributes.push(KeyValue::new("sla.next_threshold_at", rfc3339(next)));
            }
            span.add_event("sla.at_risk", attributes);
        }
        if m.status == MilestoneStatus::Breached {
            let mut attributes = vec![
                KeyValue::new("sla.milestone", m.milestone.key()),
                KeyValue::new("sla.sequence", i64::from(m.sequence)),
                KeyValue::new(
                    "sla.margin_s",
                    m.margin.map_or(0, |margin| margin.num_seconds()),
                ),
            ];
            if let Some(due) = m.due {
                attributes.push(KeyValue::new("sla.due", rfc3339(due)));
            }
            if let Some(e) = m.event_at {
                attributes.push(KeyValue::new("sla.event", rfc3339(e)));
            }
            breach_event(&span, attributes);
        }
    }
}

/// A span for one benefit check: create it, enter it while checking, then call
/// [`check_decided`].
pub fn check_span() -> Span {
    let Some(parent) = super::rpc::traced_context() else {
        return Span::none();
    };
    let span = tracing::info_span!(
        "entitlement.check",
        entitlement.account = Empty,
        entitlement.contract = Empty,
        entitlement.contract.version = Empty,
        entitlement.plan = Empty,
        entitlement.benefit = Empty,
        entitlement.decision = Empty,
        entitlement.reason = Empty,
    );
    let _ = span.set_parent(parent);
    span
}

/// Records a check's answer on its span and counts the decision.
pub fn check_decided(
    span: &Span,
    account: &str,
    benefit: Benefit,
    contract: Option<&Contract>,
    allowed: bool,
    reason: DecisionReason,
) {
    let decision = if allowed { "allowed" } else { "denied" };
    super::metrics::instruments().decisions.add(
        1,
        &[
            KeyValue::new("entitlement.benefit", benefit.key()),
            KeyValue::new("entitlement.decision", decision),
            KeyValue::new("entitlement.reason", reason.key()),
        ],
    );
    if span.is_disabled() {
        return;
    }
    span.record("entitlement.account", account);
    span.record("entitlement.benefit", benefit.key());
    span.record("entitlement.decision", decision);
    span.record("entitlement.reason", reason.key());
    match contract {
        Some(c) => record_contract(span, Prefix::Entitlement, c),
        None => {
            span.record("entitlement.plan", NO_PLAN);
        }
    }
}
