//! Conversions between protobuf messages and domain values, in one place. Every request
//! field is parsed here into a domain value (or refused with the field's path named);
//! every domain value goes back to the wire here.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc, Weekday};
use prost_types::Timestamp;

use super::error::{ApiError, FieldContext};
use super::pb;
use crate::domain::catalog::{MAX_TARGET_SECS, TermsTable, check_id, fraction};
use crate::domain::text::Quoted;
use crate::domain::{
    AtRisk, AtRiskThresholds, Benefit, Calendar, CalendarPart, Channel, ClockKind, ClosedDate,
    Contract, ContractOverrides, ContractState, Coverage, DateException, DesignatedContact,
    EscalationPath, EscalationTarget, Milestone, MilestoneStatus, ObligationKind, ObligationStatus,
    OpenInterval, Pause, Pauses, Priority, PriorityTerms, SpecialDate, TechnicalAccountManager,
};
use crate::names::{AccountName, CalendarName, ContractName, PlanName};
use crate::store::records::{AccountRecord, CalendarRecord, ContractRecord, PlanRecord, Revision};

type Result<T> = std::result::Result<T, ApiError>;

// ---- instants and durations ----

/// A required instant. Fractions of a second are truncated.
pub fn time(ts: &Option<Timestamp>, field: &str) -> Result<DateTime<Utc>> {
    opt_time(ts, field)?.ok_or_else(|| ApiError::required(field))
}

/// The range of `google.protobuf.Timestamp`: 0001-01-01T00:00:00Z ..=
/// 9999-12-31T23:59:59Z, in seconds since the epoch.
const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// An optional instant, within the range `google.protobuf.Timestamp` defines.
pub fn opt_time(ts: &Option<Timestamp>, field: &str) -> Result<Option<DateTime<Utc>>> {
    let Some(ts) = ts else { return Ok(None) };
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(ApiError::field(field, "nanos must be in 0..999999999"));
    }
    if !TIMESTAMP_SECONDS.contains(&ts.seconds) {
        return Err(ApiError::field(
            field,
            "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
        ));
    }
    DateTime::from_timestamp(ts.seconds, 0)
        .map(Some)
        .ok_or_else(|| ApiError::field(field, "is out of range"))
}

/// An optional instant that defaults to `now`.
pub fn time_or(ts: &Option<Timestamp>, field: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    Ok(opt_time(ts, field)?.unwrap_or(now))
}

/// An instant on the wire.
pub fn ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// An optional instant on the wire.
pub fn opt_ts(t: Option<DateTime<Utc>>) -> Option<Timestamp> {
    t.map(ts)
}

/// A non-negative duration. Fractions of a second are truncated.
pub fn duration(d: &Option<prost_types::Duration>, field: &str) -> Result<Option<Duration>> {
    let Some(d) = d else { return Ok(None) };
    if d.seconds < 0 || d.nanos < 0 {
        return Err(ApiError::field(field, "must not be negative"));
    }
    if d.nanos >= 1_000_000_000 {
        return Err(ApiError::field(field, "nanos must be in 0..999999999"));
    }
    Ok(Some(Duration::from_secs(d.seconds as u64)))
}

/// A duration on the wire.
pub fn pb_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: 0,
    }
}

/// A signed duration on the wire.
pub fn pb_delta(d: TimeDelta) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.num_seconds(),
        nanos: 0,
    }
}

// ---- enums ----

/// A required priority.
pub fn priority(v: i32, field: &str) -> Result<Priority> {
    match pb::Priority::try_from(v) {
        Ok(pb::Priority::P1) => Ok(Priority::P1),
        Ok(pb::Priority::P2) => Ok(Priority::P2),
        Ok(pb::Priority::P3) => Ok(Priority::P3),
        Ok(pb::Priority::P4) => Ok(Priority::P4),
        _ => Err(ApiError::field(field, "must be PRIORITY_P1 to PRIORITY_P4")),
    }
}

