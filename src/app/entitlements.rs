//! The "may they?" questions at an instant, under the contract in force for the account
//! then: may this caller use this benefit (CheckEntitlement), what is the account
//! entitled to (GetEntitlements), and is support on this channel for this priority
//! available now, or when next (CheckSupportAvailability). Read from the snapshot only.

use chrono::{DateTime, Utc};

use crate::domain::entitlement::{
    InForce, availability, check_benefit, explain_denial, first_available_from_start,
};
use crate::domain::{
    Availability, Benefit, CaseContext, Channel, Contract, DecisionReason, DomainError,
    EscalationPath, Priority, Terms,
};
use crate::store::{State, StoreError};

/// The answer to a benefit check.
#[derive(Debug)]
pub struct Decision<'s> {
    /// Whether the benefit may be used.
    pub allowed: bool,
    /// Why (granted, or why not).
    pub reason: DecisionReason,
    /// The same in words.
    pub explanation: String,
    /// The contract the decision was made under, or the one the denial concerns.
    pub contract: Option<&'s Contract>,
}

/// Checks `benefit` for `account` at `t`: for `contact` when given (designated-contact
/// benefits), for the case in `case` when it matters (on-site escalation).
pub fn check<'s>(
    state: &'s State,
    account: &'s str,
    benefit: Benefit,
    contact: Option<&str>,
    case: &CaseContext,
    t: DateTime<Utc>,
) -> Result<Decision<'s>, StoreError> {
    let (_, in_force) = state.in_force(account, t)?;
    Ok(match in_force {
        InForce::Effective { contract, terms } => {
            let (allowed, reason, explanation) =
                check_benefit(contract, &terms, benefit, contact, case);
            Decision {
                allowed,
                reason,
                explanation,
                contract: Some(contract),
            }
        }
        InForce::Denied { reason, contract } => Decision {
            allowed: false,
            reason,
            explanation: explain_denial(reason, contract, t),
            contract,
        },
    })
}

/// Everything an account is entitled to at an instant.
// Built once per request and matched at once, like `InForce`; boxing the terms would
// only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Entitlements<'s> {
    /// A contract is in force.
    Entitled {
        /// The contract.
        contract: &'s Contract,
        /// Its terms (plan plus overrides).
        terms: Terms,
        /// Where its cases escalate (naming the TAM only under that benefit).
        escalation: EscalationPath,
        /// Why, in words.
        explanation: String,
    },
    /// None is.
    Denied {
        /// Why.
        reason: DecisionReason,
        /// The contract the reason concerns, if any.
        contract: Option<&'s Contract>,
        /// The same in words.
        explanation: String,
    },
}

/// What `account` is entitled to at `t`.
pub fn entitlements<'s>(
    state: &'s State,
    account: &'s str,
    t: DateTime<Utc>,
) -> Result<Entitlements<'s>, StoreError> {
    let (_, in_force) = state.in_force(account, t)?;
    Ok(match in_force {
        InForce::Effective { contract, terms } => Entitlements::Entitled {
            escalation: EscalationPath::of(contract, &terms),
            explanation: explain_denial(DecisionReason::Granted, Some(contract), t),
            contract,
            terms,
        },
        InForce::Denied { reason, contract } => Entitlements::Denied {
            reason,
            contract,
            explanation: explain_denial(reason, contract, t),
        },
    })
}

/// Whether support is available at an instant.
#[derive(Debug)]
pub enum SupportAvailability<'s> {
    /// Under the contract in force.
    Under {
        /// The contract.
        contract: &'s Contract,
        /// The answer under it.
        availability: Availability,
    },
    /// No contract is in force.
    Denied {
        /// Why.
        reason: DecisionReason,
        /// The contract the reason concerns, if any.
        contract: Option<&'s Contract>,
        /// For a contract that has not started: the first instant support is available
        /// under it.
        next_available: Option<DateTime<Utc>>,
        /// Why, in words.
        explanation: String,
    },
}

/// Why availability could not be answered.
#[derive(Debug)]
pub enum AvailabilityError {
    /// The account does not exist.
    Store(StoreError),
    /// The instant asked about lies outside the calendar's validity.
    CheckTime(DomainError),
    /// The first available instant of an upcoming contract could not be found.
    Domain(DomainError),
}

/// Whether support on `channel` for `priority` is available to `account` at `t`.
pub fn support_availability<'s>(
    state: &'s State,
    account: &'s str,
    channel: Channel,
    priority: Priority,
    t: DateTime<Utc>,
) -> Result<SupportAvailability<'s>, AvailabilityError> {
    let (account_rec, in_force) = state
        .in_force(account, t)
        .map_err(AvailabilityError::Store)?;
    let calendar = state.account_calendar(account_rec);
    Ok(match in_force {
        InForce::Effective { contract, terms } => SupportAvailability::Under {
            contract,
            availability: availability(contract, &terms, calendar, channel, priority, t)
                .map_err(AvailabilityError::CheckTime)?,
        },
        InForce::Denied { reason, contract } => {
            let next_available = match contract {
                Some(c) if reason == DecisionReason::ContractNotStarted => {
                    let terms = state.terms_of(c).map_err(AvailabilityError::Store)?;
                    first_available_from_start(c, &terms, calendar, channel, priority)
                        .map_err(AvailabilityError::Domain)?
                }
                _ => None,
            };
            SupportAvailability::Denied {
                reason,
                contract,
                next_available,
                explanation: explain_denial(reason, contract, t),
            }
        }
    })
}
