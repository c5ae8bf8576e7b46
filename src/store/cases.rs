//! Tracked cases as the snapshot holds them: each [`CaseRecord`] by account and id, and
//! the open ones indexed by next due instant (and the breached ones apart), so that a
//! listing by status or due time reads one range of an index instead of every case.
//!
//! A record's [`CaseOutlook`] is worked out by the state when the record goes in (the
//! state knows the terms and the calendar), and again whenever those change; the index
//! follows it.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use super::case_record::{CaseIds, CaseRecord, StoredTimeline};
use crate::domain::{CaseOutlook, CaseTimeline, Priority};

/// An edit of some of a case's fields (UpdateCase); `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CasePatch {
    /// A new external reference.
    pub external_reference: Option<String>,
    /// A new opening instant.
    pub opened_at: Option<DateTime<Utc>>,
    /// A new initial priority.
    pub priority: Option<Priority>,
    /// New priority changes.
    pub priority_changes: Option<Vec<(DateTime<Utc>, Priority)>>,
    /// New pauses.
    pub pauses: Option<Vec<crate::domain::Pause>>,
    /// A new first response (`Some(None)` clears it).
    pub first_response_at: Option<Option<DateTime<Utc>>>,
    /// New updates.
    pub updates: Option<Vec<DateTime<Utc>>>,
    /// A new resolution (`Some(None)` reopens the case).
    pub resolved_at: Option<Option<DateTime<Utc>>>,
}

impl CasePatch {
    /// `timeline` with the patch's timeline fields applied.
    pub fn apply_to(&self, mut t: CaseTimeline) -> CaseTimeline {
        if let Some(v) = self.opened_at {
            t.opened_at = v;
        }
        if let Some(v) = self.priority {
            t.priority = v;
        }
        if let Some(v) = &self.priority_changes {
            t.priority_changes = v.clone();
        }
        if let Some(v) = &self.pauses {
            t.pauses = v.clone();
        }
        if let Some(v) = self.first_response_at {
            t.first_response_at = v;
        }
        if let Some(v) = &self.updates {
            t.updates = v.clone();
        }
        if let Some(v) = self.resolved_at {
            t.resolved_at = v;
        }
        t
    }
}

/// Where an open case stands in the due index: its next due instant in microseconds
/// ([`NOTHING_DUE`] when nothing is due), then its ids.
pub type DueKey = (i64, CaseIds);

/// The due-index position of an open case with nothing due: after every due instant.
pub const NOTHING_DUE: i64 = i64::MAX;

/// The due-index position of an instant.
pub fn due_position(t: Option<DateTime<Utc>>) -> i64 {
    t.map_or(NOTHING_DUE, |t| t.timestamp_micros())
}

/// The longest per-account list grown one record at a time.
const EXACT_UP_TO: usize = 32;

/// The cases a state holds, and the index of the open ones.
#[derive(Debug, Default)]
pub struct Cases {
    /// Every case held, by account, sorted by id.
    by_account: HashMap<Arc<str>, Vec<CaseRecord>>,
    /// Every open case, by [`DueKey`].
    due: BTreeSet<DueKey>,
    /// The open cases breached for good (a milestone met late), by [`DueKey`].
    breached: BTreeSet<DueKey>,
    /// The open cases whose timeline records instants after the write (their outlook
    /// holds only from its `settled` instant on), by that instant, account and id: until
    /// then a listing evaluates them one by one instead of trusting their index entry.
    unsettled: BTreeSet<(i64, CaseIds)>,
    /// The resolved cases held (by the memory store only), by account and id: listing
    /// them reads a range instead of every account.
    resolved: BTreeSet<CaseIds>,
    /// How many cases are held.
    count: usize,
}

/// The [`DueKey`] of an open case.
pub fn due_key(rec: &CaseRecord) -> DueKey {
    let due = rec.outlook.and_then(|o| o.next_due);
    (due_position(due), rec.ids.clone())
}

impl Cases {
    /// A case by account and id.
    pub fn get(&self, account_id: &str, id: &str) -> Option<&CaseRecord> {
        let list = self.by_account.get(account_id)?;
        list.binary_search_by(|c| c.id().cmp(id))
            .ok()
            .map(|i| &list[i])
    }

    /// An account's cases, by id.
    pub fn of_account(&self, account_id: &str) -> &[CaseRecord] {
        self.by_account.get(account_id).map_or(&[], Vec::as_slice)
    }

    /// How many cases are held.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no case is held.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// How many open cases are held.
    pub fn open_len(&self) -> usize {
        self.due.len()
    }

    fn unindex(&mut self, rec: &CaseRecord) {
        if rec.resolved() {
            self.resolved.remove(&rec.ids);
        } else {
            let key = due_key(rec);
            self.due.remove(&key);
            self.breached.remove(&key);
            if let Some(u) = unsettled_key(rec) {
                self.unsettled.remove(&u);
            }
        }
    }

