//! The caller roles: what each may do. Its own module so that both the auth layer (which
//! assigns roles) and the error mapping (which reports a missing one) depend on it one way.

use std::fmt;

/// What a caller may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Checks, deadlines, evaluations, business time, obligations, tracked cases, gets
    /// and lists.
    Reader,
    /// Reader, plus accounts, calendars, contracts, contacts, obligation completions and
    /// tracked cases.
    Writer,
    /// Writer, plus plans.
    Admin,
}

impl Role {
    /// The role's name in the credentials files.
    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Admin => "admin",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Role> {
        match s {
            "reader" => Some(Role::Reader),
            "writer" => Some(Role::Writer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
