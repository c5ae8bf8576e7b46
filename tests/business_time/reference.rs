//! The test's own calendar definitions (`Def`, the zones) and the minute-stepping
//! reference that says which minutes are open, with the small helpers the other modules
//! share.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use entitlements::domain::{
    BusinessClock, Calendar, ClosedDate, DateException, DomainError, OpenInterval, SpecialDate,
    TimeOfDay,
};
use proptest::test_runner::TestCaseError;

// ---------------------------------------------------------------------------------------
// Calendar definitions kept by the test, and the minute-stepping reference.
// ---------------------------------------------------------------------------------------

pub(crate) const ZONES: [&str; 7] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
    "America/Sao_Paulo",
    "Pacific/Auckland",
];

pub(crate) const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Open intervals of one day as `[open, close)` in minutes after local midnight.
pub(crate) type Intervals = Vec<(u32, u32)>;

/// The test's own copy of a calendar definition.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub(crate) zone: &'static str,
    pub(crate) weekly: [Intervals; 7],
    pub(crate) closed: BTreeSet<NaiveDate>,
    pub(crate) special: BTreeMap<NaiveDate, Intervals>,
}

fn tod(minutes: u32) -> TimeOfDay {
    TimeOfDay::hm(minutes / 60, minutes % 60).expect("minute of day within 00:00-24:00")
}

fn to_intervals(v: &Intervals) -> Vec<OpenInterval> {
    v.iter()
        .map(|&(o, c)| OpenInterval {
            open: tod(o),
            close: tod(c),
        })
        .collect()
}

impl Def {
    fn tz(&self) -> Tz {
        self.zone.parse().expect("known zone")
    }

    pub(crate) fn has_open_time(&self) -> bool {
        self.weekly.iter().any(|d| !d.is_empty()) || self.special.values().any(|d| !d.is_empty())
    }

    pub(crate) fn build(&self) -> Result<Calendar, DomainError> {
        let weekly = WEEKDAYS
            .iter()
            .zip(&self.weekly)
            .map(|(wd, v)| (*wd, to_intervals(v)))
            .collect();
        let mut exceptions: Vec<DateException> = self
            .closed
            .iter()
            .map(|&date| {
                DateException::Closed(ClosedDate {
                    date,
                    reason: "holiday".into(),
                })
            })
            .collect();
        exceptions.extend(self.special.iter().map(|(&date, v)| {
            DateException::Special(SpecialDate {
                date,
                intervals: to_intervals(v),
                reason: "special".into(),
            })
        }));
        Calendar::new(self.zone, weekly, exceptions)
    }

    /// The wall-time intervals that apply on a local date.
    fn intervals_on(&self, date: NaiveDate) -> &[(u32, u32)] {
        if self.closed.contains(&date) {
            &[]
        } else if let Some(s) = self.special.get(&date) {
            s
        } else {
            &self.weekly[date.weekday().num_days_from_monday() as usize]
        }
    }

    /// The reference's definition of "open" for an instant on a whole minute.
    fn open_at(&self, tz: Tz, t: DateTime<Utc>) -> bool {
        let local = tz.from_utc_datetime(&t.naive_utc());
        let m = local.hour() * 60 + local.minute();
        self.intervals_on(local.date_naive())
            .iter()
            .any(|&(o, c)| o <= m && m < c)
    }
}

/// Which of the minutes `[start + i min, start + (i + 1) min)`, `i < len`, are open, with
/// a running count so that every query is O(1) or a binary search.
#[derive(Debug)]
pub(crate) struct Reference {
    start: DateTime<Utc>,
    pub(crate) open: Vec<bool>,
    /// `prefix[i]` = open minutes among the first `i`.
    prefix: Vec<u64>,
}

impl Reference {
    pub(crate) fn new(def: &Def, start: DateTime<Utc>, len: usize) -> Reference {
        let tz = def.tz();
        let open: Vec<bool> = (0..len)
            .map(|i| def.open_at(tz, minute(start, i)))
            .collect();
        let mut prefix = Vec::with_capacity(len + 1);
        prefix.push(0);
        for &o in &open {
            prefix.push(prefix.last().copied().unwrap_or(0) + u64::from(o));
        }
        Reference {
            start,
            open,
            prefix,
        }
    }

    pub(crate) fn at(&self, i: usize) -> DateTime<Utc> {
        minute(self.start, i)
    }

    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    /// Open minutes from minute index `i` to the end of the horizon.
    pub(crate) fn open_after(&self, i: usize) -> u64 {
        self.prefix[self.len()] - self.prefix[i]
    }

    /// Business time in seconds between minute indices `i` and `j` (negative if `j < i`).
    pub(crate) fn between(&self, i: usize, j: usize) -> i64 {
        (self.prefix[j] as i64 - self.prefix[i] as i64) * 60
    }

    /// The earliest index `j >= i` with `d` open minutes in `[i, j)`; `d` must be at most
    /// `open_after(i)`.
    pub(crate) fn add(&self, i: usize, d: u64) -> usize {
        if d == 0 {
            return i;
        }
        let target = self.prefix[i] + d;
        self.prefix.partition_point(|&p| p < target)
    }
}

fn minute(start: DateTime<Utc>, i: usize) -> DateTime<Utc> {
    start + TimeDelta::minutes(i as i64)
}

pub(crate) fn mins(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

pub(crate) fn hours(h: u64) -> Duration {
    Duration::from_secs(h * 3600)
}

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339 literal")
}

/// Turns an engine error into a proptest failure that names it.
pub(crate) fn ok<T>(r: Result<T, DomainError>) -> Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(format!("engine error: {e} ({e:?})")))
}

/// `clock.add(a, d)`, or `None` when the answer would fall past the calendars' validity
/// (2099): the engine then refuses with OutsideValidity, and must be right to, with less
/// than `d` of business time left between `a` and the window's last day. (A calendar open
/// 15 minutes a week holds only about 1,000 hours until 2099.)
pub(crate) fn add_in_window(
    clock: &BusinessClock<'_>,
    a: DateTime<Utc>,
    d: Duration,
) -> Result<Option<DateTime<Utc>>, TestCaseError> {
    match clock.add(a, d) {
        Ok(due) => Ok(Some(due)),
        Err(DomainError::OutsideValidity(_)) => {
            let end: DateTime<Utc> = "2099-12-31T00:00:00Z".parse().expect("an instant");
            let left = ok(clock.between(a, end))?;
            let wanted = TimeDelta::from_std(d).expect("a test duration");
            proptest::prop_assert!(
                left < wanted,
                "add({}, {:?}) refused as outside the validity, yet {} is left before {}",
                a,
                d,
                left,
                end
            );
            Ok(None)
        }
        Err(e) => Err(TestCaseError::fail(format!("engine error: {e} ({e:?})"))),
    }
}
