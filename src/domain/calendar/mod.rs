//! Business-hours calendars: an IANA time zone, weekly open intervals in local wall time,
//! closed dates (holidays) and special dates with their own intervals.
//!
//! [`Calendar::new`] is the only way to build one and refuses anything ambiguous: an
//! unknown zone, an interval that closes before it opens, overlapping intervals, a date
//! listed twice, or a calendar with no open time at all. It builds everything the
//! arithmetic needs in that one call: the open days (`open_days.rs`) and then their
//! cumulative open time (`day_table.rs`).
//!
//! The pieces sit beside it: wall-clock hours ([`TimeOfDay`], [`OpenInterval`]) in
//! `hours.rs`, the zone's offset changes in `zone.rs`, and the arithmetic over a calendar,
//! the [`BusinessClock`](business_clock::BusinessClock), in [`business_clock`]. Deadlines
//! built on that clock live in [`super::sla`].

pub mod business_clock;
mod day_table;
mod hours;
mod open_days;
pub(crate) mod zone;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDate, Weekday};

use crate::domain::error::{CalendarPart, DomainError};
use day_table::DayTable;
pub use hours::{OpenInterval, TimeOfDay};
use open_days::{OpenDays, day_number};
use zone::ZoneTimeline;

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
    /// Closed and special dates by date.
    exceptions: BTreeMap<NaiveDate, DateException>,
    /// The open intervals of every local day (weekly hours, the closed and special dates
    /// as day numbers) and the zone, for the hot path.
    days: OpenDays,
    /// Precomputed cumulative open time, for closed-form arithmetic.
    table: Arc<DayTable>,
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
        let days = OpenDays::new(zone, weekly, exception_days);
        let table = Arc::new(DayTable::build(&days));
        Ok(Calendar {
            time_zone: time_zone.to_owned(),
            exceptions: map,
            days,
            table,
        })
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
        self.days.zone()
    }

    /// Open intervals per weekday, Monday first.
    pub fn weekly(&self) -> &[Vec<OpenInterval>; 7] {
        self.days.weekly()
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
}
