//! Tracked cases and EvaluateCase: every milestone of a case timeline evaluated at an
//! instant, under the terms of the contract in force when the case was opened (without
//! one, every milestone has no target), with the escalation path; and the rules of the
//! writes on a tracked case (create, update, the small moves, delete). Evaluations are
//! read from the snapshot only.

use chrono::{DateTime, Utc};

use super::rules::current;
use crate::domain::{
    Calendar, CaseEvaluation, CaseMove, CaseOutlook, CaseTimeline, Contract, DomainError,
    EscalationPath, MAX_TIMELINE_EVENTS, Moved, evaluate_case,
};
use crate::names::Name;
use crate::reason::Reason;
use crate::store::cases::{CasePatch, CaseRecord};
use crate::store::records::{CaseAt, Meta};
use crate::store::state::{Prepared, Write};
use crate::store::{State, StoreError};

/// The evaluation of a case.
#[derive(Debug)]
pub struct CaseAnswer<'s> {
    /// The contract whose terms applied, if one was in force at the opening.
    pub contract: Option<&'s Contract>,
    /// The account's calendar.
    pub calendar: &'s Calendar,
    /// Every milestone, evaluated.
    pub evaluation: CaseEvaluation,
    /// Where the case escalates, when a contract applied.
    pub escalation: Option<EscalationPath>,
}

impl CaseAnswer<'_> {
    /// The case's next due instant, as its evaluation gives it.
    pub fn next_due(&self, resolved: bool) -> Option<DateTime<Utc>> {
        CaseOutlook::of(&self.evaluation, resolved).next_due
    }
}

/// Why a case could not be evaluated.
#[derive(Debug)]
pub enum CaseError {
    /// The account does not exist.
    Store(StoreError),
    /// The timeline breaks a rule (events out of order, say).
    Timeline(DomainError),
}

/// Evaluates `case` of account `account` at `at` from `state`.
pub fn evaluate<'s>(
    state: &'s State,
    account: &'s str,
    case: &CaseTimeline,
    at: DateTime<Utc>,
) -> Result<CaseAnswer<'s>, CaseError> {
    let under = state
        .case_terms(account, case.opened_at)
        .map_err(CaseError::Store)?;
    let evaluation = evaluate_case(under.terms.as_ref(), under.calendar, case, at)
        .map_err(CaseError::Timeline)?;
    let escalation = under
        .contract
        .zip(under.terms.as_ref())
        .map(|(c, t)| EscalationPath::of(c, t));
    Ok(CaseAnswer {
        contract: under.contract,
        calendar: under.calendar,
        evaluation,
        escalation,
    })
}

/// A timeline a tracked case may hold at `now`: every rule EvaluateCase enforces, at
/// most [`MAX_TIMELINE_EVENTS`] events, and nothing after `now` (give or take the clock
/// skew): a tracked case records what happened, and its place in the due index holds
/// from its last instant on.
fn check_timeline(t: &CaseTimeline, now: DateTime<Utc>) -> Result<(), StoreError> {
    if t.event_count() > MAX_TIMELINE_EVENTS {
        return Err(StoreError::Domain(DomainError::InvalidTimeline(format!(
            "the timeline holds {} events; a tracked case holds at most {MAX_TIMELINE_EVENTS}",
            t.event_count()
        ))));
    }
    t.validate().map_err(StoreError::Domain)?;
    t.check_recorded_by(now).map_err(StoreError::Domain)
}

/// The case `at` names, from the snapshot or as read through, if the caller's `etag`
/// (if any) is its current one.
fn stored<'a>(
    state: &'a State,
    at: &'a CaseAt,
    etag: &Option<String>,
) -> Result<(&'a CaseRecord, bool), StoreError> {
    let name = || Name::case(&at.account_id, &at.id);
    match state.case(&at.account_id, &at.id) {
        Some(rec) => Ok((current(Some(rec), name, etag)?, false)),
        None => Ok((current(at.read_through.as_deref(), name, etag)?, true)),
    }
}

/// The rules of `Change::CreateCase`: what it writes, or why it is refused.
pub(crate) fn create(
    state: &State,
    account_id: String,
    id: String,
    external_reference: String,
    timeline: CaseTimeline,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    if state.account(&account_id).is_none() {
        return Err(StoreError::NotFound(Name::account(&account_id)));
    }
    if state.case(&account_id, &id).is_some() {
        return Err(StoreError::AlreadyExists(Name::case(&account_id, &id)));
    }
    check_timeline(&timeline, now)?;
    Ok(Prepared::Case {
        write: Write::create(CaseRecord::new(
            &account_id,
            &id,
            &external_reference,
            &timeline,
            Meta::new(now),
        )),
        read_through: false,
        unchanged: false,
    })
}

/// The rules of `Change::UpdateCase`: what it writes, or why it is refused.
pub(crate) fn update(
    state: &State,
    at: CaseAt,
    patch: CasePatch,
    etag: String,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let (cur, read_through) = stored(state, &at, &Some(etag))?;
    let timeline = patch.apply_to(cur.case_timeline());
    let external_reference = patch
        .external_reference
        .as_deref()
        .unwrap_or(cur.external_reference());
    next_revision(cur, external_reference, timeline, read_through, now)
}

/// `cur` with a new reference and timeline, as its next revision: the record to write,
/// once the timeline passes its checks.
fn next_revision(
    cur: &CaseRecord,
    external_reference: &str,
    timeline: CaseTimeline,
    read_through: bool,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    check_timeline(&timeline, now)?;
    Ok(Prepared::Case {
        write: Write::update(
            CaseRecord::new(
                cur.account_id(),
                cur.id(),
                external_reference,
                &timeline,
                cur.meta.bumped(now),
            ),
            cur.meta.revision,
        ),
        read_through,
        unchanged: false,
    })
}

/// The rules of `Change::MoveCase`: what it writes (nothing when the same move is
/// already recorded), or why it is refused.
pub(crate) fn move_case(
    state: &State,
    at: CaseAt,
    step: CaseMove,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let (cur, read_through) = stored(state, &at, &None)?;
    let mut timeline = cur.case_timeline();
    let moved = timeline
        .apply_move(step)
        .map_err(|message| StoreError::FailedPrecondition {
            reason: Reason::InvalidTimeline,
            subject: Name::case(&at.account_id, &at.id),
            message: format!("{}: {message}", Name::case(&at.account_id, &at.id)),
        })?;
    if moved == Moved::AlreadyRecorded {
        return Ok(Prepared::Case {
            write: Write::update(cur.clone(), cur.meta.revision),
            read_through,
            unchanged: true,
        });
    }
    next_revision(cur, cur.external_reference(), timeline, read_through, now)
}

/// The rules of `Change::DeleteCase`: what it writes, or why it is refused.
pub(crate) fn delete(
    state: &State,
    at: CaseAt,
    etag: Option<String>,
) -> Result<Prepared, StoreError> {
    let (cur, read_through) = stored(state, &at, &etag)?;
    Ok(Prepared::DeleteCase {
        account_id: at.account_id.clone(),
        id: at.id.clone(),
        revision: cur.meta.revision,
        read_through,
    })
}
