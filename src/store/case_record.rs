//! A tracked case as the snapshot holds it, compact because a million open cases live in
//! memory: the account id, the case id and the caller's reference share one allocation
//! ([`CaseIds`]), and the timeline's three lists share one boxed slice
//! ([`StoredTimeline`]), empty (no allocation) for most open cases. The domain's
//! [`CaseTimeline`] is rebuilt from it, exactly, whenever a case is evaluated or shown.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::meta::{Etagged, Meta};
use crate::domain::{CaseOutlook, CaseTimeline, Pause, Priority};

/// A case's account id, id and external reference, in one shared allocation
/// (`account \0 id \0 reference`; ids never hold a NUL). Equality and order are
/// those of (account id, id): the reference rides along.
#[derive(Clone)]
pub struct CaseIds(Arc<str>);

impl CaseIds {
    /// The ids of case `id` of `account_id`, with the caller's reference.
    pub fn new(account_id: &str, id: &str, external_reference: &str) -> CaseIds {
        let mut s =
            String::with_capacity(account_id.len() + id.len() + external_reference.len() + 2);
        s.push_str(account_id);
        s.push('\0');
        s.push_str(id);
        s.push('\0');
        s.push_str(external_reference);
        CaseIds(Arc::from(s))
    }

    /// The ids alone, as a bound to search an index with.
    pub fn of(account_id: &str, id: &str) -> CaseIds {
        CaseIds::new(account_id, id, "")
    }

    /// The lowest ids of all: a bound before every case.
    pub fn lowest() -> CaseIds {
        CaseIds::of("", "")
    }

    /// Where the account id ends and where the case id ends (the two NULs). Ids are
    /// short, so a plain scan beats a general string search here.
    fn ends(&self) -> (usize, usize) {
        let b = self.0.as_bytes();
        let nul = |from: usize| {
            b.get(from..)
                .and_then(|rest| rest.iter().position(|&c| c == 0))
                .map_or(b.len(), |i| from + i)
        };
        let account = nul(0);
        (account, nul(account + 1).max(account))
    }

    /// The account's id.
    pub fn account_id(&self) -> &str {
        self.0.get(..self.ends().0).unwrap_or_default()
    }

    /// The case's id within the account.
    pub fn id(&self) -> &str {
        let (account, id) = self.ends();
        self.0.get(account + 1..id).unwrap_or_default()
    }

    /// The caller's own reference for the case (may hold anything, NULs included).
    pub fn external_reference(&self) -> &str {
        self.0.get(self.ends().1 + 1..).unwrap_or_default()
    }
}

impl PartialEq for CaseIds {
    fn eq(&self, other: &CaseIds) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for CaseIds {}

impl PartialOrd for CaseIds {
    fn partial_cmp(&self, other: &CaseIds) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CaseIds {
    /// (account id, id) order: NUL sorts before every character an id may hold, so
    /// comparing the whole texts orders them by their ids, unless the ids are equal and
    /// only the references differ: that is when the texts first differ after the second
    /// NUL. One pass over the common prefix (an index entry is compared often).
    fn cmp(&self, other: &CaseIds) -> Ordering {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        let mut nuls = 0;
        for (x, y) in a.iter().zip(b) {
            if x != y {
                return x.cmp(y);
            }
            if *x == 0 {
                nuls += 1;
                if nuls == 2 {
                    return Ordering::Equal;
                }
            }
        }
        a.len().cmp(&b.len())
    }
}

impl std::fmt::Debug for CaseIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.account_id(), self.id())
    }
}

/// One entry of a timeline's lists, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// A priority change.
    PriorityChange(DateTime<Utc>, Priority),
    /// A pause.
    Pause(DateTime<Utc>, Option<DateTime<Utc>>),
    /// An update after the first response.
    Update(DateTime<Utc>),
}

/// A [`CaseTimeline`] as stored: the same facts, the three lists in one boxed slice
/// (each list's entries in their recorded order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTimeline {
    /// When the case was opened.
    opened_at: DateTime<Utc>,
    /// When the first response was given.
    first_response_at: Option<DateTime<Utc>>,
    /// When the case was resolved.
    resolved_at: Option<DateTime<Utc>>,
    /// The priority it was opened with.
    priority: Priority,
    /// The priority changes, then the pauses, then the updates.
    entries: Box<[Entry]>,
}

impl From<&CaseTimeline> for StoredTimeline {
    fn from(t: &CaseTimeline) -> StoredTimeline {
        let entries = t
            .priority_changes
            .iter()
            .map(|&(at, p)| Entry::PriorityChange(at, p))
            .chain(t.pauses.iter().map(|p| Entry::Pause(p.start, p.end)))
            .chain(t.updates.iter().map(|&u| Entry::Update(u)))
            .collect();
        StoredTimeline {
            opened_at: t.opened_at,
            first_response_at: t.first_response_at,
            resolved_at: t.resolved_at,
            priority: t.priority,
            entries,
        }
    }
}

