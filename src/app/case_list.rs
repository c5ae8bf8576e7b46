//! ListCases: the tracked cases of one account or of every account, filtered by state,
//! status and priority, open cases first by next due instant (from the snapshot's due
//! index: a page of breached cases reads one range of it, whatever the number of open
//! cases), then resolved cases by name (read through the store, which may hold them only
//! in its source of truth). A page examines at most [`MAX_EXAMINED`] cases, so that a
//! filter few cases match cannot make one call read them all.

use chrono::{DateTime, Utc};

use crate::domain::{CaseOutlook, CaseStatus, Priority};
use crate::names::{AccountParent, Name};
use crate::store::cases::{CaseIds, CaseRecord, DueKey, due_key, due_position};
use crate::store::{State, Store, StoreError};

/// The most cases one page examines.
pub const MAX_EXAMINED: usize = 10_000;

/// Whether a case is open or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseState {
    /// Not resolved.
    Open,
    /// Resolved.
    Resolved,
}

/// Which cases a listing returns; `None` matches any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Open or resolved.
    pub state: Option<CaseState>,
    /// Status at the listing's instant.
    pub status: Option<CaseStatus>,
    /// Priority in force at the listing's instant.
    pub priority: Option<Priority>,
}

/// Where a listing resumes: after this open case (by due key), or after this resolved
/// case (by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// After the open case at this due position (micros), account and id.
    Open(i64, String, String),
    /// After the resolved case of this account and id.
    Resolved(String, String),
}

/// A listed case with what it says at the listing's instant.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The case.
    pub record: CaseRecord,
    /// Its status then; `None` if it cannot be evaluated.
    pub status: Option<CaseStatus>,
    /// Its next due instant then.
    pub next_due: Option<DateTime<Utc>>,
}

/// One page of a listing.
#[derive(Debug, Default)]
pub struct CasePage {
    /// The cases.
    pub cases: Vec<Listed>,
    /// Where the next page starts; `None` when there is no more.
    pub next: Option<Position>,
}

/// The status and next due instant of `rec` at `now`: from its outlook when `now` is at
/// or after what the outlook was worked out for, else from an evaluation at `now`.
pub fn standing(
    state: &State,
    rec: &CaseRecord,
    now: DateTime<Utc>,
) -> (Option<CaseStatus>, Option<DateTime<Utc>>) {
    match rec.outlook {
        Some(o) if now >= o.settled => (Some(o.status_at(now)), o.next_due),
        _ => evaluated(state, rec, now).map_or((None, None), |(s, d)| (Some(s), d)),
    }
}

/// The status and next due instant of `rec` evaluated at `now` (its opening if later).
fn evaluated(
    state: &State,
    rec: &CaseRecord,
    now: DateTime<Utc>,
) -> Option<(CaseStatus, Option<DateTime<Utc>>)> {
    let at = now.max(rec.timeline.opened_at());
    let eval = state.evaluation_of(rec, at)?;
    let resolved = rec.timeline.resolved_at().is_some_and(|r| r <= at);
    Some((eval.status(), CaseOutlook::of(&eval, resolved).next_due))
}

impl CaseFilter {
    fn admits(&self, rec: &CaseRecord, status: Option<CaseStatus>, now: DateTime<Utc>) -> bool {
        let t = &rec.timeline;
        let resolved = t.resolved_at().is_some();
        let state_ok = match self.state {
            Some(CaseState::Open) => !resolved,
            Some(CaseState::Resolved) => resolved,
            None => true,
        };
        let at = t.resolved_at().map_or(now, |r| r.min(now));
        state_ok
            && self.status.is_none_or(|s| status == Some(s))
            && self
                .priority
                .is_none_or(|p| rec.case_timeline().priority_at(at) == p)
    }
}

/// Collects a page: candidates in order, each examined once.
struct Collector<'f> {
    filter: &'f CaseFilter,
    now: DateTime<Utc>,
    size: usize,
    examined: usize,
    /// The position of the last candidate examined.
    last: Option<Position>,
    page: CasePage,
}

impl Collector<'_> {
    /// Offers the next candidate, at position `at`; false when the page is done (full,
    /// or examined enough), with `next` set to resume after the last one examined.
    fn offer(&mut self, state: &State, rec: &CaseRecord, at: impl FnOnce() -> Position) -> bool {
        if self.page.cases.len() == self.size || self.examined == MAX_EXAMINED {
            self.page.next = self.last.take();
            return false;
        }
        self.examined += 1;
        let (status, next_due) = standing(state, rec, self.now);
        if self.filter.admits(rec, status, self.now) {
            self.page.cases.push(Listed {
                record: rec.clone(),
                status,
                next_due,
            });
        }
        self.last = Some(at());
        true
    }
}

fn open_position(k: &DueKey) -> Position {
    Position::Open(k.0, k.1.account_id().to_string(), k.1.id().to_string())
}

/// Whether `rec`'s outlook (and so its place in the due index) holds at `now`.
fn settled(rec: &CaseRecord, now: DateTime<Utc>) -> bool {
    rec.outlook.is_none_or(|o| o.settled <= now)
}

/// Where an open case stands at `now` among the open cases: its index entry once its
/// outlook holds, else by its next due instant evaluated at `now`.
fn position_at(state: &State, rec: &CaseRecord, now: DateTime<Utc>) -> DueKey {
    if settled(rec, now) {
        due_key(rec)
    } else {
        (due_position(standing(state, rec, now).1), rec.ids.clone())
    }
}

