//! Business-hours calendars: create, change, and delete one no account uses.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::rules::current;
use crate::domain::Calendar;
use crate::names::Name;
use crate::store::StoreError;
use crate::store::records::{CalendarPatch, CalendarRecord, Meta};
use crate::store::state::{Prepared, State, Write};

/// The rules of `Change::CreateCalendar`: what it writes, or why it is refused.
pub(crate) fn create(
    state: &State,
    id: String,
    display_name: String,
    calendar: Arc<Calendar>,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    if state.calendar(&id).is_some() {
        return Err(StoreError::AlreadyExists(Name::calendar(&id)));
    }
    let rec = CalendarRecord {
        id: id.clone(),
        display_name,
        calendar,
        meta: Meta::new(now),
    };
    Ok(Prepared::Calendar(Write::create(rec)))
}

/// The rules of `Change::UpdateCalendar`: what it writes, or why it is refused.
pub(crate) fn update(
    state: &State,
    id: String,
    patch: CalendarPatch,
    etag: Option<String>,
    now: DateTime<Utc>,
) -> Result<Prepared, StoreError> {
    let cur = current(state.calendar(&id), || Name::calendar(&id), &etag)?;
    let mut rec = cur.clone();
    if let Some(v) = patch.display_name {
        rec.display_name = v;
    }
    if let Some(v) = patch.calendar {
        rec.calendar = v;
    }
    rec.meta = cur.meta.bumped(now);
    Ok(Prepared::Calendar(Write::update(rec, cur.meta.revision)))
}

/// The rules of `Change::DeleteCalendar`: what it writes, or why it is refused.
pub(crate) fn delete(
    state: &State,
    id: String,
    etag: Option<String>,
) -> Result<Prepared, StoreError> {
    let cur = current(state.calendar(&id), || Name::calendar(&id), &etag)?;
    if let Some(a) = state
        .accounts_after("")
        .find(|a| a.calendar_id.as_deref() == Some(&id))
    {
        return Err(StoreError::calendar_in_use(
            Name::calendar(&id),
            Some(Name::account(&a.id)),
        ));
    }
    Ok(Prepared::DeleteCalendar {
        id,
        revision: cur.meta.revision,
    })
}
