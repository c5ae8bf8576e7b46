//! A calendar's cumulative open time in closed form, so that business-time arithmetic costs
//! the same for a 10,000-hour target as for a 30-minute one.
//!
//! A [`DayTable`] holds the nominal open time of each weekday plus the few irregular days
//! (closed dates, special dates, days with an offset change) with their exact open time
//! and a running sum. The cumulative open time up to any day is then whole weeks times the
//! weekly total, plus a weekday prefix, plus one binary search over irregular days.

use super::open_days::{OpenDays, weekday_index};
use super::zone::{END_DAY, FIRST_DAY};

/// Cumulative open time of a calendar, in closed form.
#[derive(Debug)]
pub(super) struct DayTable {
    /// Open seconds of Monday..the weekday before index i, nominally (no offset changes).
    week_prefix: [i64; 8],
    /// Irregular day numbers, ascending: days whose open time differs from nominal.
    irregular_days: Vec<i64>,
    /// `excess[i]` = sum of (actual - nominal) open seconds of `irregular_days[..i]`.
    excess: Vec<i64>,
}

impl DayTable {
    /// Builds the table of a calendar's open days: nominal weekdays plus every irregular
    /// day.
    pub(super) fn build(days: &OpenDays) -> DayTable {
        let mut week_prefix = [0i64; 8];
        for wd in 0..7 {
            week_prefix[wd + 1] = week_prefix[wd] + days.nominal_seconds(wd);
        }
        let mut candidates: Vec<i64> = days
            .zone()
            .change_days()
            .chain(days.exception_days())
            .filter(|d| (FIRST_DAY..END_DAY).contains(d))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut irregular_days = Vec::new();
        let mut excess = vec![0];
        for day in candidates {
            let mut actual = 0;
            days.visit_open_ranges(day, |s, e| {
                actual += e - s;
                true
            });
            let delta = actual - days.nominal_seconds(weekday_index(day));
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

    pub(super) fn week_total(&self) -> i64 {
        self.week_prefix[7]
    }

    /// Nominal open seconds from a fixed Monday up to the start of `day`.
    fn nominal_before(&self, day: i64) -> i64 {
        let e = day + 3;
        e.div_euclid(7) * self.week_total() + self.week_prefix[e.rem_euclid(7) as usize]
    }

    /// Open seconds from a fixed origin up to the start of `day`.
    pub(super) fn open_before(&self, day: i64) -> i64 {
        let i = self.irregular_days.partition_point(|d| *d < day);
        self.nominal_before(day) + self.excess[i]
    }

    /// The smallest day `d >= from` whose end brings the cumulative open time to at least
    /// `target`, or `None` if no day before the end of the validity window does.
    pub(super) fn first_day_reaching(&self, target: i64, from: i64) -> Option<i64> {
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
