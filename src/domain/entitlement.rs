//! Entitlement decisions at an instant: which contract is in force, what it grants, and
//! why a request is denied. A denial is a normal answer with a reason, never an error.
//!
//! Every "may they?" rule lives here, the case-dependent one included: on-site escalation
//! management ([`case_condition`]) is for P1 cases that the caller marks as not solvable
//! remotely.

use std::fmt;

use chrono::{DateTime, Utc};

use super::calendar::Calendar;
use super::calendar::business_clock::BusinessClock;
use super::catalog::{Benefit, Channel, Coverage, Priority};
use super::contract::{Contract, ContractState, Terms};
use super::error::DomainError;

/// Why a check was answered the way it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionReason {
    /// Allowed.
    Granted,
    /// The account has no contract around the instant.
    NoActiveContract,
    /// The account's contract starts after the instant.
    ContractNotStarted,
    /// The account's contract ended at or before the instant.
    ContractExpired,
    /// The contract covering the instant is suspended.
    ContractSuspended,
    /// The contract covering the instant was terminated before it.
    ContractTerminated,
    /// The contract's plan (with overrides) does not include the benefit.
    BenefitNotInPlan,
    /// The contact is not designated on the contract.
    ContactNotDesignated,
    /// The benefit is only for cases of another priority (on-site escalation: P1 only),
    /// or the request names no case priority.
    CasePriorityNotEligible,
    /// The benefit is only for cases that cannot be solved remotely (on-site
    /// escalation), and the case is not marked as such.
    CaseSolvableRemotely,
}

impl DecisionReason {
    /// Stable snake_case name, for telemetry and logs.
    pub fn key(self) -> &'static str {
        match self {
            DecisionReason::Granted => "granted",
            DecisionReason::NoActiveContract => "no_active_contract",
            DecisionReason::ContractNotStarted => "contract_not_started",
            DecisionReason::ContractExpired => "contract_expired",
            DecisionReason::ContractSuspended => "contract_suspended",
            DecisionReason::ContractTerminated => "contract_terminated",
            DecisionReason::BenefitNotInPlan => "benefit_not_in_plan",
            DecisionReason::ContactNotDesignated => "contact_not_designated",
            DecisionReason::CasePriorityNotEligible => "case_priority_not_eligible",
            DecisionReason::CaseSolvableRemotely => "case_solvable_remotely",
        }
    }
}

impl fmt::Display for DecisionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The outcome of looking for the contract in force at an instant.
#[derive(Debug, Clone, Copy)]
pub enum ContractAt<'a> {
    /// This contract is in force.
    Effective(&'a Contract),
    /// None is; the reason, and the contract it concerns if any.
    Denied(DecisionReason, Option<&'a Contract>),
}

/// Picks the contract of an account in force at `t` from all of the account's contracts,
/// or says why there is none.
pub fn contract_at<'a>(
    contracts: impl Iterator<Item = &'a Contract> + Clone,
    t: DateTime<Utc>,
) -> ContractAt<'a> {
    if let Some(c) = contracts.clone().find(|c| c.is_effective(t)) {
        return ContractAt::Effective(c);
    }
    // 2. A suspended contract covering `t`.
    if let Some(c) = contracts
        .clone()
        .find(|c| c.state == ContractState::Suspended && c.covers(t))
    {
        return ContractAt::Denied(DecisionReason::ContractSuspended, Some(c));
    }
    // 3. The contract whose period (to its end or its termination, whichever came first)
    // ended last at or before `t`; ties go to the first by name.
    let ended = contracts
        .clone()
        .filter(|c| c.start <= t)
        .filter_map(|c| c.effective_end().filter(|e| *e <= t).map(|e| (e, c)))
        .max_by(|(a, ac), (b, bc)| a.cmp(b).then_with(|| bc.id.cmp(&ac.id)));
    if let Some((_, c)) = ended {
        let by_termination = c.terminated_at.is_some_and(|x| c.end.is_none_or(|e| x < e));
        let reason = if by_termination {
            DecisionReason::ContractTerminated
        } else {
            DecisionReason::ContractExpired
        };
        return ContractAt::Denied(reason, Some(c));
    }
    // 4. The next contract to start; ties go to the first by name.
    let upcoming = contracts
        .filter(|c| c.start > t)
        .min_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
    if let Some(c) = upcoming {
        let reason = if c.terminated_at.is_some_and(|x| x <= c.start) {
            DecisionReason::ContractTerminated
        } else {
            DecisionReason::ContractNotStarted
        };
        return ContractAt::Denied(reason, Some(c));
    }
    ContractAt::Denied(DecisionReason::NoActiveContract, None)
}

