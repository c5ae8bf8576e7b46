//! EvaluateCase: every milestone of a case timeline evaluated at an instant, under the
//! terms of the contract in force when the case was opened (without one, every milestone
//! has no target), with the escalation path. Read from the snapshot only.

use chrono::{DateTime, Utc};

use crate::domain::entitlement::InForce;
use crate::domain::{
    Calendar, CaseEvaluation, CaseTimeline, Contract, DomainError, EscalationPath, evaluate_case,
};
use crate::store::{State, StoreError};

/// The evaluation of a case.
#[derive(Debug)]
pub struct CaseAnswer<'s> {
    /// The contract whose terms applied, if one was in force at the opening.
    pub contract: Option<&'s Contract>,
    /// The account's calendar.
    pub calendar: &'s Calendar,
    /// Every milestone, evaluated.
    pub evaluation: CaseEvaluation,
    /// Where the case escalates, when a contract applied.
    pub escalation: Option<EscalationPath>,
}

/// Why a case could not be evaluated.
#[derive(Debug)]
pub enum CaseError {
    /// The account does not exist.
    Store(StoreError),
    /// The timeline breaks a rule (events out of order, say).
    Timeline(DomainError),
}

/// Evaluates `case` of account `account` at `at` from `state`.
pub fn evaluate<'s>(
    state: &'s State,
    account: &'s str,
    case: &CaseTimeline,
    at: DateTime<Utc>,
) -> Result<CaseAnswer<'s>, CaseError> {
    let (account, in_force) = state
        .in_force(account, case.opened_at)
        .map_err(CaseError::Store)?;
    let (contract, terms) = match in_force {
        InForce::Effective { contract, terms } => (Some(contract), Some(terms)),
        InForce::Denied { .. } => (None, None),
    };
    let calendar = state.account_calendar(account);
    let evaluation =
        evaluate_case(terms.as_ref(), calendar, case, at).map_err(CaseError::Timeline)?;
    let escalation = contract
        .zip(terms.as_ref())
        .map(|(c, t)| EscalationPath::of(c, t));
    Ok(CaseAnswer {
        contract,
        calendar,
        evaluation,
        escalation,
    })
}