/// An optional priority: PRIORITY_UNSPECIFIED means none.
pub fn opt_priority(v: i32, field: &str) -> Result<Option<Priority>> {
    if v == i32::from(pb::Priority::Unspecified) {
        Ok(None)
    } else {
        priority(v, field).map(Some)
    }
}

/// A priority on the wire.
pub fn pb_priority(p: Priority) -> i32 {
    match p {
        Priority::P1 => pb::Priority::P1,
        Priority::P2 => pb::Priority::P2,
        Priority::P3 => pb::Priority::P3,
        Priority::P4 => pb::Priority::P4,
    }
    .into()
}

/// A required channel.
pub fn channel(v: i32, field: &str) -> Result<Channel> {
    match pb::Channel::try_from(v) {
        Ok(pb::Channel::Online) => Ok(Channel::Online),
        Ok(pb::Channel::Phone) => Ok(Channel::Phone),
        _ => Err(ApiError::field(
            field,
            "must be CHANNEL_ONLINE or CHANNEL_PHONE",
        )),
    }
}

/// A channel on the wire.
pub fn pb_channel(c: Channel) -> i32 {
    match c {
        Channel::Online => pb::Channel::Online,
        Channel::Phone => pb::Channel::Phone,
    }
    .into()
}

/// A coverage on the wire.
pub fn pb_coverage(c: Coverage) -> i32 {
    match c {
        Coverage::BusinessHours => pb::Coverage::BusinessHours,
        Coverage::AroundTheClock => pb::Coverage::Coverage24x7,
    }
    .into()
}

/// A required milestone.
pub fn milestone(v: i32, field: &str) -> Result<Milestone> {
    match pb::Milestone::try_from(v) {
        Ok(pb::Milestone::FirstResponse) => Ok(Milestone::FirstResponse),
        Ok(pb::Milestone::NextUpdate) => Ok(Milestone::NextUpdate),
        _ => Err(ApiError::field(
            field,
            "must be MILESTONE_FIRST_RESPONSE or MILESTONE_NEXT_UPDATE",
        )),
    }
}

/// A milestone on the wire.
pub fn pb_milestone(m: Milestone) -> i32 {
    match m {
        Milestone::FirstResponse => pb::Milestone::FirstResponse,
        Milestone::NextUpdate => pb::Milestone::NextUpdate,
    }
    .into()
}

/// A clock on the wire.
pub fn pb_clock(c: ClockKind) -> i32 {
    match c {
        ClockKind::Continuous => pb::Clock::Continuous,
        ClockKind::BusinessHours => pb::Clock::BusinessHours,
    }
    .into()
}

/// A milestone status on the wire.
pub fn pb_milestone_status(s: MilestoneStatus) -> i32 {
    match s {
        MilestoneStatus::Met => pb::MilestoneStatus::Met,
        MilestoneStatus::Breached => pb::MilestoneStatus::Breached,
        MilestoneStatus::Pending => pb::MilestoneStatus::Pending,
        MilestoneStatus::Paused => pb::MilestoneStatus::Paused,
        MilestoneStatus::NoTarget => pb::MilestoneStatus::NoTarget,
        MilestoneStatus::Cancelled => pb::MilestoneStatus::Cancelled,
    }
    .into()
}

/// A required obligation kind.
pub fn obligation_kind(v: i32, field: &str) -> Result<ObligationKind> {
    match pb::ObligationKind::try_from(v) {
        Ok(pb::ObligationKind::WeeklyStatusCall) => Ok(ObligationKind::WeeklyStatusCall),
        Ok(pb::ObligationKind::DeploymentReview) => Ok(ObligationKind::DeploymentReview),
        Ok(pb::ObligationKind::RoadmapWebinar) => Ok(ObligationKind::RoadmapWebinar),
        _ => Err(ApiError::field(field, "must name an obligation kind")),
    }
}

/// An obligation kind on the wire.
pub fn pb_obligation_kind(k: ObligationKind) -> i32 {
    match k {
        ObligationKind::WeeklyStatusCall => pb::ObligationKind::WeeklyStatusCall,
        ObligationKind::DeploymentReview => pb::ObligationKind::DeploymentReview,
        ObligationKind::RoadmapWebinar => pb::ObligationKind::RoadmapWebinar,
    }
    .into()
}

