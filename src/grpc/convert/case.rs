//! Tracked cases on the wire: case timelines from requests (every field path named), a
//! case's edit from an update mask, ListCases' filter and page positions, and a tracked
//! case back to the wire.

use chrono::{DateTime, Utc};

use super::mask::UpdateMask;
use super::sla::pause_list;
use super::terms::{pb_priority, priority};
use super::time::{opt_time, opt_ts, time, ts};
use crate::app::case_list::{CaseFilter, CaseState, Position};
use crate::domain::{CaseStatus, CaseTimeline, Priority};
use crate::grpc::error::ApiError;
use crate::grpc::pb;
use crate::names::CaseName;
use crate::store::cases::{CasePatch, CaseRecord};

type Result<T> = std::result::Result<T, ApiError>;

/// The longest external reference a case may carry, in characters.
pub const MAX_EXTERNAL_REFERENCE: usize = 256;

/// Priority changes from the wire, under `field`.
fn priority_changes(
    list: &[pb::PriorityChange],
    field: &str,
) -> Result<Vec<(DateTime<Utc>, Priority)>> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            let f = format!("{field}[{i}]");
            Ok((
                time(&p.change_time, &format!("{f}.change_time"))?,
                priority(p.priority, &format!("{f}.priority"))?,
            ))
        })
        .collect()
}

/// Update instants from the wire, under `field`.
fn update_times(list: &[prost_types::Timestamp], field: &str) -> Result<Vec<DateTime<Utc>>> {
    list.iter()
        .enumerate()
        .map(|(i, u)| time(&Some(*u), &format!("{field}[{i}]")))
        .collect()
}

/// A case timeline given in request field `field` (e.g. `case`), every sub-field's
/// path named in errors. The timeline's own rules are checked by the domain.
pub fn case_timeline(c: &Option<pb::CaseTimeline>, field: &str) -> Result<CaseTimeline> {
    let c = c.as_ref().ok_or_else(|| ApiError::required(field))?;
    Ok(CaseTimeline {
        opened_at: time(&c.open_time, &format!("{field}.open_time"))?,
        priority: priority(c.priority, &format!("{field}.priority"))?,
        priority_changes: priority_changes(
            &c.priority_changes,
            &format!("{field}.priority_changes"),
        )?,
        pauses: pause_list(&c.pauses, &format!("{field}.pauses"))?,
        first_response_at: opt_time(
            &c.first_response_time,
            &format!("{field}.first_response_time"),
        )?,
        updates: update_times(&c.update_times, &format!("{field}.update_times"))?,
        resolved_at: opt_time(&c.resolve_time, &format!("{field}.resolve_time"))?,
    })
}

/// A case timeline on the wire.
pub fn pb_timeline(t: &CaseTimeline) -> pb::CaseTimeline {
    pb::CaseTimeline {
        open_time: Some(ts(t.opened_at)),
        priority: pb_priority(t.priority),
        priority_changes: t
            .priority_changes
            .iter()
            .map(|(at, p)| pb::PriorityChange {
                change_time: Some(ts(*at)),
                priority: pb_priority(*p),
            })
            .collect(),
        pauses: t
            .pauses
            .iter()
            .map(|p| pb::Interval {
                start_time: Some(ts(p.start)),
                end_time: opt_ts(p.end),
            })
            .collect(),
        first_response_time: opt_ts(t.first_response_at),
        update_times: t.updates.iter().map(|u| ts(*u)).collect(),
        resolve_time: opt_ts(t.resolved_at),
    }
}

/// An external reference given in `field`: at most [`MAX_EXTERNAL_REFERENCE`]
/// characters.
pub fn external_reference(s: &str, field: &str) -> Result<String> {
    let n = s.chars().count();
    if n > MAX_EXTERNAL_REFERENCE {
        return Err(ApiError::field(
            field,
            format!("is {n} characters long; at most {MAX_EXTERNAL_REFERENCE} are allowed"),
        ));
    }
    Ok(s.to_owned())
}