/// Explains a contract-level denial in a sentence.
pub fn explain_denial(
    reason: DecisionReason,
    contract: Option<&Contract>,
    t: DateTime<Utc>,
) -> String {
    let name = contract.map_or_else(String::new, |c| format!("{} (version {})", c.id, c.version));
    match reason {
        DecisionReason::Granted => format!("granted under contract {name}"),
        DecisionReason::NoActiveContract => format!("the account has no contract in force at {t}"),
        DecisionReason::ContractNotStarted => format!(
            "contract {name} starts at {}",
            contract.map_or_else(String::new, |c| c.start.to_string())
        ),
        DecisionReason::ContractExpired => format!(
            "contract {name} ended at {}",
            contract
                .and_then(|c| c.end)
                .map_or_else(String::new, |e| e.to_string())
        ),
        DecisionReason::ContractSuspended => format!("contract {name} is suspended"),
        DecisionReason::ContractTerminated => format!(
            "contract {name} was terminated at {}",
            contract
                .and_then(|c| c.terminated_at)
                .map_or_else(String::new, |e| e.to_string())
        ),
        DecisionReason::BenefitNotInPlan => {
            format!("contract {name} does not include this benefit")
        }
        DecisionReason::ContactNotDesignated => {
            format!("the contact is not designated on contract {name}")
        }
        DecisionReason::CasePriorityNotEligible | DecisionReason::CaseSolvableRemotely => {
            format!("the case does not qualify for this benefit under contract {name}")
        }
    }
}

/// The case a benefit check is about, for benefits whose use depends on the case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseContext {
    /// The case's priority; `None` when the caller gave none.
    pub priority: Option<Priority>,
    /// The caller has determined that the case cannot be solved remotely.
    pub not_solvable_remotely: bool,
}

/// For a benefit that can only be used for some cases, why `case` does not qualify:
/// on-site escalation management is for P1 cases that cannot be solved remotely. `None`
/// when the case qualifies or the benefit does not depend on the case.
pub fn case_condition(benefit: Benefit, case: &CaseContext) -> Option<(DecisionReason, String)> {
    if benefit != Benefit::OnsiteEscalationManagement {
        return None;
    }
    match case.priority {
        None => Some((
            DecisionReason::CasePriorityNotEligible,
            format!("{benefit} is for P1 cases only and the request names no case priority"),
        )),
        Some(p) if p != Priority::P1 => Some((
            DecisionReason::CasePriorityNotEligible,
            format!("{benefit} is for P1 cases only, and the case is {p}"),
        )),
        Some(_) if !case.not_solvable_remotely => Some((
            DecisionReason::CaseSolvableRemotely,
            format!(
                "{benefit} is for P1 cases that cannot be solved remotely, and the case is not \
                 marked as such"
            ),
        )),
        Some(_) => None,
    }
}

/// Decides a benefit check under the terms of the effective contract. In order: the
/// benefit must be included, the contact (if given) designated, and, for a benefit that
/// depends on the case (on-site escalation), the `case` must qualify
/// ([`case_condition`]).
pub fn check_benefit(
    contract: &Contract,
    terms: &Terms,
    benefit: Benefit,
    contact: Option<&str>,
    case: &CaseContext,
) -> (bool, DecisionReason, String) {
    let reason = if !terms.benefits.contains(&benefit) {
        DecisionReason::BenefitNotInPlan
    } else if contact.is_some_and(|c| !contract.is_designated(c)) {
        DecisionReason::ContactNotDesignated
    } else if let Some((reason, why)) = case_condition(benefit, case) {
        return (
            false,
            reason,
            format!(
                "{why} (contract {}, plan {}, version {})",
                contract.id, terms.plan_id, contract.version
            ),
        );
    } else {
        DecisionReason::Granted
    };
    let text = match reason {
        DecisionReason::Granted => format!(
            "{benefit} is included in contract {} (plan {}, version {})",
            contract.id, terms.plan_id, contract.version
        ),
        DecisionReason::BenefitNotInPlan => format!(
            "{benefit} is not included in contract {} (plan {}, version {})",
            contract.id, terms.plan_id, contract.version
        ),
        _ => format!(
            "{} is not a designated contact of contract {} (version {})",
            contact.unwrap_or_default(),
            contract.id,
            contract.version
        ),
    };
    (reason == DecisionReason::Granted, reason, text)
}