/// An obligation status on the wire.
pub fn pb_obligation_status(s: ObligationStatus) -> i32 {
    match s {
        ObligationStatus::OnTrack => pb::ObligationStatus::OnTrack,
        ObligationStatus::Due => pb::ObligationStatus::Due,
        ObligationStatus::Overdue => pb::ObligationStatus::Overdue,
    }
    .into()
}

fn pb_contract_state(s: ContractState) -> i32 {
    match s {
        ContractState::Active => pb::ContractState::Active,
        ContractState::Suspended => pb::ContractState::Suspended,
        ContractState::Terminated => pb::ContractState::Terminated,
    }
    .into()
}

/// A contract state a client may set (suspend or resume).
pub fn contract_state(v: i32, field: &str) -> Result<ContractState> {
    match pb::ContractState::try_from(v) {
        Ok(pb::ContractState::Active) => Ok(ContractState::Active),
        Ok(pb::ContractState::Suspended) => Ok(ContractState::Suspended),
        Ok(pb::ContractState::Terminated) => Err(ApiError::field(
            field,
            "use TerminateContract to terminate a contract",
        )),
        _ => Err(ApiError::field(
            field,
            "must be CONTRACT_STATE_ACTIVE or CONTRACT_STATE_SUSPENDED",
        )),
    }
}

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

// ---- names ----

/// The id in `plans/{id}`.
pub fn plan_id<'a>(name: &'a str, field: &str) -> Result<&'a str> {
    Ok(PlanName::parse(name, field)?.id)
}

/// The id in `calendars/{id}`.
pub fn calendar_id<'a>(name: &'a str, field: &str) -> Result<&'a str> {
    Ok(CalendarName::parse(name, field)?.id)
}

/// The id in `accounts/{id}`.
pub fn account_id<'a>(name: &'a str, field: &str) -> Result<&'a str> {
    Ok(AccountName::parse(name, field)?.id)
}

/// The (account id, contract id) in `accounts/{a}/contracts/{c}`.
pub fn contract_ids<'a>(name: &'a str, field: &str) -> Result<(&'a str, &'a str)> {
    let n = ContractName::parse(name, field)?;
    Ok((n.account, n.id))
}

/// A new resource's id given in a create request.
pub fn new_id<'a>(id: &'a str, field: &str) -> Result<&'a str> {
    if id.is_empty() {
        return Err(ApiError::required(field));
    }
    check_id(id).field(field)?;
    Ok(id)
}

// ---- pagination ----

/// Largest page a list call returns.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Page size when the caller sets none.
pub const DEFAULT_PAGE_SIZE: usize = 50;

/// A list request's page: how many, and the key after which to start.
#[derive(Debug)]
pub struct Page {
    /// Items to return at most.
    pub size: usize,
    /// The key of the last item of the previous page; empty for the first page.
    pub after: String,
    /// What is being listed (the collection and its parent); a token is only valid for
    /// the listing that issued it.
    scope: String,
}

/// Parses page_size and page_token for the listing `scope` (e.g. `accounts`, or
/// `contracts:accounts/acme`). Tokens are opaque to clients: the scope and the last key
/// returned, encoded; a token from another listing is INVALID_ARGUMENT.
pub fn page(page_size: i32, page_token: &str, scope: &str) -> Result<Page> {
    let size = match page_size {
        n if n < 0 => return Err(ApiError::field("page_size", "must not be negative")),
        0 => DEFAULT_PAGE_SIZE,
        n => (n as usize).min(MAX_PAGE_SIZE),
    };
    let after = if page_token.is_empty() {
        String::new()
    } else {
        URL_SAFE_NO_PAD
            .decode(page_token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                let (token_scope, key) = s.split_once('\n')?;
                (token_scope == scope).then(|| key.to_owned())
            })
            .ok_or_else(|| {
                ApiError::field(
                    "page_token",
                    "is not a token this service issued for this listing",
                )
            })?
    };
    Ok(Page {
        size,
        after,
        scope: scope.to_owned(),
    })
}

