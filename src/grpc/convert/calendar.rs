//! Calendars: weekdays, opening intervals and dates from the wire, a calendar definition
//! (and where in it an error `Calendar::new` raised lies), calendars back on the wire,
//! calendar references and time zones.

use std::sync::Arc;

use chrono::{NaiveDate, Weekday};

use super::names::calendar_id;
use super::time::ts;
use crate::domain::text::Quoted;
use crate::domain::{Calendar, CalendarPart, ClosedDate, DateException, OpenInterval, SpecialDate};
use crate::grpc::error::{ApiError, FieldContext};
use crate::grpc::pb;
use crate::names::CalendarName;
use crate::store::records::CalendarRecord;

type Result<T> = std::result::Result<T, ApiError>;

fn weekday(v: i32, field: &str) -> Result<Weekday> {
    use pb::DayOfWeek as D;
    Ok(match D::try_from(v) {
        Ok(D::Monday) => Weekday::Mon,
        Ok(D::Tuesday) => Weekday::Tue,
        Ok(D::Wednesday) => Weekday::Wed,
        Ok(D::Thursday) => Weekday::Thu,
        Ok(D::Friday) => Weekday::Fri,
        Ok(D::Saturday) => Weekday::Sat,
        Ok(D::Sunday) => Weekday::Sun,
        _ => {
            return Err(ApiError::field(
                field,
                "must be DAY_OF_WEEK_MONDAY to DAY_OF_WEEK_SUNDAY",
            ));
        }
    })
}

fn pb_weekday(index: usize) -> i32 {
    use pb::DayOfWeek as D;
    [
        D::Monday,
        D::Tuesday,
        D::Wednesday,
        D::Thursday,
        D::Friday,
        D::Saturday,
        D::Sunday,
    ][index]
        .into()
}

fn intervals(list: &[pb::OpenInterval], field: &str) -> Result<Vec<OpenInterval>> {
    list.iter()
        .enumerate()
        .map(|(i, iv)| {
            let f = format!("{field}[{i}]");
            let interval = OpenInterval {
                open: iv.open_time.parse().field(&format!("{f}.open_time"))?,
                close: iv.close_time.parse().field(&format!("{f}.close_time"))?,
            };
            interval.check().field(&format!("{f}.close_time"))?;
            Ok(interval)
        })
        .collect()
}

fn date(s: &str, field: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        ApiError::field(
            field,
            format!("{} is not a date YYYY-MM-DD", Quoted::new(s)),
        )
    })
}