/// The mutable paths of a case (UpdateCase's update_mask).
pub const CASE_PATHS: &[&str] = &[
    "external_reference",
    "timeline",
    "timeline.open_time",
    "timeline.priority",
    "timeline.priority_changes",
    "timeline.pauses",
    "timeline.first_response_time",
    "timeline.update_times",
    "timeline.resolve_time",
];

/// The output-only paths of a case.
pub const CASE_OUTPUT_ONLY: &[&str] = &[
    "name",
    "state",
    "status",
    "next_due_time",
    "status_time",
    "etag",
    "create_time",
    "update_time",
];

/// The edit UpdateCase makes: the fields `mask` selects, from `c`.
pub fn case_patch(c: &pb::Case, mask: &UpdateMask) -> Result<CasePatch> {
    let mut patch = CasePatch::default();
    if mask.wants("external_reference", !c.external_reference.is_empty()) {
        patch.external_reference = Some(external_reference(
            &c.external_reference,
            "case.external_reference",
        )?);
    }
    let empty = pb::CaseTimeline::default();
    let t = c.timeline.as_ref().unwrap_or(&empty);
    if mask.wants("timeline", c.timeline.is_some()) {
        let whole = case_timeline(&c.timeline, "case.timeline")?;
        patch.opened_at = Some(whole.opened_at);
        patch.priority = Some(whole.priority);
        patch.priority_changes = Some(whole.priority_changes);
        patch.pauses = Some(whole.pauses);
        patch.first_response_at = Some(whole.first_response_at);
        patch.updates = Some(whole.updates);
        patch.resolved_at = Some(whole.resolved_at);
        return Ok(patch);
    }
    let f = |p: &str| format!("case.{p}");
    if mask.wants("timeline.open_time", t.open_time.is_some()) {
        patch.opened_at = Some(time(&t.open_time, &f("timeline.open_time"))?);
    }
    if mask.wants("timeline.priority", t.priority != 0) {
        patch.priority = Some(priority(t.priority, &f("timeline.priority"))?);
    }
    if mask.wants("timeline.priority_changes", !t.priority_changes.is_empty()) {
        patch.priority_changes = Some(priority_changes(
            &t.priority_changes,
            &f("timeline.priority_changes"),
        )?);
    }
    if mask.wants("timeline.pauses", !t.pauses.is_empty()) {
        patch.pauses = Some(pause_list(&t.pauses, &f("timeline.pauses"))?);
    }
    if mask.wants(
        "timeline.first_response_time",
        t.first_response_time.is_some(),
    ) {
        patch.first_response_at = Some(opt_time(
            &t.first_response_time,
            &f("timeline.first_response_time"),
        )?);
    }
    if mask.wants("timeline.update_times", !t.update_times.is_empty()) {
        patch.updates = Some(update_times(&t.update_times, &f("timeline.update_times"))?);
    }
    if mask.wants("timeline.resolve_time", t.resolve_time.is_some()) {
        patch.resolved_at = Some(opt_time(&t.resolve_time, &f("timeline.resolve_time"))?);
    }
    Ok(patch)
}

/// A case's status on the wire (UNSPECIFIED: it cannot be evaluated).
pub fn pb_case_status(s: Option<CaseStatus>) -> i32 {
    (match s {
        None => pb::CaseStatus::Unspecified,
        Some(CaseStatus::Pending) => pb::CaseStatus::Pending,
        Some(CaseStatus::AtRisk) => pb::CaseStatus::AtRisk,
        Some(CaseStatus::Breached) => pb::CaseStatus::Breached,
        Some(CaseStatus::Compliant) => pb::CaseStatus::Compliant,
    }) as i32
}