/// Why support is or is not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AvailabilityReason {
    /// The priority is covered around the clock.
    Covered24x7,
    /// The instant is inside business hours.
    WithinBusinessHours,
    /// Outside business hours; see the next available instant.
    OutsideBusinessHours,
    /// The plan does not offer the channel.
    ChannelNotInPlan,
}

/// Whether support is available on a channel for a priority at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// True if a case can be worked right now on this channel.
    pub available: bool,
    /// Why.
    pub reason: AvailabilityReason,
    /// When not available but will be: the next instant it is.
    pub next_available: Option<DateTime<Utc>>,
    /// The coverage of the priority.
    pub coverage: Coverage,
    /// A sentence for people.
    pub explanation: String,
}

/// Support availability for (channel, priority, t) under the terms of `contract`, the
/// contract in force at `t`. A next opening counts only within the contract's period.
pub fn availability(
    contract: &Contract,
    terms: &Terms,
    calendar: &Calendar,
    channel: Channel,
    priority: Priority,
    t: DateTime<Utc>,
) -> Result<Availability, DomainError> {
    let coverage = terms.for_priority(priority).coverage;
    if !terms.channels().contains(&channel) {
        return Ok(Availability {
            available: false,
            reason: AvailabilityReason::ChannelNotInPlan,
            next_available: None,
            coverage,
            explanation: format!("plan {} does not offer {channel} support", terms.plan_id),
        });
    }
    if coverage == Coverage::AroundTheClock {
        return Ok(Availability {
            available: true,
            reason: AvailabilityReason::Covered24x7,
            next_available: None,
            coverage,
            explanation: format!("{priority} is covered 24x7 on {channel}"),
        });
    }
    let clock = BusinessClock::Calendar(calendar);
    if clock.is_open(t)? {
        return Ok(Availability {
            available: true,
            reason: AvailabilityReason::WithinBusinessHours,
            next_available: None,
            coverage,
            explanation: format!("inside business hours ({})", calendar.time_zone()),
        });
    }
    let next = clock
        .next_open(t)
        .ok()
        .filter(|n| contract.effective_end().is_none_or(|e| *n < e));
    let when = next.map_or_else(
        || "no opening before the contract ends".to_owned(),
        |n| format!("next opening {n}"),
    );
    Ok(Availability {
        available: false,
        reason: AvailabilityReason::OutsideBusinessHours,
        next_available: next,
        coverage,
        explanation: format!(
            "{priority} on {channel} is served in business hours ({}); {when}",
            calendar.time_zone()
        ),
    })
}

/// For a contract that has not started yet: the first instant from its start at which
/// support on (channel, priority) is available under it, if any. A suspended contract
/// has none (it is not honoured until resumed); one whose termination is scheduled has
/// one when the termination falls after its start, as the question asked at the start
/// would be answered under it.
pub fn first_available_from_start(
    contract: &Contract,
    terms: &Terms,
    calendar: &Calendar,
    channel: Channel,
    priority: Priority,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    if !contract.is_effective(contract.start) {
        return Ok(None);
    }
    let a = availability(contract, terms, calendar, channel, priority, contract.start)?;
    Ok(if a.available {
        Some(contract.start)
    } else {
        a.next_available
    })
}

/// The contract in force at an instant with its resolved terms, or why there is none.
// Built once per request and matched at once; boxing the terms would only add an
// allocation to the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum InForce<'a> {
    /// A contract is in force.
    Effective {
        /// The contract.
        contract: &'a Contract,
        /// Its plan's terms with its overrides.
        terms: Terms,
    },
    /// None is.
    Denied {
        /// Why.
        reason: DecisionReason,
        /// The contract the reason concerns, if any.
        contract: Option<&'a Contract>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onsite_needs_a_p1_case_not_solvable_remotely() {
        let onsite = Benefit::OnsiteEscalationManagement;
        let case = |priority, not_solvable_remotely| CaseContext {
            priority,
            not_solvable_remotely,
        };
        assert_eq!(
            case_condition(onsite, &case(Some(Priority::P1), true)),
            None
        );
        assert_eq!(
            case_condition(onsite, &case(Some(Priority::P1), false)).map(|r| r.0),
            Some(DecisionReason::CaseSolvableRemotely)
        );
        for p in [None, Some(Priority::P2), Some(Priority::P4)] {
            assert_eq!(
                case_condition(onsite, &case(p, true)).map(|r| r.0),
                Some(DecisionReason::CasePriorityNotEligible)
            );
        }
        // Other benefits do not depend on the case.
        assert_eq!(
            case_condition(Benefit::PhoneSupport, &CaseContext::default()),
            None
        );
    }
}