/// Collects one page from an iterator of (key, item) in key order after `page.after`,
/// returning the items and the next page token.
pub fn paginate<T>(page: &Page, items: impl Iterator<Item = (String, T)>) -> (Vec<T>, String) {
    let mut out = Vec::new();
    let mut last = String::new();
    let mut more = false;
    for (key, item) in items {
        if out.len() == page.size {
            more = true;
            break;
        }
        last = key;
        out.push(item);
    }
    let token = if more {
        URL_SAFE_NO_PAD.encode(format!("{}\n{last}", page.scope))
    } else {
        String::new()
    };
    (out, token)
}

/// Longest display name accepted, in characters.
pub const MAX_DISPLAY_NAME: usize = 200;

/// A display name from the wire: at most 200 characters.
pub fn display_name(s: &str, field: &str) -> Result<String> {
    if s.chars().count() > MAX_DISPLAY_NAME {
        return Err(ApiError::field(
            field,
            format!("must be at most {MAX_DISPLAY_NAME} characters"),
        ));
    }
    Ok(s.to_owned())
}

// ---- plans ----

fn benefit_set(keys: &[String], field: &str) -> Result<crate::domain::catalog::BenefitSet> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| k.parse::<Benefit>().field(&format!("{field}[{i}]")))
        .collect()
}

fn benefit_keys(set: &crate::domain::catalog::BenefitSet) -> Vec<String> {
    set.iter().map(|b| b.key().to_owned()).collect()
}

/// Priority terms from the wire.
pub fn priority_terms(list: &[pb::PriorityTerms], field: &str) -> Result<Vec<PriorityTerms>> {
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let f = format!("{field}[{i}]");
            let coverage = match pb::Coverage::try_from(t.coverage) {
                // UNSPECIFIED is treated as business hours on input (types.proto).
                Ok(pb::Coverage::BusinessHours | pb::Coverage::Unspecified) => {
                    Coverage::BusinessHours
                }
                Ok(pb::Coverage::Coverage24x7) => Coverage::AroundTheClock,
                _ => {
                    return Err(ApiError::field(
                        format!("{f}.coverage"),
                        "must be COVERAGE_BUSINESS_HOURS or COVERAGE_24X7",
                    ));
                }
            };
            let target =
                |d: &Option<prost_types::Duration>, name: &str| -> Result<Option<Duration>> {
                    let field = format!("{f}.{name}");
                    let d = duration(d, &field)?;
                    match d {
                        Some(d) if d.as_secs() == 0 => {
                            Err(ApiError::field(field, "must be at least one second"))
                        }
                        Some(d) if d.as_secs() > MAX_TARGET_SECS => {
                            Err(ApiError::field(field, "must not exceed 100 years"))
                        }
                        d => Ok(d),
                    }
                };
            Ok(PriorityTerms {
                priority: priority(t.priority, &format!("{f}.priority"))?,
                coverage,
                first_response: target(&t.first_response_target, "first_response_target")?,
                update_cadence: target(&t.update_cadence, "update_cadence")?,
                at_risk: at_risk_thresholds(
                    &t.at_risk_thresholds,
                    &format!("{f}.at_risk_thresholds"),
                )?,
            })
        })
        .collect()
}

/// At-risk thresholds from the wire: empty means the default (types.proto,
/// PriorityTerms.at_risk_thresholds).
fn at_risk_thresholds(list: &[f64], field: &str) -> Result<AtRiskThresholds> {
    if list.is_empty() {
        return Ok(AtRiskThresholds::default());
    }
    AtRiskThresholds::from_fractions(list).field(field)
}

/// A full terms table from the wire (priorities not listed get no target).
pub fn terms_table(list: &[pb::PriorityTerms], field: &str) -> Result<TermsTable> {
    crate::domain::catalog::terms_table(priority_terms(list, field)?).field(field)
}

