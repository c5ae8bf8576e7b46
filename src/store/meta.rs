//! The bookkeeping every stored resource carries (revision, creation and update
//! instants) and the etag a change checks the caller's against. Its own module so that
//! the records of every kind (`records`, `cases`) share it without depending on each
//! other.

use chrono::{DateTime, Utc};

/// Bookkeeping every stored resource carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// Incremented on every change; the etag is derived from it.
    pub revision: i64,
    /// When the resource was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Meta {
    /// Metadata of a resource created at `now`.
    pub fn new(now: DateTime<Utc>) -> Meta {
        Meta {
            revision: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// The opaque etag clients send back for optimistic concurrency.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.revision)
    }

    /// The metadata after a change at `now`.
    pub fn bumped(&self, now: DateTime<Utc>) -> Meta {
        Meta {
            revision: self.revision + 1,
            created_at: self.created_at,
            updated_at: now,
        }
    }
}

/// A stored resource as a change sees it: something with an etag to check the caller's
/// against.
pub trait Etagged {
    /// The opaque etag clients send back for optimistic concurrency.
    fn etag(&self) -> String;
}
