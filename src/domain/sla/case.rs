//! Case evaluation: every milestone of a case with its due instant, status and margin, as
//! of an instant "now", recomputed from the case's timeline.
//!
//! The evaluation instant is "now", or the resolution if the case was resolved before:
//! resolution stops every clock. Events after the evaluation instant are ignored, and a
//! pause that has not ended by then is still running. Each milestone is met only by its
//! own event; a milestone whose event never came before the case was resolved is
//! cancelled if the resolution came before its due instant, breached otherwise.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::at_risk::{AtRisk, assess};
use super::deadline::{ClockKind, Milestone, consumed, deadline};
use crate::domain::calendar::Calendar;
use crate::domain::catalog::{Priority, PriorityTerms};
use crate::domain::contract::Terms;
use crate::domain::error::{CaseEvent, DomainError};
use crate::domain::pause::{Pause, Pauses};

/// What happened on a case, as the ticketing system recorded it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseTimeline {
    /// When the case was opened; every target of the case counts from here.
    pub opened_at: DateTime<Utc>,
    /// The priority it was opened with.
    pub priority: Priority,
    /// Later priority changes: (instant, new priority).
    pub priority_changes: Vec<(DateTime<Utc>, Priority)>,
    /// Intervals waiting on the customer, as recorded: any order, possibly overlapping.
    /// [`evaluate_case`] checks them once into [`Pauses`]. Kept as recorded so that a pause
    /// before the opening is reported as listed, before the pauses are sorted.
    pub pauses: Vec<Pause>,
    /// When the first response was given.
    pub first_response_at: Option<DateTime<Utc>>,
    /// When updates were given after the first response.
    pub updates: Vec<DateTime<Utc>>,
    /// When the case was resolved; every clock stops there.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Where a milestone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MilestoneStatus {
    /// Its event happened by the due instant.
    Met,
    /// Its event happened after the due instant, or has not happened and the due instant
    /// has passed.
    Breached,
    /// Not yet due and not yet met.
    Pending,
    /// The case is paused; the clock is stopped.
    Paused,
    /// The priority has no target for this milestone.
    NoTarget,
    /// The case was resolved before the milestone's event and before its due instant.
    Cancelled,
}

impl MilestoneStatus {
    /// Stable snake_case name.
    pub fn key(self) -> &'static str {
        match self {
            MilestoneStatus::Met => "met",
            MilestoneStatus::Breached => "breached",
            MilestoneStatus::Pending => "pending",
            MilestoneStatus::Paused => "paused",
            MilestoneStatus::NoTarget => "no_target",
            MilestoneStatus::Cancelled => "cancelled",
        }
    }
}

/// One milestone of a case, evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneEvaluation {
    /// Which milestone.
    pub milestone: Milestone,
    /// 0 for the first response, n for the n-th update period.
    pub sequence: u32,
    /// The clock it runs on.
    pub clock: ClockKind,
    /// The target; `None` when there is none.
    pub target: Option<Duration>,
    /// The instant counting started from.
    pub start: DateTime<Utc>,
    /// When it is due; `None` without a target or while paused.
    pub due: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: MilestoneStatus,
    /// The event that met or breached it, if any.
    pub event_at: Option<DateTime<Utc>>,
    /// Target minus clock time consumed (pauses excluded) up to the event, or else up to
    /// the evaluation instant: positive = time left or met early, negative = overdue.
    /// `None` without a target.
    pub margin: Option<TimeDelta>,
    /// For an open milestone (pending or paused): how much of the target is used and
    /// when each at-risk threshold is crossed. `None` for any other status.
    pub at_risk: Option<AtRisk>,
    /// A sentence for people.
    pub explanation: String,
}

/// A case evaluated as of an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvaluation {
    /// The priority in force at the evaluation instant.
    pub priority: Priority,
    /// The evaluation instant: "now", or the resolution if earlier.
    pub evaluated_at: DateTime<Utc>,
    /// The milestones, first response first.
    pub milestones: Vec<MilestoneEvaluation>,
}

impl CaseTimeline {
    /// The priority in force at `now`.
    pub fn priority_at(&self, now: DateTime<Utc>) -> Priority {
        let mut changes: Vec<_> = self
            .priority_changes
            .iter()
            .filter(|(t, _)| *t <= now)
            .collect();
        changes.sort_by_key(|(t, _)| *t);
        changes.last().map_or(self.priority, |(_, p)| *p)
    }

