//! Business-hours calendars: an IANA time zone, weekly open intervals in local wall time,
//! closed dates (holidays) and special dates with their own intervals.
//!
//! [`Calendar::new`] is the only way to build one and refuses anything ambiguous: an
//! unknown zone, an interval that closes before it opens, overlapping intervals, a date
//! listed twice, or a calendar with no open time at all. The arithmetic over a calendar
//! (business time, deadlines) lives in [`super::business_time`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, Weekday};

use super::business_time::DayTable;
use super::error::DomainError;
use super::text::Quoted;
use super::zone::{DayBits, ZoneTimeline};

/// A wall-clock time of day, in seconds after local midnight; 24:00 is allowed as a
/// closing time.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// Midnight at the start of the day.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// Midnight at the end of the day (24:00).
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(86_400);

    /// A time from hours and minutes; `None` past 24:00.
    pub fn hm(hours: u32, minutes: u32) -> Option<TimeOfDay> {
        let s = hours * 3600 + minutes * 60;
        (minutes < 60 && s <= 86_400).then_some(TimeOfDay(s))
    }

    /// Seconds after midnight.
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TimeOfDay> for String {
    fn from(t: TimeOfDay) -> String {
        t.to_string()
    }
}

impl FromStr for TimeOfDay {
    type Err = DomainError;
    /// Parses `HH:MM` or `HH:MM:SS`, 00:00 through 24:00.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DomainError::InvalidTimeOfDay(Quoted::new(s));
        let parts: Vec<&str> = s.split(':').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
            return Err(bad());
        }
        let num = |p: &str| p.parse::<u32>().map_err(|_| bad());
        let (h, m) = (num(parts[0])?, num(parts[1])?);
        let sec = if parts.len() == 3 { num(parts[2])? } else { 0 };
        if m >= 60 || sec >= 60 {
            return Err(bad());
        }
        let total = h * 3600 + m * 60 + sec;
        if total > 86_400 {
            return Err(bad());
        }
        Ok(TimeOfDay(total))
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if s == 0 {
            write!(f, "{h:02}:{m:02}")
        } else {
            write!(f, "{h:02}:{m:02}:{s:02}")
        }
    }
}

/// An open interval of local wall time within one day: `[open, close)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct OpenInterval {
    /// When support opens.
    pub open: TimeOfDay,
    /// When support closes; may be 24:00.
    pub close: TimeOfDay,
}

impl OpenInterval {
    /// The error for an interval that closes at or before it opens, if this one does.
    pub fn check(&self) -> Result<(), DomainError> {
        if self.close <= self.open {
            return Err(DomainError::InvertedInterval {
                open: self.open.to_string(),
                close: self.close.to_string(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for OpenInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.open, self.close)
    }
}

/// A date on which the calendar is closed all day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClosedDate {
    /// The local date.
    pub date: NaiveDate,
    /// Why, shown back in explanations (e.g. "New Year's Day").
    pub reason: String,
}

/// A date with its own open intervals instead of the weekday's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpecialDate {
    /// The local date.
    pub date: NaiveDate,
    /// The open intervals that day.
    pub intervals: Vec<OpenInterval>,
    /// Why, shown back in explanations (e.g. "Christmas Eve: mornings only").
    pub reason: String,
}

/// What a calendar says about one date that differs from its weekday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateException {
    /// Closed all day.
    Closed(ClosedDate),
    /// Open on its own intervals.
    Special(SpecialDate),
}

impl DateException {
    /// The date this exception is for.
    pub fn date(&self) -> NaiveDate {
        match self {
            DateException::Closed(c) => c.date,
            DateException::Special(s) => s.date,
        }
    }
}

impl fmt::Display for DateException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateException::Closed(c) => write!(f, "{} closed ({})", c.date, c.reason),
            DateException::Special(s) => {
                let iv: Vec<String> = s.intervals.iter().map(|i| i.to_string()).collect();
                write!(f, "{} open {} ({})", s.date, iv.join(", "), s.reason)
            }
        }
    }
}

/// A validated business-hours calendar, ready for arithmetic.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The IANA zone name as given.
    time_zone: String,
    /// The zone's offset changes.
    zone: Arc<ZoneTimeline>,
    /// Open intervals per weekday, Monday first; sorted, merged, non-overlapping.
    weekly: [Vec<OpenInterval>; 7],
    /// Closed and special dates by date.
    exceptions: BTreeMap<NaiveDate, DateException>,
    /// The same dates as day numbers with their intervals (none when closed), sorted, for
    /// a cheap lookup on the hot path.
    exception_days: Vec<(i64, Vec<OpenInterval>)>,
    /// The same days as bits, so that an ordinary day costs no search.
    exception_bits: DayBits,
    /// Precomputed cumulative open time, for closed-form arithmetic.
    pub(crate) table: Arc<DayTable>,
}