/// Terms on the wire: every priority, absent durations meaning "no target".
pub fn pb_terms(table: &[PriorityTerms]) -> Vec<pb::PriorityTerms> {
    table
        .iter()
        .map(|t| pb::PriorityTerms {
            priority: pb_priority(t.priority),
            coverage: pb_coverage(t.coverage),
            first_response_target: t.first_response.map(pb_duration),
            update_cadence: t.update_cadence.map(pb_duration),
            at_risk_thresholds: t.at_risk.fractions().collect(),
        })
        .collect()
}

/// A plan on the wire.
pub fn pb_plan(r: &PlanRecord) -> pb::Plan {
    let p = &r.plan;
    pb::Plan {
        name: PlanName { id: &p.id }.to_string(),
        display_name: p.display_name.clone(),
        built_in: p.built_in,
        benefits: benefit_keys(&p.benefits),
        channels: p.channels().into_iter().map(pb_channel).collect(),
        priority_terms: pb_terms(&p.terms),
        designated_contact_limit: i32::try_from(p.designated_contact_limit).unwrap_or(i32::MAX),
        etag: r.meta.etag(),
        create_time: Some(ts(r.meta.created_at)),
        update_time: Some(ts(r.meta.updated_at)),
    }
}

/// Plan benefits from the wire.
pub fn plan_benefits(keys: &[String], field: &str) -> Result<crate::domain::catalog::BenefitSet> {
    benefit_set(keys, field)
}

/// A non-negative count from the wire.
pub fn count(v: i32, field: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| ApiError::field(field, "must not be negative"))
}

// ---- calendars ----

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

// ---- accounts ----

/// An account on the wire.
pub fn pb_account(r: &AccountRecord) -> pb::Account {
    pb::Account {
        name: AccountName { id: &r.id }.to_string(),
        display_name: r.display_name.clone(),
        time_zone: r.time_zone.clone(),
        calendar: r
            .calendar_id
            .as_ref()
            .map_or_else(String::new, |id| CalendarName { id }.to_string()),
        etag: r.meta.etag(),
        create_time: Some(ts(r.meta.created_at)),
        update_time: Some(ts(r.meta.updated_at)),
    }
}

// ---- contracts ----

/// Contract overrides from the wire.
pub fn overrides(o: &Option<pb::ContractOverrides>, field: &str) -> Result<ContractOverrides> {
    let Some(o) = o else {
        return Ok(ContractOverrides::default());
    };
    let out = ContractOverrides {
        added_benefits: benefit_set(&o.added_benefits, &format!("{field}.added_benefits"))?,
        removed_benefits: benefit_set(&o.removed_benefits, &format!("{field}.removed_benefits"))?,
        priority_terms: priority_terms(&o.priority_terms, &format!("{field}.priority_terms"))?,
        extra_designated_contacts: count(
            o.extra_designated_contacts,
            &format!("{field}.extra_designated_contacts"),
        )?,
    };
    out.check().field(field)?;
    Ok(out)
}

fn pb_overrides(o: &ContractOverrides) -> pb::ContractOverrides {
    pb::ContractOverrides {
        added_benefits: benefit_keys(&o.added_benefits),
        removed_benefits: benefit_keys(&o.removed_benefits),
        priority_terms: pb_terms(&o.priority_terms),
        extra_designated_contacts: i32::try_from(o.extra_designated_contacts).unwrap_or(i32::MAX),
    }
}

/// A new contract from the wire.
pub fn new_contract(account_id: &str, id: &str, c: &pb::Contract) -> Result<Contract> {
    let contract = Contract {
        id: id.to_owned(),
        account_id: account_id.to_owned(),
        plan_id: plan_id(&c.plan, "contract.plan")?.to_owned(),
        start: time(&c.start_time, "contract.start_time")?,
        end: opt_time(&c.end_time, "contract.end_time")?,
        state: match c.state {
            0 => ContractState::Active,
            s => contract_state(s, "contract.state")?,
        },
        terminated_at: None,
        overrides: overrides(&c.overrides, "contract.overrides")?,
        contacts: Vec::new(),
        technical_account_manager: technical_account_manager(
            &c.technical_account_manager,
            "contract.technical_account_manager",
        )?,
        version: 1,
    };
    contract.check().field("contract")?;
    Ok(contract)
}