    /// Inserts or replaces a case.
    pub fn put(&mut self, rec: CaseRecord) {
        let key = due_key(&rec);
        let open = !rec.resolved();
        let breached = rec.outlook.is_some_and(|o| o.breached);
        let unsettled = unsettled_key(&rec);
        let list = match self.by_account.get_mut(rec.account_id()) {
            Some(list) => list,
            None => self
                .by_account
                .entry(Arc::from(rec.account_id()))
                .or_default(),
        };
        let old = match list.binary_search_by(|c| c.id().cmp(rec.id())) {
            Ok(i) => Some(std::mem::replace(&mut list[i], rec)),
            Err(i) => {
                // Exactly as long as needed: a doubling Vec per account would leave a
                // third of the space of a million cases unused. Past a few dozen cases
                // (an account with many open cases) it doubles, or every insert would
                // copy the whole list.
                if list.len() < EXACT_UP_TO {
                    list.reserve_exact(1);
                }
                list.insert(i, rec);
                None
            }
        };
        match old {
            Some(old) => self.unindex(&old),
            None => self.count += 1,
        }
        if open {
            if breached {
                self.breached.insert(key.clone());
            }
            if let Some(u) = unsettled {
                self.unsettled.insert(u);
            }
            self.due.insert(key);
        } else {
            self.resolved.insert(key.1);
        }
    }

    /// Resolved cases after the case `after` names (account id, case id), of `account`
    /// only when given, in name order.
    pub fn resolved_after<'a>(
        &'a self,
        account: Option<&'a str>,
        after: Option<(&str, &str)>,
    ) -> impl Iterator<Item = &'a CaseRecord> + use<'a> {
        let lower = match (after, account) {
            (Some((a, id)), _) => Bound::Excluded(CaseIds::of(a, id)),
            (None, Some(a)) => Bound::Included(CaseIds::of(a, "")),
            (None, None) => Bound::Unbounded,
        };
        self.resolved
            .range((lower, Bound::Unbounded))
            .take_while(move |ids| account.is_none_or(|want| ids.account_id() == want))
            .filter_map(|ids| self.get(ids.account_id(), ids.id()))
    }

    /// Removes a case; returns it if it was held.
    pub fn remove(&mut self, account_id: &str, id: &str) -> Option<CaseRecord> {
        let list = self.by_account.get_mut(account_id)?;
        let i = list.binary_search_by(|c| c.id().cmp(id)).ok()?;
        let rec = list.remove(i);
        if list.is_empty() {
            self.by_account.remove(account_id);
        }
        self.count -= 1;
        self.unindex(&rec);
        Some(rec)
    }

    /// Removes every case of an account.
    pub fn remove_account(&mut self, account_id: &str) {
        for rec in self.by_account.remove(account_id).unwrap_or_default() {
            self.count -= 1;
            self.unindex(&rec);
        }
    }

    /// The ids of the accounts holding cases.
    pub fn accounts(&self) -> impl Iterator<Item = &Arc<str>> {
        self.by_account.keys()
    }

    /// Replaces the outlook of every case of `account_id` with what `outlook` says.
    pub fn refresh(
        &mut self,
        account_id: &str,
        mut outlook: impl FnMut(&CaseRecord) -> Option<CaseOutlook>,
    ) {
        let Some(list) = self.by_account.get(account_id) else {
            return;
        };
        let fresh: Vec<CaseRecord> = list
            .iter()
            .filter_map(|r| {
                let o = outlook(r);
                (o != r.outlook).then(|| CaseRecord {
                    outlook: o,
                    ..r.clone()
                })
            })
            .collect();
        for rec in fresh {
            self.put(rec);
        }
    }

    /// Open cases of every account after `after`, in [`DueKey`] order.
    pub fn open_after<'a>(
        &'a self,
        after: Option<&DueKey>,
    ) -> impl Iterator<Item = &'a CaseRecord> + use<'a> {
        self.range(&self.due, after)
    }

    /// Open cases breached for good, of every account, after `after`, in [`DueKey`]
    /// order.
    pub fn breached_after<'a>(
        &'a self,
        after: Option<&DueKey>,
    ) -> impl Iterator<Item = &'a CaseRecord> + use<'a> {
        self.range(&self.breached, after)
    }

    /// Open cases whose outlook does not hold yet at `now` (their timeline records
    /// later instants), of every account, in no useful order.
    pub fn unsettled_at<'a>(
        &'a self,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = &'a CaseRecord> + use<'a> {
        let from = (now.timestamp_micros(), CaseIds::lowest());
        self.unsettled
            .range((Bound::Excluded(from), Bound::Unbounded))
            .filter_map(|(_, ids)| self.get(ids.account_id(), ids.id()))
    }

    fn range<'a>(
        &'a self,
        set: &'a BTreeSet<DueKey>,
        after: Option<&DueKey>,
    ) -> impl Iterator<Item = &'a CaseRecord> + use<'a> {
        let lower = match after {
            Some(k) => Bound::Excluded(k.clone()),
            None => Bound::Unbounded,
        };
        set.range((lower, Bound::Unbounded))
            .filter_map(|(_, ids)| self.get(ids.account_id(), ids.id()))
    }
}

/// The unsettled-set entry of a case whose outlook was worked out for a later instant
/// than its write (its timeline records instants after it).
fn unsettled_key(rec: &CaseRecord) -> Option<(i64, CaseIds)> {
    let o = rec.outlook?;
    // Worked out at its last recorded instant rather than at the write: that instant
    // was not past yet.
    (o.settled <= rec.timeline.last_recorded())
        .then(|| (o.settled.timestamp_micros(), rec.ids.clone()))
}
