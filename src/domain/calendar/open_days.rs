//! A calendar's open time day by day: the weekly hours with the closed and special dates
//! laid over them, as local day numbers, and the UTC ranges each day's intervals cover in
//! the calendar's zone. [`OpenDays`] is what both the day table and the business clock
//! read; it is built before either, so a calendar is built in one pass.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use super::hours::OpenInterval;
use super::zone::{DayBits, ZoneTimeline};

/// The open intervals of every local day of a calendar, and its zone.
#[derive(Debug, Clone)]
pub(super) struct OpenDays {
    /// The zone's offset changes.
    zone: Arc<ZoneTimeline>,
    /// Open intervals per weekday, Monday first; sorted, merged, non-overlapping.
    weekly: [Vec<OpenInterval>; 7],
    /// The closed and special dates as day numbers with their intervals (none when
    /// closed), sorted, for a cheap lookup on the hot path.
    exception_days: Vec<(i64, Vec<OpenInterval>)>,
    /// The same days as bits, so that an ordinary day costs no search.
    exception_bits: DayBits,
}

/// Days from 1970-01-01 to `date`.
pub(super) fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

/// Weekday index, Monday = 0, of a day number (1970-01-01 was a Thursday).
pub(super) fn weekday_index(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

impl OpenDays {
    /// The open days of `weekly` hours with `exception_days` (sorted day numbers with
    /// their intervals, none when closed) laid over them, in `zone`.
    pub(super) fn new(
        zone: Arc<ZoneTimeline>,
        weekly: [Vec<OpenInterval>; 7],
        exception_days: Vec<(i64, Vec<OpenInterval>)>,
    ) -> OpenDays {
        OpenDays {
            zone,
            weekly,
            exception_bits: exception_days.iter().map(|(d, _)| *d).collect(),
            exception_days,
        }
    }

    /// The zone's offset timeline.
    pub(super) fn zone(&self) -> &ZoneTimeline {
        &self.zone
    }

    /// Open intervals per weekday, Monday first.
    pub(super) fn weekly(&self) -> &[Vec<OpenInterval>; 7] {
        &self.weekly
    }

    /// The wall-time intervals that apply on local day `day`.
    fn wall_intervals(&self, day: i64) -> &[OpenInterval] {
        if self.exception_bits.contains(day)
            && let Ok(i) = self.exception_days.binary_search_by_key(&day, |(d, _)| *d)
        {
            return &self.exception_days[i].1;
        }
        &self.weekly[weekday_index(day)]
    }

    /// Visits the UTC ranges open on local day `day`, in time order, until `visit` returns
    /// false. On a day with an offset change, the ranges of a repeated hour can come out of
    /// order interval by interval (01:00-02:15 and 02:30-04:00 on a fall-back day
    /// interleave), so they are collected, sorted and merged first.
    pub(super) fn visit_open_ranges(&self, day: i64, mut visit: impl FnMut(i64, i64) -> bool) {
        if !self.zone.is_change_day(day) {
            for i in self.wall_intervals(day) {
                let (open, close) = (i64::from(i.open.seconds()), i64::from(i.close.seconds()));
                if !self.zone.visit_wall_interval(day, open, close, &mut visit) {
                    return;
                }
            }
            return;
        }
        let mut ranges: Vec<(i64, i64)> = Vec::new();
        for i in self.wall_intervals(day) {
            let (open, close) = (i64::from(i.open.seconds()), i64::from(i.close.seconds()));
            self.zone
                .visit_wall_interval(day, open, close, &mut |s, e| {
                    ranges.push((s, e));
                    true
                });
        }
        ranges.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        for (s, e) in merged {
            if !visit(s, e) {
                return;
            }
        }
    }

    /// Nominal open seconds of a weekday (Monday = 0), ignoring offset changes.
    pub(super) fn nominal_seconds(&self, weekday: usize) -> i64 {
        self.weekly[weekday]
            .iter()
            .map(|i| i64::from(i.close.seconds() - i.open.seconds()))
            .sum()
    }

    /// The day numbers with a closed or special date.
    pub(super) fn exception_days(&self) -> impl Iterator<Item = i64> + '_ {
        self.exception_days.iter().map(|(d, _)| *d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers() {
        let d = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        assert_eq!(day_number(d), 0);
        assert_eq!(weekday_index(0), 3);
    }
}
