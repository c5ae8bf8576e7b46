//! The business clock: how much open time lies between two instants, and which instant a
//! duration of open time reaches. This is the arithmetic every deadline rests on.
//!
//! A [`BusinessClock`] is either continuous (every second counts) or a business-hours
//! [`Calendar`] (only open time counts, per SPEC's DST rule: an instant counts when its local
//! wall time lies in an open interval of its local date). Calendar arithmetic is closed
//! form, over the calendar's day table (see `day_table.rs`): a position is the open time
//! before its day plus the open time within it, so a 10,000-hour target costs the same as a
//! 30-minute one.
//!
//! That arithmetic is the `impl Calendar` block below: it reads the calendar's private open
//! days and day table, which is why this module sits inside `calendar/`.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Calendar;
use super::zone::{END_DAY, FIRST_DAY};
use crate::domain::error::DomainError;

fn outside(t: i64) -> DomainError {
    DomainError::OutsideValidity(format_instant(t))
}

/// An instant as RFC 3339 text, for messages.
fn format_instant(t: i64) -> String {
    DateTime::from_timestamp(t, 0).map_or_else(|| format!("{t}s"), |d| d.to_rfc3339())
}

impl Calendar {
    /// Refuses an instant whose local date in this calendar's zone is outside the validity
    /// window (1970-01-01 to 2099-12-31).
    pub fn check_instant(&self, t: DateTime<Utc>) -> Result<(), DomainError> {
        self.day_of(t.timestamp()).map(|_| ())
    }

    /// The local day of `t`, checked against the validity window.
    fn day_of(&self, t: i64) -> Result<i64, DomainError> {
        let day = self.zone().local_day(t);
        if (FIRST_DAY..END_DAY).contains(&day) {
            Ok(day)
        } else {
            Err(outside(t))
        }
    }

    /// Open seconds from the fixed origin up to `t`.
    fn position(&self, t: i64) -> Result<i64, DomainError> {
        self.position_in(self.day_of(t)?, t)
    }

    /// Open seconds from the fixed origin up to `t`, whose local day is `day`.
    fn position_in(&self, day: i64, t: i64) -> Result<i64, DomainError> {
        let mut within = 0;
        self.days.visit_open_ranges(day, |s, e| {
            if s < t {
                within += e.min(t) - s;
            }
            e < t
        });
        Ok(self.table.open_before(day) + within)
    }

    /// The first instant at or after day `from` at which the cumulative open time reaches
    /// `target`; with `opening`, the start of the open range that contains it instead.
    fn reach(&self, target: i64, from: i64, opening: bool) -> Result<i64, DomainError> {
        let day = self
            .table
            .first_day_reaching(target, from)
            .ok_or_else(|| self.not_reached(from * 86_400))?;
        let mut rem = target - self.table.open_before(day);
        let mut found = None;
        self.days.visit_open_ranges(day, |s, e| {
            if rem <= e - s {
                found = Some(if opening { s } else { s + rem });
                return false;
            }
            rem -= e - s;
            true
        });
        found.ok_or_else(|| self.not_reached(from * 86_400))
    }

    fn is_open_secs(&self, t: i64) -> Result<bool, DomainError> {
        let day = self.day_of(t)?;
        let mut open = false;
        self.days.visit_open_ranges(day, |s, e| {
            open = s <= t && t < e;
            !open && e <= t
        });
        Ok(open)
    }

    /// Why open time needed after `from` was not found: with weekly open hours the
    /// calendar keeps opening, so the validity window ended first; without, the calendar
    /// has no open time left.
    fn not_reached(&self, from: i64) -> DomainError {
        if self.table.week_total() > 0 {
            DomainError::OutsideValidity(format!("after {}", format_instant(END_DAY * 86_400)))
        } else {
            DomainError::NoOpenTimeAfter(format_instant(from))
        }
    }

    fn add_secs(&self, start: i64, secs: i64) -> Result<i64, DomainError> {
        let day = self.day_of(start)?;
        if secs == 0 {
            return Ok(start);
        }
        // No more open time than the whole window exists; refusing longer durations here
        // also keeps the arithmetic below far from overflow.
        if secs > (END_DAY - FIRST_DAY + 2) * 86_400 {
            return Err(self.not_reached(start));
        }
        let target = self.position_in(day, start)? + secs;
        self.reach(target, day, false)
    }

    fn next_open_secs(&self, t: i64) -> Result<i64, DomainError> {
        if self.is_open_secs(t)? {
            return Ok(t);
        }
        let day = self.day_of(t)?;
        let target = self.position_in(day, t)? + 1;
        self.reach(target, day, true)
    }
}

/// The clock a target runs on: every second, or only a calendar's open time.
#[derive(Debug, Clone, Copy)]
pub enum BusinessClock<'a> {
    /// Every second counts (24x7 coverage).
    Continuous,
    /// Only the calendar's open time counts.
    Calendar(&'a Calendar),
}

fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn instant(t: i64) -> Result<DateTime<Utc>, DomainError> {
    DateTime::from_timestamp(t, 0).ok_or_else(|| outside(t))
}

impl BusinessClock<'_> {
    /// True if the clock is counting at `t`.
    pub fn is_open(&self, t: DateTime<Utc>) -> Result<bool, DomainError> {
        match self {
            BusinessClock::Continuous => Ok(true),
            BusinessClock::Calendar(c) => c.is_open_secs(secs(t)),
        }
    }

    /// `t` if the clock is counting at `t`, else the next instant it starts counting.
    pub fn next_open(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, DomainError> {
        match self {
            BusinessClock::Continuous => Ok(t),
            BusinessClock::Calendar(c) => instant(c.next_open_secs(secs(t))?),
        }
    }

    /// The earliest instant `D >= start` with `between(start, D) == duration`. A start in
    /// closed time counts from the next opening; a duration used up exactly at a closing
    /// time gives that closing instant. Whole seconds: a fraction of `duration` is dropped.
    pub fn add(
        &self,
        start: DateTime<Utc>,
        duration: Duration,
    ) -> Result<DateTime<Utc>, DomainError> {
        let s = secs(start);
        let d = i64::try_from(duration.as_secs()).map_err(|_| outside(i64::MAX))?;
        match self {
            BusinessClock::Continuous => instant(s.checked_add(d).ok_or_else(|| outside(s))?),
            BusinessClock::Calendar(c) => instant(c.add_secs(s, d)?),
        }
    }

    /// The open time between `a` and `b`; negative when `b` is before `a`.
    pub fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Result<TimeDelta, DomainError> {
        let (sa, sb) = (secs(a), secs(b));
        let d = match self {
            BusinessClock::Continuous => sb - sa,
            BusinessClock::Calendar(c) => c.position(sb)? - c.position(sa)?,
        };
        Ok(TimeDelta::seconds(d))
    }
}