/// Candidates among the open cases, with their positions, in due order after `after`.
fn open_candidates<'a>(
    state: &'a State,
    parent: AccountParent<'_>,
    filter: &CaseFilter,
    after: Option<DueKey>,
    now: DateTime<Utc>,
) -> Box<dyn Iterator<Item = (DueKey, &'a CaseRecord)> + 'a> {
    let cases = state.cases();
    let bound = after.clone();
    let later = move |k: &DueKey| bound.as_ref().is_none_or(|a| k > a);
    if let AccountParent::One(a) = parent {
        let mut open: Vec<(DueKey, &CaseRecord)> = cases
            .of_account(a)
            .iter()
            .filter(|c| !c.resolved())
            .map(|c| (position_at(state, c, now), c))
            .filter(|(k, _)| later(k))
            .collect();
        open.sort_by(|x, y| x.0.cmp(&y.0));
        return Box::new(open.into_iter());
    }
    // Cases whose index entry does not hold yet are placed by an evaluation now.
    let mut unsettled: Vec<(DueKey, &CaseRecord)> = cases
        .unsettled_at(now)
        .map(|c| (position_at(state, c, now), c))
        .filter(|(k, _)| later(k))
        .collect();
    unsettled.sort_by(|x, y| x.0.cmp(&y.0));
    let indexed = |it: Box<dyn Iterator<Item = &'a CaseRecord> + 'a>| {
        it.filter(move |c| settled(c, now)).map(|c| (due_key(c), c))
    };
    let now_key: DueKey = (now.timestamp_micros(), CaseIds::lowest());
    let from_index: Box<dyn Iterator<Item = (DueKey, &'a CaseRecord)> + 'a> = match filter.status {
        // Breached at `now`: due before it, or breached for good; merged in due order.
        Some(CaseStatus::Breached) => {
            let overdue = cases
                .open_after(after.as_ref())
                .take_while(move |c| due_key(c).0 < now.timestamp_micros());
            let late = cases.breached_after(after.as_ref());
            Box::new(merge_by_due(
                indexed(Box::new(overdue)),
                indexed(Box::new(late)),
            ))
        }
        // Not breached: nothing due before `now`.
        Some(CaseStatus::Pending | CaseStatus::AtRisk) => {
            let from = match after {
                Some(k) if k > now_key => k,
                _ => now_key,
            };
            Box::new(indexed(Box::new(cases.open_after(Some(&from)))))
        }
        _ => Box::new(indexed(Box::new(cases.open_after(after.as_ref())))),
    };
    Box::new(merge_by_due(from_index, unsettled.into_iter()))
}

/// Two runs of open cases in due order merged into one, each case once.
fn merge_by_due<'a>(
    a: impl Iterator<Item = (DueKey, &'a CaseRecord)> + 'a,
    b: impl Iterator<Item = (DueKey, &'a CaseRecord)> + 'a,
) -> impl Iterator<Item = (DueKey, &'a CaseRecord)> + 'a {
    let mut a = a.peekable();
    let mut b = b.peekable();
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) => match x.0.cmp(&y.0) {
            std::cmp::Ordering::Equal => {
                b.next();
                a.next()
            }
            std::cmp::Ordering::Less => a.next(),
            std::cmp::Ordering::Greater => b.next(),
        },
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

/// How many resolved cases one read through the store fetches.
const RESOLVED_BATCH: usize = 500;

/// One page of the cases under `parent` that `filter` admits, from `from` (the
/// beginning when `None`), at most `size` of them, as of `now`.
pub async fn list(
    store: &dyn Store,
    parent: AccountParent<'_>,
    filter: &CaseFilter,
    from: Option<Position>,
    size: usize,
    now: DateTime<Utc>,
) -> Result<CasePage, StoreError> {
    let mut c = Collector {
        filter,
        now,
        size,
        examined: 0,
        last: None,
        page: CasePage::default(),
    };
    let resolved_from = match from {
        Some(Position::Resolved(a, id)) => Some((a, id)),
        open_from => {
            let state = store.snapshot().read();
            if let AccountParent::One(a) = parent
                && state.account(a).is_none()
            {
                return Err(StoreError::NotFound(Name::account(a)));
            }
            if filter.state != Some(CaseState::Resolved) {
                let after = match open_from {
                    Some(Position::Open(due, a, id)) => Some((due, CaseIds::of(&a, &id))),
                    _ => None,
                };
                for (key, rec) in open_candidates(&state, parent, filter, after, now) {
                    if !c.offer(&state, rec, || open_position(&key)) {
                        return Ok(c.page);
                    }
                }
            }
            None
        }
    };
    if filter.state == Some(CaseState::Open) {
        return Ok(c.page);
    }
    // The resolved cases, by name, read through in batches.
    let mut after = resolved_from;
    loop {
        let batch = store
            .resolved_cases(
                parent.account(),
                after.as_ref().map(|(a, id)| (a.as_str(), id.as_str())),
                RESOLVED_BATCH,
            )
            .await?;
        let done = batch.len() < RESOLVED_BATCH;
        let state = store.snapshot().read();
        for rec in &batch {
            let at = || Position::Resolved(rec.account_id().to_string(), rec.id().to_string());
            if !c.offer(&state, rec, at) {
                return Ok(c.page);
            }
        }
        match batch.last() {
            Some(rec) if !done => {
                after = Some((rec.account_id().to_string(), rec.id().to_string()));
            }
            _ => return Ok(c.page),
        }
    }
}