impl StoredTimeline {
    /// The timeline, as the domain takes it.
    pub fn to_timeline(&self) -> CaseTimeline {
        let mut t = CaseTimeline {
            opened_at: self.opened_at,
            priority: self.priority,
            priority_changes: Vec::new(),
            pauses: Vec::new(),
            first_response_at: self.first_response_at,
            updates: Vec::new(),
            resolved_at: self.resolved_at,
        };
        for e in self.entries.iter() {
            match *e {
                Entry::PriorityChange(at, p) => t.priority_changes.push((at, p)),
                Entry::Pause(start, end) => t.pauses.push(Pause { start, end }),
                Entry::Update(at) => t.updates.push(at),
            }
        }
        t
    }

    /// When the case was opened.
    pub fn opened_at(&self) -> DateTime<Utc> {
        self.opened_at
    }

    /// When the case was resolved.
    pub fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.resolved_at
    }

    /// The latest instant recorded ([`CaseTimeline::last_recorded`], the one rule).
    pub fn last_recorded(&self) -> DateTime<Utc> {
        self.to_timeline().last_recorded()
    }
}

/// A tracked case as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Its account id, id and external reference (shared with the index's entries).
    pub ids: CaseIds,
    /// What happened on the case.
    pub timeline: StoredTimeline,
    /// Bookkeeping.
    pub meta: Meta,
    /// What its evaluation says about later instants; `None` until the state worked it
    /// out, or when the case cannot be evaluated (its calendar has no open time left).
    pub outlook: Option<CaseOutlook>,
}

impl CaseRecord {
    /// Case `id` of `account_id` with `timeline`, its outlook not yet worked out.
    pub fn new(
        account_id: &str,
        id: &str,
        external_reference: &str,
        timeline: &CaseTimeline,
        meta: Meta,
    ) -> CaseRecord {
        CaseRecord {
            ids: CaseIds::new(account_id, id, external_reference),
            timeline: timeline.into(),
            meta,
            outlook: None,
        }
    }

    /// The account's id.
    pub fn account_id(&self) -> &str {
        self.ids.account_id()
    }

    /// The case's id within the account.
    pub fn id(&self) -> &str {
        self.ids.id()
    }

    /// The caller's own reference for the case.
    pub fn external_reference(&self) -> &str {
        self.ids.external_reference()
    }

    /// What happened on the case, as the domain takes it.
    pub fn case_timeline(&self) -> CaseTimeline {
        self.timeline.to_timeline()
    }

    /// Whether the case is resolved.
    pub fn resolved(&self) -> bool {
        self.timeline.resolved_at.is_some()
    }
}

impl Etagged for CaseRecord {
    fn etag(&self) -> String {
        self.meta.etag()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_stored_timeline_gives_back_exactly_what_went_in() {
        let t = CaseTimeline {
            opened_at: at("2026-01-05T09:00:00Z"),
            priority: Priority::P2,
            priority_changes: vec![
                (at("2026-01-05T11:00:00Z"), Priority::P1),
                (at("2026-01-05T10:00:00Z"), Priority::P3),
            ],
            pauses: vec![
                Pause {
                    start: at("2026-01-05T12:00:00Z"),
                    end: None,
                },
                Pause {
                    start: at("2026-01-05T09:30:00Z"),
                    end: Some(at("2026-01-05T09:45:00Z")),
                },
            ],
            first_response_at: Some(at("2026-01-05T09:20:00Z")),
            updates: vec![at("2026-01-05T13:00:00Z"), at("2026-01-05T12:30:00Z")],
            resolved_at: Some(at("2026-01-06T09:00:00Z")),
        };
        assert_eq!(StoredTimeline::from(&t).to_timeline(), t);
        assert_eq!(StoredTimeline::from(&t).last_recorded(), t.last_recorded());
        let empty = CaseTimeline {
            priority_changes: vec![],
            pauses: vec![],
            updates: vec![],
            first_response_at: None,
            resolved_at: None,
            ..t
        };
        assert_eq!(StoredTimeline::from(&empty).to_timeline(), empty);
    }

    #[test]
    fn case_ids_compare_by_account_and_id_only() {
        let a = CaseIds::new("acme", "c1", "TICKET\0-1");
        assert_eq!(
            (a.account_id(), a.id(), a.external_reference()),
            ("acme", "c1", "TICKET\0-1")
        );
        assert_eq!(a, CaseIds::of("acme", "c1"));
        assert!(CaseIds::of("acme", "c1") < CaseIds::of("acme", "c1a"));
        assert!(CaseIds::of("acme", "c2") < CaseIds::of("acme-b", "a"));
        assert!(CaseIds::lowest() < CaseIds::of("a", "a"));
        assert_eq!(CaseIds::new("a", "b", "").external_reference(), "");
    }
}
