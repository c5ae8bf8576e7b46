//! The stable reason codes of this service's errors: every `ErrorInfo.reason` it sends is
//! a [`Reason`] variant, spelled once in [`Reason::as_str`]. A leaf module so that the use
//! cases (`app`), the stores (which map constraint names to these) and the gRPC error
//! mapping all depend on it one way; `app` re-exports it.

use std::fmt;

/// Why a call failed, as clients match on it (`ErrorInfo.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A request field is missing or malformed.
    InvalidField,
    /// A time zone name is not in the IANA database.
    UnknownTimeZone,
    /// A benefit key is not one this service knows.
    UnknownBenefit,
    /// A resource id is malformed.
    InvalidId,
    /// A calendar definition is malformed.
    InvalidCalendar,
    /// A calendar has no open time at all.
    NoOpenTime,
    /// A calendar has no open time after the instant asked about.
    NoOpenTimeAfter,
    /// An instant or result lies outside the calendar's validity window.
    OutsideCalendarValidity,
    /// Per-priority terms are malformed.
    InvalidTerms,
    /// A case's events are out of order or otherwise impossible.
    InvalidTimeline,
    /// A contract breaks one of its own rules.
    InvalidContract,
    /// No resource with that name.
    NotFound,
    /// A resource with that name already exists.
    AlreadyExists,
    /// The caller's etag is not the resource's current one.
    EtagMismatch,
    /// Two contracts of one account would be in force at the same time.
    ContractOverlap,
    /// A calendar cannot be deleted while an account uses it.
    CalendarInUse,
    /// An account cannot be deleted while it has a contract that is not terminated.
    AccountHasContracts,
    /// A terminated contract can no longer change.
    ContractTerminated,
    /// The contract's designated contact limit is reached.
    ContactLimitReached,
    /// Built-in plans cannot be changed.
    BuiltInPlanReadOnly,
    /// The contract's plan carries no such obligation.
    ObligationNotInPlan,
    /// The store cannot be reached.
    StoreUnavailable,
    /// A write ran past the store's write timeout.
    StoreBusy,
    /// No valid credentials.
    Unauthenticated,
    /// The caller's role does not allow the method.
    PermissionDenied,
    /// The server is at capacity.
    Overloaded,
    /// The caller's deadline passed.
    DeadlineExceeded,
    /// Something failed inside the server.
    Internal,
    /// The request's bytes are not a valid message of the method's request type (not
    /// protobuf, a string that is not UTF-8, a frame cut short, no message at all).
    MalformedRequest,
    /// The request message is larger than the server's limit.
    MessageTooLarge,
    /// The server has no such method, or does not support the request's encoding.
    Unimplemented,
    /// The request broke the gRPC protocol in another way.
    ProtocolError,
    /// A concurrent attempt with the same request id answered first.
    Replayed,
    /// A request id was already used for a different request.
    RequestIdReused,
}

impl Reason {
    /// The reason code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidField => "INVALID_FIELD",
            Reason::UnknownTimeZone => "UNKNOWN_TIME_ZONE",
            Reason::UnknownBenefit => "UNKNOWN_BENEFIT",
            Reason::InvalidId => "INVALID_ID",
            Reason::InvalidCalendar => "INVALID_CALENDAR",
            Reason::NoOpenTime => "NO_OPEN_TIME",
            Reason::NoOpenTimeAfter => "NO_OPEN_TIME_AFTER",
            Reason::OutsideCalendarValidity => "OUTSIDE_CALENDAR_VALIDITY",
            Reason::InvalidTerms => "INVALID_TERMS",
            Reason::InvalidTimeline => "INVALID_TIMELINE",
            Reason::InvalidContract => "INVALID_CONTRACT",
            Reason::NotFound => "NOT_FOUND",
            Reason::AlreadyExists => "ALREADY_EXISTS",
            Reason::EtagMismatch => "ETAG_MISMATCH",
            Reason::ContractOverlap => "CONTRACT_OVERLAP",
            Reason::CalendarInUse => "CALENDAR_IN_USE",
            Reason::AccountHasContracts => "ACCOUNT_HAS_CONTRACTS",
            Reason::ContractTerminated => "CONTRACT_TERMINATED",
            Reason::ContactLimitReached => "CONTACT_LIMIT_REACHED",
            Reason::BuiltInPlanReadOnly => "BUILT_IN_PLAN_READ_ONLY",
            Reason::ObligationNotInPlan => "OBLIGATION_NOT_IN_PLAN",
            Reason::StoreUnavailable => "STORE_UNAVAILABLE",
            Reason::StoreBusy => "STORE_BUSY",
            Reason::Unauthenticated => "UNAUTHENTICATED",
            Reason::PermissionDenied => "PERMISSION_DENIED",
            Reason::Overloaded => "OVERLOADED",
            Reason::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Reason::Internal => "INTERNAL",
            Reason::MalformedRequest => "MALFORMED_REQUEST",
            Reason::MessageTooLarge => "MESSAGE_TOO_LARGE",
            Reason::Unimplemented => "UNIMPLEMENTED",
            Reason::ProtocolError => "PROTOCOL_ERROR",
            Reason::Replayed => "REPLAYED",
            Reason::RequestIdReused => "REQUEST_ID_REUSED",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
