//! Business time: how much open time lies between two instants, and which instant a
//! duration of open time reaches. This is the arithmetic every deadline rests on.
//!
//! A [`BusinessClock`] is either continuous (every second counts) or a business-hours
//! [`Calendar`] (only open time counts, per SPEC's DST rule: an instant counts when its local
//! wall time lies in an open interval of its local date). Calendar arithmetic is closed
//! form: a [`DayTable`] holds the nominal open time of each weekday plus the few irregular
//! days (closed dates, special dates, days with an offset change) with their exact open
//! time and a running sum. The cumulative open time up to any day is then whole weeks times
//! the weekly total, plus a weekday prefix, plus one binary search over irregular days, so a
//! 10,000-hour target costs the same as a 30-minute one.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::calendar::{Calendar, weekday_index};
use super::error::DomainError;
use super::zone::{END_DAY, FIRST_DAY};

/// Cumulative open time of a calendar, in closed form.
#[derive(Debug, Default)]
pub struct DayTable {
    /// Open seconds of Monday..the weekday before index i, nominally (no offset changes).
    week_prefix: [i64; 8],
    /// Irregular day numbers, ascending: days whose open time differs from nominal.
    irregular_days: Vec<i64>,
    /// `excess[i]` = sum of (actual - nominal) open seconds of `irregular_days[..i]`.
    excess: Vec<i64>,
}

impl DayTable {
    /// Builds the table of a calendar: nominal weekdays plus every irregular day.
    pub(crate) fn build(cal: &Calendar) -> DayTable {
        let mut week_prefix = [0i64; 8];
        for wd in 0..7 {
            week_prefix[wd + 1] = week_prefix[wd] + cal.nominal_seconds(wd);
        }
        let mut candidates: Vec<i64> = cal
            .zone()
            .change_days()
            .chain(cal.exception_days())
            .filter(|d| (FIRST_DAY..END_DAY).contains(d))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut irregular_days = Vec::new();
        let mut excess = vec![0];
        for day in candidates {
            let mut actual = 0;
            cal.visit_open_ranges(day, |s, e| {
                actual += e - s;
                true
            });
            let delta = actual - cal.nominal_seconds(weekday_index(day));
            if delta != 0 {
                irregular_days.push(day);
                excess.push(excess.last().copied().unwrap_or(0) + delta);
            }
        }
        DayTable {
            week_prefix,
            irregular_days,
            excess,
        }
    }

    fn week_total(&self) -> i64 {
        self.week_prefix[7]
    }

    /// Nominal open seconds from a fixed Monday up to the start of `day`.
    fn nominal_before(&self, day: i64) -> i64 {
        let e = day + 3;
        e.div_euclid(7) * self.week_total() + self.week_prefix[e.rem_euclid(7) as usize]
    }

    /// Open seconds from a fixed origin up to the start of `day`.
    fn open_before(&self, day: i64) -> i64 {
        let i = self.irregular_days.partition_point(|d| *d < day);
        self.nominal_before(day) + self.excess[i]
    }

    /// The smallest day `d >= from` whose end brings the cumulative open time to at least
    /// `target`, or `None` if no day before the end of the validity window does.
    fn first_day_reaching(&self, target: i64, from: i64) -> Option<i64> {
        let days = &self.irregular_days;
        let j0 = days.partition_point(|d| *d < from);
        // Binary search for the first irregular day whose end reaches the target.
        let (mut lo_i, mut hi_i) = (j0, days.len());
        while lo_i < hi_i {
            let mid = lo_i + (hi_i - lo_i) / 2;
            if self.nominal_before(days[mid] + 1) + self.excess[mid + 1] < target {
                lo_i = mid + 1;
            } else {
                hi_i = mid;
            }
        }
        let j = lo_i;
        // Days in [lo, hi) are regular, so their cumulative time is nominal plus a constant.
        let lo = if j > j0 { days[j - 1] + 1 } else { from };
        let hi = days.get(j).copied().unwrap_or(END_DAY);
        let need = target - self.excess[j];
        if let Some(end) = self.first_end_reaching(lo + 1, hi, need) {
            return Some(end - 1);
        }
        days.get(j).copied()
    }

    /// The smallest `x` in `[lo, hi]` with `nominal_before(x) >= need`.
    fn first_end_reaching(&self, lo: i64, hi: i64, need: i64) -> Option<i64> {
        if lo > hi {
            return None;
        }
        if self.nominal_before(lo) >= need {
            return Some(lo);
        }
        let w = self.week_total();
        if w == 0 {
            return None;
        }
        // Whole weeks in closed form, then at most two weeks day by day.
        let weeks = need.div_euclid(w) - 1;
        let mut x = lo.max(weeks * 7 - 3);
        while x <= hi {
            if self.nominal_before(x) >= need {
                return Some(x);
            }
            x += 1;
        }
        None
    }
}

fn outside(t: i64) -> DomainError {
    DomainError::OutsideValidity(format_instant(t))
}

/// An instant as RFC 3339 text, for messages.
pub(crate) fn format_instant(t: i64) -> String {
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
        self.visit_open_ranges(day, |s, e| {
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
        self.visit_open_ranges(day, |s, e| {
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
        self.visit_open_ranges(day, |s, e| {
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
