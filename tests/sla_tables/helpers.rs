//! Shared by the modules of the SLA tables binary: the RFC 3339 and time-of-day literals,
//! the Berlin office calendar and the built-in tier terms every table starts from.

pub(crate) use std::time::Duration;

pub(crate) use chrono::{DateTime, NaiveDate, TimeDelta, Timelike, Utc, Weekday};
pub(crate) use chrono_tz::Tz;
pub(crate) use entitlements::domain::catalog::builtin::builtin_plans;
pub(crate) use entitlements::domain::entitlement::{availability, check_benefit, explain_denial};
pub(crate) use entitlements::domain::{
    AtRiskThresholds, AvailabilityReason, Benefit, BusinessClock, Calendar, CaseContext, CaseEvent,
    CaseTimeline, Channel, ClockKind, ClosedDate, Contract, ContractAt, ContractOverrides,
    ContractState, Coverage, DateException, DecisionReason, DesignatedContact, DomainError,
    Milestone, MilestoneEvaluation, MilestoneStatus, OpenInterval, Pause, Pauses, Plan, Priority,
    PriorityTerms, SpecialDate, Terms, TimeOfDay, contract_at, deadline, evaluate_case,
};

pub(crate) const HOUR: u64 = 3600;
pub(crate) const MINUTE: u64 = 60;

/// An RFC 3339 literal as a UTC instant.
pub(crate) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad literal {s}: {e}"))
        .with_timezone(&Utc)
}

pub(crate) fn hm(h: u32, m: u32) -> TimeOfDay {
    TimeOfDay::hm(h, m).unwrap()
}

pub(crate) fn iv(open: TimeOfDay, close: TimeOfDay) -> OpenInterval {
    OpenInterval { open, close }
}

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(crate) const WORKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

pub(crate) const ALL_DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Europe/Berlin, Mon-Fri 09:00-17:00, Christmas Eve 09:00-12:00, Christmas Day closed.
pub(crate) fn berlin() -> Calendar {
    Calendar::new(
        "Europe/Berlin",
        WORKDAYS
            .into_iter()
            .map(|d| (d, vec![iv(hm(9, 0), hm(17, 0))]))
            .collect(),
        vec![
            DateException::Closed(ClosedDate {
                date: date(2026, 12, 25),
                reason: "Christmas Day".into(),
            }),
            DateException::Special(SpecialDate {
                date: date(2026, 12, 24),
                intervals: vec![iv(hm(9, 0), hm(12, 0))],
                reason: "Christmas Eve".into(),
            }),
        ],
    )
    .unwrap()
}

/// A calendar open on `days` during `interval`, nothing else.
pub(crate) fn open_on(zone: &str, days: &[Weekday], interval: OpenInterval) -> Calendar {
    Calendar::new(
        zone,
        days.iter().map(|d| (*d, vec![interval])).collect(),
        vec![],
    )
    .unwrap()
}

pub(crate) fn plan(id: &str) -> Plan {
    builtin_plans()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no built-in plan {id}"))
}

/// An active contract of account `acme` on `plan_id` from `start` to `end`.
pub(crate) fn contract(id: &str, plan_id: &str, start: &str, end: Option<&str>) -> Contract {
    Contract {
        id: id.into(),
        account_id: "acme".into(),
        plan_id: plan_id.into(),
        start: t(start),
        end: end.map(t),
        state: ContractState::Active,
        terminated_at: None,
        overrides: ContractOverrides::default(),
        contacts: vec![],
        technical_account_manager: None,
        version: 1,
    }
}

/// The terms of a plain contract on a built-in tier.
pub(crate) fn tier_terms(tier: &str) -> Terms {
    contract("c-1", tier, "2026-01-01T00:00:00Z", None).terms(&plan(tier))
}

pub(crate) fn secs(d: Option<TimeDelta>) -> Option<i64> {
    d.map(|d| d.num_seconds())
}