/// A contract's TAM from the wire (absent: none assigned); the email is trimmed and
/// lower-cased.
pub fn technical_account_manager(
    t: &Option<pb::TechnicalAccountManager>,
    field: &str,
) -> Result<Option<TechnicalAccountManager>> {
    let Some(t) = t else { return Ok(None) };
    let email = t.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ApiError::required(&format!("{field}.email")));
    }
    crate::domain::contract::check_email(&email).field(&format!("{field}.email"))?;
    Ok(Some(TechnicalAccountManager {
        display_name: display_name(&t.display_name, &format!("{field}.display_name"))?,
        email,
    }))
}

/// A TAM on the wire.
pub fn pb_technical_account_manager(t: &TechnicalAccountManager) -> pb::TechnicalAccountManager {
    pb::TechnicalAccountManager {
        display_name: t.display_name.clone(),
        email: t.email.clone(),
    }
}

/// A designated contact from the wire; the email is trimmed and lower-cased.
pub fn contact(c: &Option<pb::DesignatedContact>, now: DateTime<Utc>) -> Result<DesignatedContact> {
    let c = c.as_ref().ok_or_else(|| ApiError::required("contact"))?;
    let email = c.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(ApiError::required("contact.email"));
    }
    crate::domain::contract::check_email(&email).field("contact.email")?;
    Ok(DesignatedContact {
        email,
        display_name: display_name(&c.display_name, "contact.display_name")?,
        added_at: now,
    })
}

/// A contract on the wire.
pub fn pb_contract(c: &Contract, created: DateTime<Utc>, updated: DateTime<Utc>) -> pb::Contract {
    pb::Contract {
        name: ContractName::new(&c.account_id, &c.id).to_name_string(),
        plan: PlanName { id: &c.plan_id }.to_name_string(),
        start_time: Some(ts(c.start)),
        end_time: opt_ts(c.end),
        state: pb_contract_state(c.state),
        terminate_time: opt_ts(c.terminated_at),
        overrides: Some(pb_overrides(&c.overrides)),
        designated_contacts: pb_contacts(&c.contacts),
        version: c.version,
        etag: format!("\"{}\"", c.version),
        create_time: Some(ts(created)),
        update_time: Some(ts(updated)),
        technical_account_manager: c
            .technical_account_manager
            .as_ref()
            .map(pb_technical_account_manager),
    }
}

/// A stored contract on the wire.
pub fn pb_contract_record(r: &ContractRecord) -> pb::Contract {
    pb_contract(&r.contract, r.created_at, r.updated_at)
}

/// Designated contacts on the wire.
pub fn pb_contacts(list: &[DesignatedContact]) -> Vec<pb::DesignatedContact> {
    list.iter()
        .map(|d| pb::DesignatedContact {
            email: d.email.clone(),
            display_name: d.display_name.clone(),
            add_time: Some(ts(d.added_at)),
        })
        .collect()
}

/// A revision on the wire.
pub fn pb_revision(r: &Revision, created: DateTime<Utc>) -> pb::ContractRevision {
    pb::ContractRevision {
        version: r.version,
        principal: r.principal.clone(),
        create_time: Some(ts(r.at)),
        action: r.action.clone(),
        before: r.before.as_ref().map(|c| pb_contract(c, created, r.at)),
        after: Some(pb_contract(&r.after, created, r.at)),
    }
}

/// The reference every contract-dependent answer carries.
pub fn contract_ref(c: &Contract) -> pb::ContractRef {
    pb::ContractRef {
        contract: ContractName::new(&c.account_id, &c.id).to_name_string(),
        version: c.version,
        plan: PlanName { id: &c.plan_id }.to_string(),
    }
}

// ---- escalation ----