/// Days from 1970-01-01 to `date`.
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

/// Weekday index, Monday = 0, of a day number (1970-01-01 was a Thursday).
pub(crate) fn weekday_index(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// An entry of a calendar's definition, by its place in what [`Calendar::new`] was given,
/// so that an error can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarPart {
    /// The `i`th entry of the weekly hours.
    Weekly(usize),
    /// The `i`th closed or special date.
    Exception(usize),
}

fn normalize(
    label: &str,
    part: CalendarPart,
    mut intervals: Vec<OpenInterval>,
) -> Result<Vec<OpenInterval>, DomainError> {
    for i in &intervals {
        i.check()?;
    }
    intervals.sort();
    let mut out: Vec<OpenInterval> = Vec::with_capacity(intervals.len());
    for i in intervals {
        match out.last_mut() {
            Some(last) if i.open < last.close => {
                return Err(DomainError::OverlappingIntervals {
                    day: label.to_owned(),
                    first: last.to_string(),
                    second: i.to_string(),
                    part,
                });
            }
            Some(last) if i.open == last.close => last.close = i.close,
            _ => out.push(i),
        }
    }
    Ok(out)
}

impl Calendar {
    /// Builds a calendar. `weekly` lists intervals per weekday (a weekday not listed is
    /// closed); `exceptions` lists closed and special dates.
    pub fn new(
        time_zone: &str,
        weekly: Vec<(Weekday, Vec<OpenInterval>)>,
        exceptions: Vec<DateException>,
    ) -> Result<Calendar, DomainError> {
        let zone = ZoneTimeline::for_name(time_zone)?;
        let mut week: [Option<Vec<OpenInterval>>; 7] = Default::default();
        for (i, (wd, intervals)) in weekly.into_iter().enumerate() {
            let part = CalendarPart::Weekly(i);
            let slot = &mut week[wd.num_days_from_monday() as usize];
            if slot.is_some() {
                return Err(DomainError::DuplicateWeekday {
                    weekday: format!("{wd:?}"),
                    part,
                });
            }
            *slot = Some(normalize(&format!("{wd:?}"), part, intervals)?);
        }
        let weekly = week.map(Option::unwrap_or_default);
        let mut map = BTreeMap::new();
        for (i, e) in exceptions.into_iter().enumerate() {
            let part = CalendarPart::Exception(i);
            let e = match e {
                DateException::Special(mut s) => {
                    s.intervals = normalize(&s.date.to_string(), part, s.intervals)?;
                    DateException::Special(s)
                }
                closed => closed,
            };
            let date = e.date();
            if map.insert(date, e).is_some() {
                return Err(DomainError::DuplicateDate {
                    date: date.to_string(),
                    part,
                });
            }
        }
        let any_open = weekly.iter().any(|d| !d.is_empty())
            || map
                .values()
                .any(|e| matches!(e, DateException::Special(s) if !s.intervals.is_empty()));
        if !any_open {
            return Err(DomainError::NoOpenTime);
        }
        let exception_days: Vec<(i64, Vec<OpenInterval>)> = map
            .values()
            .map(|e| {
                let intervals = match e {
                    DateException::Closed(_) => Vec::new(),
                    DateException::Special(s) => s.intervals.clone(),
                };
                (day_number(e.date()), intervals)
            })
            .collect();
        let mut cal = Calendar {
            time_zone: time_zone.to_owned(),
            zone,
            weekly,
            exceptions: map,
            exception_bits: exception_days.iter().map(|(d, _)| *d).collect(),
            exception_days,
            table: Arc::new(DayTable::default()),
        };
        cal.table = Arc::new(DayTable::build(&cal));
        Ok(cal)
    }

