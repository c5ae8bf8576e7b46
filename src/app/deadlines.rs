//! ComputeDeadline: when a milestone of a case opened at T with priority P falls due
//! under the contract in force at T (its terms, on the account's calendar, pauses not
//! counting), how far it is toward its at-risk thresholds at the evaluation instant, and
//! where it escalates. Read from the snapshot only.

use chrono::{DateTime, Utc};

use crate::domain::entitlement::InForce;
use crate::domain::sla::at_risk::assess_deadline;
use crate::domain::{
    AtRisk, Calendar, Contract, Deadline, DecisionReason, DomainError, EscalationPath, Milestone,
    Pauses, Priority, deadline,
};
use crate::store::{State, StoreError};

/// The question a caller asks.
#[derive(Debug, Clone, Copy)]
pub struct DeadlineQuestion<'a> {
    /// The account's id.
    pub account: &'a str,
    /// The case's priority.
    pub priority: Priority,
    /// Which milestone.
    pub milestone: Milestone,
    /// When the case was opened: the contract in force then applies.
    pub opened: DateTime<Utc>,
    /// When the milestone's clock starts (the opening, or the last response).
    pub start: DateTime<Utc>,
    /// When the case waited on the customer.
    pub pauses: &'a Pauses,
    /// The instant the at-risk state is assessed at.
    pub evaluate_time: DateTime<Utc>,
}

/// The answer.
#[derive(Debug)]
pub enum DeadlineAnswer<'s> {
    /// No contract was in force at the opening, so there is no target.
    NoContract {
        /// Why none was.
        reason: DecisionReason,
        /// The contract the reason concerns, if any.
        contract: Option<&'s Contract>,
    },
    /// The deadline under the contract in force.
    Due {
        /// The contract.
        contract: &'s Contract,
        /// The account's calendar.
        calendar: &'s Calendar,
        /// The deadline.
        deadline: Deadline,
        /// Its at-risk state at the evaluation instant (open milestones with a target).
        at_risk: Option<AtRisk>,
        /// Where the case escalates under the contract.
        escalation: EscalationPath,
    },
}

/// Why a deadline could not be computed.
#[derive(Debug)]
pub enum DeadlineError {
    /// The account does not exist (or the snapshot is inconsistent).
    Store(StoreError),
    /// The due instant would fall past the calendar's validity: a problem with the start.
    Start(DomainError),
    /// Assessing the at-risk state failed.
    Domain(DomainError),
}

/// Answers `q` from `state`.
pub fn compute<'s>(
    state: &'s State,
    q: &DeadlineQuestion<'s>,
) -> Result<DeadlineAnswer<'s>, DeadlineError> {
    let (account, in_force) = state
        .in_force(q.account, q.opened)
        .map_err(DeadlineError::Store)?;
    let (contract, terms) = match in_force {
        InForce::Effective { contract, terms } => (contract, terms),
        InForce::Denied { reason, contract } => {
            return Ok(DeadlineAnswer::NoContract { reason, contract });
        }
    };
    let calendar = state.account_calendar(account);
    let pterms = terms.for_priority(q.priority);
    let d =
        deadline(pterms, q.milestone, calendar, q.start, q.pauses).map_err(DeadlineError::Start)?;
    let at_risk = assess_deadline(&d, &pterms.at_risk, calendar, q.pauses, q.evaluate_time)
        .map_err(DeadlineError::Domain)?;
    Ok(DeadlineAnswer::Due {
        contract,
        calendar,
        deadline: d,
        at_risk,
        escalation: EscalationPath::of(contract, &terms),
    })
}