/// A calendar definition from the wire; `field` is the message's path in the request.
pub fn calendar(c: &pb::Calendar, field: &str) -> Result<Calendar> {
    if c.time_zone.is_empty() {
        return Err(ApiError::required(&format!("{field}.time_zone")));
    }
    let weekly = c
        .weekly_hours
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let f = format!("{field}.weekly_hours[{i}]");
            Ok((
                weekday(w.day_of_week, &format!("{f}.day_of_week"))?,
                intervals(&w.intervals, &format!("{f}.intervals"))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut exceptions = Vec::new();
    for (i, d) in c.closed_dates.iter().enumerate() {
        exceptions.push(DateException::Closed(ClosedDate {
            date: date(&d.date, &format!("{field}.closed_dates[{i}].date"))?,
            reason: d.reason.clone(),
        }));
    }
    for (i, d) in c.special_dates.iter().enumerate() {
        let f = format!("{field}.special_dates[{i}]");
        exceptions.push(DateException::Special(SpecialDate {
            date: date(&d.date, &format!("{f}.date"))?,
            intervals: intervals(&d.intervals, &format!("{f}.intervals"))?,
            reason: d.reason.clone(),
        }));
    }
    Calendar::new(&c.time_zone, weekly, exceptions).map_err(|e| {
        let path = match calendar_error_path(c, &e) {
            Some(sub) => format!("{field}.{sub}"),
            None => field.to_owned(),
        };
        ApiError::field(path, e.to_string())
    })
}

/// Where in a calendar definition the error `Calendar::new` raised lies, as a path below
/// the calendar: the interval list, weekday or date at fault. (Bad times, dates and
/// inverted intervals are refused earlier, each at its own field.) [`calendar`] gives
/// the closed dates, then the special dates, as the calendar's exceptions.
fn calendar_error_path(c: &pb::Calendar, e: &crate::domain::DomainError) -> Option<String> {
    use crate::domain::DomainError as E;
    let closed = c.closed_dates.len();
    let at = |part: &CalendarPart, leaf: &str| match *part {
        CalendarPart::Weekly(i) => format!("weekly_hours[{i}].{leaf}"),
        CalendarPart::Exception(i) if i < closed => format!("closed_dates[{i}].{leaf}"),
        CalendarPart::Exception(i) => format!("special_dates[{}].{leaf}", i - closed),
    };
    match e {
        E::UnknownTimeZone(_) => Some("time_zone".into()),
        E::NoOpenTime => Some("weekly_hours".into()),
        E::OverlappingIntervals { part, .. } => Some(at(part, "intervals")),
        E::DuplicateWeekday { part, .. } => Some(at(part, "day_of_week")),
        E::DuplicateDate { part, .. } => Some(at(part, "date")),
        _ => None,
    }
}

fn pb_intervals(list: &[OpenInterval]) -> Vec<pb::OpenInterval> {
    list.iter()
        .map(|i| pb::OpenInterval {
            open_time: i.open.to_string(),
            close_time: i.close.to_string(),
        })
        .collect()
}

/// A calendar's definition on the wire, without name or metadata.
pub fn pb_calendar_spec(c: &Calendar) -> pb::Calendar {
    let mut out = pb::Calendar {
        time_zone: c.time_zone().to_owned(),
        weekly_hours: c
            .weekly()
            .iter()
            .enumerate()
            .filter(|(_, ivs)| !ivs.is_empty())
            .map(|(i, ivs)| pb::WeeklyHours {
                day_of_week: pb_weekday(i),
                intervals: pb_intervals(ivs),
            })
            .collect(),
        ..Default::default()
    };
    for e in c.exceptions() {
        match e {
            DateException::Closed(d) => out.closed_dates.push(pb::ClosedDate {
                date: d.date.to_string(),
                reason: d.reason.clone(),
            }),
            DateException::Special(d) => out.special_dates.push(pb::SpecialDate {
                date: d.date.to_string(),
                intervals: pb_intervals(&d.intervals),
                reason: d.reason.clone(),
            }),
        }
    }
    out
}

/// A stored calendar on the wire.
pub fn pb_calendar(r: &CalendarRecord) -> pb::Calendar {
    pb::Calendar {
        name: CalendarName { id: &r.id }.to_string(),
        display_name: r.display_name.clone(),
        etag: r.meta.etag(),
        create_time: Some(ts(r.meta.created_at)),
        update_time: Some(ts(r.meta.updated_at)),
        ..pb_calendar_spec(&r.calendar)
    }
}

/// A calendar reference (`calendars/{id}` or empty) from the wire.
pub fn calendar_ref(name: &str, field: &str) -> Result<Option<String>> {
    if name.is_empty() {
        Ok(None)
    } else {
        calendar_id(name, field).map(|id| Some(id.to_owned()))
    }
}

/// A time zone from the wire, checked.
pub fn time_zone(tz: &str, field: &str) -> Result<String> {
    if tz.is_empty() {
        return Err(ApiError::required(field));
    }
    crate::domain::calendar::zone::ZoneTimeline::for_name(tz).field(field)?;
    Ok(tz.to_owned())
}

/// A validated calendar, shared.
pub fn shared_calendar(c: &pb::Calendar, field: &str) -> Result<Arc<Calendar>> {
    calendar(c, field).map(Arc::new)
}