/// A tracked case on the wire, with its status and next due instant at `at`.
pub fn pb_case(
    rec: &CaseRecord,
    status: Option<CaseStatus>,
    next_due: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> pb::Case {
    pb::Case {
        name: CaseName::new(rec.account_id(), rec.id()).to_string(),
        external_reference: rec.external_reference().to_owned(),
        timeline: Some(pb_timeline(&rec.case_timeline())),
        state: if rec.resolved() {
            pb::CaseState::Resolved
        } else {
            pb::CaseState::Open
        } as i32,
        status: pb_case_status(status),
        next_due_time: opt_ts(next_due),
        status_time: Some(ts(at)),
        etag: rec.meta.etag(),
        create_time: Some(ts(rec.meta.created_at)),
        update_time: Some(ts(rec.meta.updated_at)),
    }
}

/// ListCases' filter: `field = VALUE` terms joined with AND, each field at most once.
pub fn case_filter(filter: &str) -> Result<CaseFilter> {
    let bad = |why: String| ApiError::field("filter", why);
    let mut f = CaseFilter::default();
    let text = filter.trim();
    if text.is_empty() {
        return Ok(f);
    }
    for term in text.split(" AND ") {
        let (field, value) = term
            .split_once('=')
            .map(|(a, b)| (a.trim(), b.trim().trim_matches('"')))
            .ok_or_else(|| {
                bad(format!(
                    "term {} is not `field = VALUE`; terms are joined with AND",
                    crate::domain::text::Quoted::new(term.trim())
                ))
            })?;
        let twice = || bad(format!("{field} appears more than once"));
        let unknown = |allowed: &str| {
            bad(format!(
                "{} is not a {field}; use one of {allowed}",
                crate::domain::text::Quoted::new(value)
            ))
        };
        match field {
            "state" => {
                if f.state.is_some() {
                    return Err(twice());
                }
                f.state = Some(match value {
                    "OPEN" => CaseState::Open,
                    "RESOLVED" => CaseState::Resolved,
                    _ => return Err(unknown("OPEN, RESOLVED")),
                });
            }
            "status" => {
                if f.status.is_some() {
                    return Err(twice());
                }
                f.status = Some(match value {
                    "PENDING" => CaseStatus::Pending,
                    "AT_RISK" => CaseStatus::AtRisk,
                    "BREACHED" => CaseStatus::Breached,
                    "COMPLIANT" => CaseStatus::Compliant,
                    _ => return Err(unknown("PENDING, AT_RISK, BREACHED, COMPLIANT")),
                });
            }
            "priority" => {
                if f.priority.is_some() {
                    return Err(twice());
                }
                f.priority = Some(match value {
                    "P1" => Priority::P1,
                    "P2" => Priority::P2,
                    "P3" => Priority::P3,
                    "P4" => Priority::P4,
                    _ => return Err(unknown("P1, P2, P3, P4")),
                });
            }
            other => {
                return Err(bad(format!(
                    "{} cannot be filtered on; use state, status or priority",
                    crate::domain::text::Quoted::new(other)
                )));
            }
        }
    }
    Ok(f)
}

/// A listing position as a page token's key.
pub fn position_key(p: &Position) -> String {
    match p {
        Position::Open(due, a, id) => format!("o\n{due}\n{a}\n{id}"),
        Position::Resolved(a, id) => format!("r\n{a}\n{id}"),
    }
}

/// The listing position a page token's key holds (`None` for the first page).
pub fn position(key: &str) -> Result<Option<Position>> {
    if key.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::field("page_token", "is not a token this service issued");
    let parts: Vec<&str> = key.split('\n').collect();
    match parts.as_slice() {
        ["o", due, a, id] => Ok(Some(Position::Open(
            due.parse().map_err(|_| bad())?,
            (*a).to_owned(),
            (*id).to_owned(),
        ))),
        ["r", a, id] => Ok(Some(Position::Resolved((*a).to_owned(), (*id).to_owned()))),
        _ => Err(bad()),
    }
}
