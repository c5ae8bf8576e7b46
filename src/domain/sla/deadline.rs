//! Deadlines: when a milestone of a case is due, on which clock, and why, recomputed from
//! the case's timeline every time (never from stored partial state). It also owns the one
//! mapping from a priority's coverage to its clock ([`ClockKind::of`], [`ClockKind::clock`]).
//!
//! A case has a first-response milestone, then one update milestone per cadence period:
//! after the first response at R the next update is due at R + cadence on the same clock,
//! and each recorded update U resets it to U + cadence. Each milestone is met only by its
//! own event. Paused intervals do not count. After a priority change the targets of the new
//! priority apply, measured from the case's opening.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::calendar::Calendar;
use crate::domain::calendar::business_clock::BusinessClock;
use crate::domain::catalog::{Coverage, Priority, PriorityTerms};
use crate::domain::error::DomainError;
use crate::domain::pause::Pauses;
use crate::domain::text::{write_human, write_stamp};

/// The two kinds of milestone a case has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Milestone {
    /// The first response to the customer.
    FirstResponse,
    /// The next update to the customer after the first response or the last update.
    NextUpdate,
}

impl Milestone {
    /// Stable snake_case name.
    pub fn key(self) -> &'static str {
        match self {
            Milestone::FirstResponse => "first_response",
            Milestone::NextUpdate => "next_update",
        }
    }
}

/// Which clock a target is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockKind {
    /// Every second counts.
    Continuous,
    /// Only the account's business hours count.
    BusinessHours,
}

impl ClockKind {
    /// Stable snake_case name.
    pub fn key(self) -> &'static str {
        match self {
            ClockKind::Continuous => "continuous",
            ClockKind::BusinessHours => "business_hours",
        }
    }

    /// The clock a priority's targets run on: continuous under 24x7 coverage, else
    /// business hours.
    pub fn of(coverage: Coverage) -> ClockKind {
        match coverage {
            Coverage::AroundTheClock => ClockKind::Continuous,
            Coverage::BusinessHours => ClockKind::BusinessHours,
        }
    }

    /// This clock over `calendar`: every second, or only the calendar's open time.
    pub fn clock(self, calendar: &Calendar) -> BusinessClock<'_> {
        match self {
            ClockKind::Continuous => BusinessClock::Continuous,
            ClockKind::BusinessHours => BusinessClock::Calendar(calendar),
        }
    }
}

/// The earliest instant at which `target` of clock time has been consumed since `start`,
/// not counting `pauses`. `None` while an open-ended pause holds the clock before the
/// target is used up.
pub(crate) fn due_after(
    clock: &BusinessClock<'_>,
    start: DateTime<Utc>,
    target: Duration,
    pauses: &Pauses,
) -> Result<Option<DateTime<Utc>>, DomainError> {
    let mut cur = start;
    let mut remaining = target;
    for p in pauses.iter().filter(|p| p.end.is_none_or(|e| e > start)) {
        let pause_start = p.start.max(cur);
        let candidate = clock.add(cur, remaining)?;
        if candidate <= pause_start {
            return Ok(Some(candidate));
        }
        let used = clock.between(cur, pause_start)?;
        remaining -= used.to_std().unwrap_or_default();
        match p.end {
            Some(end) => cur = cur.max(end),
            None => return Ok(None),
        }
    }
    clock.add(cur, remaining).map(Some)
}

/// Clock time consumed between `start` and `t`, not counting pauses.
pub(crate) fn consumed(
    clock: &BusinessClock<'_>,
    start: DateTime<Utc>,
    t: DateTime<Utc>,
    pauses: &Pauses,
) -> Result<TimeDelta, DomainError> {
    if t <= start {
        return Ok(TimeDelta::zero());
    }
    Ok(clock.between(start, t)? - paused_within(clock, start, t, pauses)?)
}

/// Clock time inside pauses between `start` and `t`.
fn paused_within(
    clock: &BusinessClock<'_>,
    start: DateTime<Utc>,
    t: DateTime<Utc>,
    pauses: &Pauses,
) -> Result<TimeDelta, DomainError> {
    let mut total = TimeDelta::zero();
    for p in pauses.iter() {
        let (s, e) = (p.start.max(start), p.end.unwrap_or(t).min(t));
        if s < e {
            total += clock.between(s, e)?;
        }
    }
    Ok(total)
}