    fn check(&self) -> Result<(), DomainError> {
        let before_open = |event: CaseEvent, what: &str, t: DateTime<Utc>| {
            if t < self.opened_at {
                Err(DomainError::CaseEventOutOfOrder {
                    event,
                    message: format!("{what} at {t} is before the case was opened"),
                })
            } else {
                Ok(())
            }
        };
        for (i, (t, _)) in self.priority_changes.iter().enumerate() {
            before_open(CaseEvent::PriorityChange(i), "priority change", *t)?;
        }
        for (i, p) in self.pauses.iter().enumerate() {
            before_open(CaseEvent::Pause(i), "pause", p.start)?;
        }
        if let Some(r) = self.first_response_at {
            before_open(CaseEvent::FirstResponse, "first response", r)?;
        }
        if let Some(r) = self.resolved_at {
            before_open(CaseEvent::Resolution, "resolution", r)?;
        }
        for (i, u) in self.updates.iter().enumerate() {
            if self.first_response_at.is_none_or(|r| *u < r) {
                return Err(DomainError::CaseEventOutOfOrder {
                    event: CaseEvent::Update(i),
                    message: format!("update at {u} is before the first response"),
                });
            }
        }
        Ok(())
    }
}

/// Decides a milestone's status from its due instant and its event, at the evaluation
/// instant `at`, which is the resolution when `resolved`.
fn status_of(
    due: Option<DateTime<Utc>>,
    event: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    resolved: bool,
) -> MilestoneStatus {
    match (due, event) {
        (Some(d), Some(e)) if e <= d => MilestoneStatus::Met,
        (Some(_), Some(_)) => MilestoneStatus::Breached,
        (Some(d), None) if at > d => MilestoneStatus::Breached,
        (_, None) if resolved => MilestoneStatus::Cancelled,
        (Some(_), None) => MilestoneStatus::Pending,
        // No due instant while paused; an event during the pause meets it.
        (None, Some(_)) => MilestoneStatus::Met,
        (None, None) => MilestoneStatus::Paused,
    }
}

/// Evaluates every milestone of a case as of `now`. `terms` are those of the contract in
/// force when the case was opened; without one, every milestone has no target.
pub fn evaluate_case(
    terms: Option<&Terms>,
    calendar: &Calendar,
    case: &CaseTimeline,
    now: DateTime<Utc>,
) -> Result<CaseEvaluation, DomainError> {
    case.check()?;
    let resolved = case.resolved_at.is_some_and(|r| r <= now);
    let at = if resolved {
        case.resolved_at.unwrap_or(now)
    } else {
        now
    };
    let happened = |t: &DateTime<Utc>| *t <= at;
    let pauses = Pauses::new(case.pauses.clone())?.as_known_at(at);
    let priority = case.priority_at(at);
    let none = PriorityTerms::none(priority);
    let pterms = terms.map_or(&none, |t| t.for_priority(priority));
    let clock = ClockKind::of(pterms.coverage).clock(calendar);
    let first_response = case.first_response_at.filter(happened);
    let changed = case
        .priority_changes
        .iter()
        .filter(|(t, _)| happened(t))
        .max_by_key(|(t, _)| *t);

    let mut milestones = Vec::new();
    let mut push = |milestone, sequence, start, event: Option<DateTime<Utc>>| {
        let d = deadline(pterms, milestone, calendar, start, &pauses)?;
        let mut explanation = d.explanation(calendar, &pauses)?;
        let (status, margin, at_risk) = match d.target {
            None => (MilestoneStatus::NoTarget, None, None),
            Some(target) => {
                let used = consumed(&clock, start, event.unwrap_or(at), &pauses)?;
                let status = status_of(d.due, event, at, resolved);
                let at_risk = match status {
                    MilestoneStatus::Pending | MilestoneStatus::Paused => {
                        Some(assess(&pterms.at_risk, &clock, start, target, &pauses, at)?)
                    }
                    _ => None,
                };
                let target = TimeDelta::from_std(target).unwrap_or(TimeDelta::MAX);
                (status, Some(target - used), at_risk)
            }
        };
        if let (Some((when, p)), Some(due), Milestone::FirstResponse) = (changed, d.due, milestone)
        {
            write!(
                explanation,
                "; priority changed to {p} at {when}, so {p} targets apply from the opening"
            )
            .ok();
            if due < *when {
                explanation.push_str(", and this deadline had already passed at the change");
            }
        }
        if terms.is_none() {
            explanation =
                "no contract was in force when the case was opened, so there is no target".into();
        }
        milestones.push(MilestoneEvaluation {
            milestone,
            sequence,
            clock: d.clock,
            target: d.target,
            start,
            due: d.due,
            status,
            event_at: event,
            margin,
            at_risk,
            explanation,
        });
        Ok::<(), DomainError>(())
    };

    push(Milestone::FirstResponse, 0, case.opened_at, first_response)?;
    if let Some(r) = first_response {
        let mut updates: Vec<_> = case.updates.iter().copied().filter(happened).collect();
        updates.sort();
        if pterms.update_cadence.is_none() {
            // No target, but its event (the first update) is reported when it happened.
            push(Milestone::NextUpdate, 1, r, updates.first().copied())?;
        } else {
            let mut anchor = r;
            let mut sequence = 1;
            for u in updates {
                push(Milestone::NextUpdate, sequence, anchor, Some(u))?;
                anchor = u;
                sequence += 1;
            }
            push(Milestone::NextUpdate, sequence, anchor, None)?;
        }
    }
    Ok(CaseEvaluation {
        priority,
        evaluated_at: at,
        milestones,
    })
}

