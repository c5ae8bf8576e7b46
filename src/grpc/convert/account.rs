//! Accounts on the wire.

use super::time::ts;
use crate::grpc::pb;
use crate::names::{AccountName, CalendarName};
use crate::store::records::AccountRecord;

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