    /// Monday-Friday 09:00-17:00 in `time_zone`, the calendar of an account that names none.
    pub fn office_hours(time_zone: &str) -> Result<Calendar, DomainError> {
        let nine_to_five = OpenInterval {
            open: TimeOfDay(9 * 3600),
            close: TimeOfDay(17 * 3600),
        };
        let days = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ];
        Calendar::new(
            time_zone,
            days.into_iter().map(|d| (d, vec![nine_to_five])).collect(),
            Vec::new(),
        )
    }

    /// [`Calendar::office_hours`], built once per time zone and shared: a hundred
    /// thousand accounts in one zone share one calendar.
    pub fn shared_office_hours(time_zone: &str) -> Result<Arc<Calendar>, DomainError> {
        static CACHE: std::sync::OnceLock<std::sync::Mutex<BTreeMap<String, Arc<Calendar>>>> =
            std::sync::OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(c) = cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(time_zone)
        {
            return Ok(c.clone());
        }
        let built = Arc::new(Calendar::office_hours(time_zone)?);
        Ok(cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(time_zone.to_owned())
            .or_insert(built)
            .clone())
    }

    /// The IANA zone name.
    pub fn time_zone(&self) -> &str {
        &self.time_zone
    }

    /// The zone's offset timeline.
    pub(crate) fn zone(&self) -> &ZoneTimeline {
        &self.zone
    }

    /// Open intervals per weekday, Monday first.
    pub fn weekly(&self) -> &[Vec<OpenInterval>; 7] {
        &self.weekly
    }

    /// Closed and special dates, in date order.
    pub fn exceptions(&self) -> impl Iterator<Item = &DateException> {
        self.exceptions.values()
    }

    /// Closed and special dates from `from` through `to`, inclusive.
    pub fn exceptions_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<&DateException> {
        if to < from {
            return Vec::new();
        }
        self.exceptions.range(from..=to).map(|(_, e)| e).collect()
    }

    /// The wall-time intervals that apply on local day `day`.
    pub(crate) fn wall_intervals(&self, day: i64) -> &[OpenInterval] {
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
    pub(crate) fn visit_open_ranges(&self, day: i64, mut visit: impl FnMut(i64, i64) -> bool) {
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
    pub(crate) fn nominal_seconds(&self, weekday: usize) -> i64 {
        self.weekly[weekday]
            .iter()
            .map(|i| i64::from(i.close.seconds() - i.open.seconds()))
            .sum()
    }

    /// The day numbers with a closed or special date.
    pub(crate) fn exception_days(&self) -> impl Iterator<Item = i64> + '_ {
        self.exception_days.iter().map(|(d, _)| *d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(o: &str, c: &str) -> OpenInterval {
        OpenInterval {
            open: o.parse().unwrap(),
            close: c.parse().unwrap(),
        }
    }

    #[test]
    fn times_of_day_parse_and_print() {
        assert_eq!("24:00".parse::<TimeOfDay>().unwrap(), TimeOfDay::END_OF_DAY);
        assert_eq!(
            "09:30:15".parse::<TimeOfDay>().unwrap().to_string(),
            "09:30:15"
        );
        for bad in ["24:01", "9:00", "12:60", "ab:cd", "12", "12:00:00:00"] {
            assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_bad_calendars() {
        let e = Calendar::new("Nowhere/City", vec![], vec![]).unwrap_err();
        assert!(matches!(e, DomainError::UnknownTimeZone(_)));
        let e = Calendar::new("UTC", vec![], vec![]).unwrap_err();
        assert_eq!(e, DomainError::NoOpenTime);
        let e = Calendar::new(
            "UTC",
            vec![(Weekday::Mon, vec![iv("17:00", "09:00")])],
            vec![],
        )
        .unwrap_err();
        assert!(matches!(e, DomainError::InvertedInterval { .. }));
        let e = Calendar::new(
            "UTC",
            vec![(
                Weekday::Mon,
                vec![iv("09:00", "12:00"), iv("11:00", "13:00")],
            )],
            vec![],
        )
        .unwrap_err();
        assert!(matches!(
            e,
            DomainError::OverlappingIntervals {
                part: CalendarPart::Weekly(0),
                ..
            }
        ));
        let d = NaiveDate::from_ymd_opt(2026, 12, 25).unwrap();
        let closed = DateException::Closed(ClosedDate {
            date: d,
            reason: "x".into(),
        });
        let e = Calendar::new(
            "UTC",
            vec![(Weekday::Mon, vec![iv("09:00", "17:00")])],
            vec![closed.clone(), closed],
        )
        .unwrap_err();
        assert!(matches!(
            e,
            DomainError::DuplicateDate {
                part: CalendarPart::Exception(1),
                ..
            }
        ));
    }

    #[test]
    fn adjacent_intervals_merge() {
        let c = Calendar::new(
            "UTC",
            vec![(
                Weekday::Mon,
                vec![iv("12:00", "17:00"), iv("09:00", "12:00")],
            )],
            vec![],
        )
        .unwrap();
        assert_eq!(c.weekly()[0], vec![iv("09:00", "17:00")]);
    }

    #[test]
    fn day_numbers() {
        let d = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        assert_eq!(day_number(d), 0);
        assert_eq!(weekday_index(0), 3);
    }
}