/// A case's SLA status at an instant: the worst of its milestones' statuses there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    /// Nothing breached or at risk, and a milestone is still open (pending or paused).
    Pending,
    /// Nothing breached, and an open milestone has crossed an at-risk threshold.
    AtRisk,
    /// A milestone is breached.
    Breached,
    /// Nothing breached and nothing open: every milestone met, cancelled or without a
    /// target.
    Compliant,
}

impl CaseStatus {
    /// Stable snake_case name.
    pub fn key(self) -> &'static str {
        match self {
            CaseStatus::Pending => "pending",
            CaseStatus::AtRisk => "at_risk",
            CaseStatus::Breached => "breached",
            CaseStatus::Compliant => "compliant",
        }
    }
}

impl CaseEvaluation {
    /// The case's status at the evaluation instant.
    pub fn status(&self) -> CaseStatus {
        let open = |m: &&MilestoneEvaluation| {
            matches!(m.status, MilestoneStatus::Pending | MilestoneStatus::Paused)
        };
        if self
            .milestones
            .iter()
            .any(|m| m.status == MilestoneStatus::Breached)
        {
            CaseStatus::Breached
        } else if self.milestones.iter().filter(open).any(|m| {
            m.at_risk
                .as_ref()
                .is_some_and(|a| a.highest_crossed().is_some())
        }) {
            CaseStatus::AtRisk
        } else if self.milestones.iter().any(|m| open(&m)) {
            CaseStatus::Pending
        } else {
            CaseStatus::Compliant
        }
    }
}

/// What a case's evaluation says about every later instant, as long as its timeline and
/// terms stay as they are: when its next milestone falls due, whether it is breached
/// for good, and when it becomes at risk. Lets a tracked case be listed by status and
/// next due time from an index, without evaluating every case again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseOutlook {
    /// The instant evaluated: the outlook holds for every instant from here on.
    pub settled: DateTime<Utc>,
    /// The earliest due instant among the milestones without an event (pending, or
    /// breached and still not done); `None` when nothing is due, or the case is
    /// resolved.
    pub next_due: Option<DateTime<Utc>>,
    /// A milestone is breached at `settled`: breaches never heal.
    pub breached: bool,
    /// The earliest instant an open milestone crosses an at-risk threshold.
    pub at_risk_from: Option<DateTime<Utc>>,
    /// A milestone is open (pending or paused) at `settled`.
    pub open: bool,
}

impl CaseOutlook {
    /// The outlook of `eval`, an evaluation of a case that is `resolved` or not at its
    /// evaluation instant.
    pub fn of(eval: &CaseEvaluation, resolved: bool) -> CaseOutlook {
        let open = |m: &MilestoneEvaluation| {
            matches!(m.status, MilestoneStatus::Pending | MilestoneStatus::Paused)
        };
        let next_due = if resolved {
            None
        } else {
            eval.milestones
                .iter()
                .filter(|m| m.event_at.is_none())
                .filter_map(|m| m.due)
                .min()
        };
        let at_risk_from = eval
            .milestones
            .iter()
            .filter(|m| open(m))
            .filter_map(|m| m.at_risk.as_ref())
            .filter_map(|a| a.thresholds.iter().filter_map(|t| t.at).min())
            .min();
        CaseOutlook {
            settled: eval.evaluated_at,
            next_due,
            breached: eval
                .milestones
                .iter()
                .any(|m| m.status == MilestoneStatus::Breached),
            at_risk_from,
            open: eval.milestones.iter().any(open),
        }
    }

    /// The case's status at `t`, at or after [`CaseOutlook::settled`].
    pub fn status_at(&self, t: DateTime<Utc>) -> CaseStatus {
        if self.breached || self.next_due.is_some_and(|d| t > d) {
            CaseStatus::Breached
        } else if self.at_risk_from.is_some_and(|r| r <= t) {
            CaseStatus::AtRisk
        } else if self.open {
            CaseStatus::Pending
        } else {
            CaseStatus::Compliant
        }
    }
}

impl CaseTimeline {
    /// The latest instant the timeline records (the opening at least): an evaluation at
    /// or after it sees every recorded event.
    pub fn last_recorded(&self) -> DateTime<Utc> {
        let mut last = self.opened_at;
        let mut see = |t: DateTime<Utc>| last = last.max(t);
        self.priority_changes.iter().for_each(|(t, _)| see(*t));
        for p in &self.pauses {
            see(p.start);
            p.end.into_iter().for_each(&mut see);
        }
        self.first_response_at.into_iter().for_each(&mut see);
        self.updates.iter().copied().for_each(&mut see);
        self.resolved_at.into_iter().for_each(&mut see);
        last
    }

    /// Checks the timeline's rules (every event at or after the opening, updates after
    /// the first response, no inverted pause), as [`evaluate_case`] does.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.check()?;
        Pauses::new(self.pauses.clone()).map(|_| ())
    }
}