/// A deadline with what it took to get there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The priority whose terms applied.
    pub priority: Priority,
    /// Which milestone.
    pub milestone: Milestone,
    /// The clock the target runs on.
    pub clock: ClockKind,
    /// The target; `None` means the priority has no target for this milestone.
    pub target: Option<Duration>,
    /// The instant counting starts from.
    pub start: DateTime<Utc>,
    /// The due instant; `None` without a target or while paused indefinitely.
    pub due: Option<DateTime<Utc>>,
}

impl Deadline {
    /// A sentence for people: the target and clock, time counted, closed time skipped,
    /// paused time, and the calendar's closed and special dates in range. Built only when
    /// an answer needs it, so that computing deadlines stays cheap.
    pub fn explanation(&self, calendar: &Calendar, pauses: &Pauses) -> Result<String, DomainError> {
        let Some(target) = self.target else {
            return Ok(format!(
                "{} has no {} target",
                self.priority,
                self.milestone.key()
            ));
        };
        let clock = self.clock.clock(calendar);
        explain(
            &clock,
            self.priority,
            self.milestone,
            target,
            self.start,
            self.due,
            pauses,
        )
    }
}

/// The deadline of one milestone: `target` from `start` on the priority's clock.
pub fn deadline(
    terms: &PriorityTerms,
    milestone: Milestone,
    calendar: &Calendar,
    start: DateTime<Utc>,
    pauses: &Pauses,
) -> Result<Deadline, DomainError> {
    let clock_kind = ClockKind::of(terms.coverage);
    let clock = clock_kind.clock(calendar);
    let target = match milestone {
        Milestone::FirstResponse => terms.first_response,
        Milestone::NextUpdate => terms.update_cadence,
    };
    let due = match target {
        None => None,
        Some(target) if pauses.is_empty() => Some(clock.add(start, target)?),
        Some(target) => due_after(&clock, start, target, pauses)?,
    };
    Ok(Deadline {
        priority: terms.priority,
        milestone,
        clock: clock_kind,
        target,
        start,
        due,
    })
}

fn explain(
    clock: &BusinessClock<'_>,
    priority: Priority,
    milestone: Milestone,
    target: Duration,
    start: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
    pauses: &Pauses,
) -> Result<String, DomainError> {
    // Written piece by piece rather than with `format!`: this sentence is on every
    // deadline's path. (Writing into a `String` cannot fail.)
    let target_delta = TimeDelta::from_std(target).unwrap_or(TimeDelta::MAX);
    let mut text = String::with_capacity(256);
    for part in [priority.label(), " ", milestone.key(), " target "] {
        text.push_str(part);
    }
    write_human(&mut text, target_delta).ok();
    match clock {
        BusinessClock::Continuous => text.push_str(" on the continuous clock (24x7)"),
        BusinessClock::Calendar(c) => {
            for part in [" in business hours (", c.time_zone(), ")"] {
                text.push_str(part);
            }
        }
    }
    text.push_str(", counted from ");
    write_stamp(&mut text, start).ok();
    let Some(due) = due else {
        text.push_str("; the case is paused, so the clock is stopped and no instant is due yet");
        return Ok(text);
    };
    let paused = paused_within(clock, start, due, pauses)?;
    let closed = (due - start) - clock.between(start, due)?;
    text.push_str(": due ");
    write_stamp(&mut text, due).ok();
    text.push_str("; ");
    write_human(&mut text, target_delta).ok();
    text.push_str(" counted");
    if closed > TimeDelta::zero() {
        text.push_str(", ");
        write_human(&mut text, closed).ok();
        text.push_str(" closed time skipped");
    }
    if paused > TimeDelta::zero() {
        text.push_str(", ");
        write_human(&mut text, paused).ok();
        text.push_str(" paused");
    }
    if let BusinessClock::Calendar(c) = clock {
        let tz = c.zone().tz();
        let dates = c.exceptions_between(
            start.with_timezone(&tz).date_naive(),
            due.with_timezone(&tz).date_naive(),
        );
        for (i, date) in dates.iter().enumerate() {
            let lead = if i == 0 {
                "; calendar dates in range: "
            } else {
                "; "
            };
            write!(text, "{lead}{date}").ok();
        }
    }
    Ok(text)
}