/// An escalation path on the wire.
pub fn pb_escalation(p: &EscalationPath) -> pb::EscalationPath {
    pb::EscalationPath {
        targets: p
            .targets
            .iter()
            .map(|t| {
                i32::from(match t {
                    EscalationTarget::TechnicalAccountManager => {
                        pb::EscalationTarget::TechnicalAccountManager
                    }
                    EscalationTarget::SeniorSupportTeam => pb::EscalationTarget::SeniorSupportTeam,
                    EscalationTarget::StandardSupportQueue => {
                        pb::EscalationTarget::StandardSupportQueue
                    }
                })
            })
            .collect(),
        technical_account_manager: p
            .technical_account_manager
            .as_ref()
            .map(pb_technical_account_manager),
        managed: p.managed,
        explanation: p.explanation(),
    }
}

/// An at-risk assessment on the wire.
pub fn pb_at_risk(a: &AtRisk) -> pb::AtRisk {
    pb::AtRisk {
        elapsed_fraction: a.elapsed_fraction(),
        elapsed: Some(pb_delta(a.elapsed)),
        highest_crossed_threshold: a.highest_crossed().map(fraction),
        thresholds: a
            .thresholds
            .iter()
            .map(|t| pb::ThresholdCrossing {
                threshold: fraction(t.millionths),
                crossed: t.crossed,
                cross_time: opt_ts(t.at),
            })
            .collect(),
        next_cross_time: a.next().and_then(|t| opt_ts(t.at)),
        explanation: a.explanation(),
    }
}

// ---- cases ----

/// Pauses from the wire, checked once for the whole request.
pub fn pauses(list: &[pb::Interval], field: &str) -> Result<Pauses> {
    // `pause_list` has refused an inverted pause, naming its end_time; nothing else can
    // fail here.
    Pauses::new(pause_list(list, field)?).field(field)
}

/// Pauses from the wire as given (any order, possibly overlapping); a pause that ends
/// before it starts is refused, naming its `end_time` (an empty one is allowed).
pub fn pause_list(list: &[pb::Interval], field: &str) -> Result<Vec<Pause>> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let f = format!("{field}[{i}]");
            let pause = Pause {
                start: time(&p.start_time, &format!("{f}.start_time"))?,
                end: opt_time(&p.end_time, &format!("{f}.end_time"))?,
            };
            if pause.is_inverted() {
                return Err(ApiError::field(
                    format!("{f}.end_time"),
                    "must not be before start_time",
                ));
            }
            Ok(pause)
        })
        .collect()
}

// ---- field masks ----

/// The paths an update touches: `Some(paths)` from an explicit mask (`*` = all mutable
/// paths), `None` for "every populated field" (absent or empty mask).
#[derive(Debug)]
pub struct UpdateMask(Option<BTreeSet<String>>);

impl UpdateMask {
    /// Parses a mask against the resource's mutable paths; paths of output-only fields
    /// are ignored, any other path is INVALID_ARGUMENT.
    pub fn parse(
        m: &Option<prost_types::FieldMask>,
        mutable: &[&str],
        output_only: &[&str],
    ) -> Result<UpdateMask> {
        let paths = match m {
            Some(m) if !m.paths.is_empty() => m.paths.clone(),
            _ => return Ok(UpdateMask(None)),
        };
        let mut set = BTreeSet::new();
        for p in paths {
            if p == "*" {
                set.extend(mutable.iter().map(|s| s.to_string()));
            } else if mutable.contains(&p.as_str()) {
                set.insert(p);
            } else if !output_only.contains(&p.as_str()) {
                return Err(ApiError::field(
                    "update_mask",
                    format!(
                        "{p:?} is not a mutable field; use one of {}",
                        mutable.join(", ")
                    ),
                ));
            }
        }
        Ok(UpdateMask(Some(set)))
    }

    /// Whether `path` is to be updated; `populated` says if the request set it.
    pub fn wants(&self, path: &str, populated: bool) -> bool {
        match &self.0 {
            None => populated,
            Some(set) => set.contains(path),
        }
    }
}
