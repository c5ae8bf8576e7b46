//! The domain's one error type: every way a domain value can be refused or a computation
//! can fail. Each variant names the problem in words a caller can act on; the gRPC layer
//! maps them to status codes and field names in one place.
//!
//! It also owns the two small types an error points with, [`CalendarPart`] (an entry of a
//! calendar's definition) and [`CaseEvent`] (an event of a case timeline), so that this
//! module imports no sibling but the leaf [`super::text`] (for [`Quoted`], a client's value
//! as a message repeats it).

use thiserror::Error;

use super::text::Quoted;

/// A domain rule was broken or a computation cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// The time zone is not an IANA zone name known to the tz database.
    #[error("unknown time zone {0}: use an IANA name such as Europe/Berlin")]
    UnknownTimeZone(Quoted),
    /// A benefit key that is not in the catalog.
    #[error("unknown benefit {0}")]
    UnknownBenefit(Quoted),
    /// A resource id that does not follow the naming rules.
    #[error(
        "invalid id {0}: use 1-63 lowercase letters, digits and hyphens, starting with a letter or digit"
    )]
    InvalidId(Quoted),
    /// A wall-clock time that cannot be parsed or is out of range.
    #[error("invalid time of day {0}: use HH:MM or HH:MM:SS between 00:00 and 24:00")]
    InvalidTimeOfDay(Quoted),
    /// A calendar date that cannot be parsed.
    #[error("invalid date {0}: use YYYY-MM-DD")]
    InvalidDate(Quoted),
    /// An open interval that closes at or before it opens.
    #[error("interval {open}-{close} closes at or before it opens")]
    InvertedInterval {
        /// Opening wall time as written.
        open: String,
        /// Closing wall time as written.
        close: String,
    },
    /// Two open intervals of one day overlap.
    #[error("intervals overlap on {day}: {first} and {second}")]
    OverlappingIntervals {
        /// The weekday or date.
        day: String,
        /// The first interval.
        first: String,
        /// The interval that overlaps it.
        second: String,
        /// The entry of the calendar's definition whose intervals they are.
        part: CalendarPart,
    },
    /// A date listed twice, or both closed and special.
    #[error("date {date} is listed more than once among closed and special dates")]
    DuplicateDate {
        /// The date.
        date: String,
        /// Its second listing.
        part: CalendarPart,
    },
    /// A weekday listed twice.
    #[error("{weekday} is listed more than once")]
    DuplicateWeekday {
        /// The weekday.
        weekday: String,
        /// Its second listing.
        part: CalendarPart,
    },
    /// A calendar with no open time at all.
    #[error("the calendar has no open time at all: no deadline could ever fall due")]
    NoOpenTime,
    /// An instant outside the range in which calendars are computed.
    #[error("instant {0} is outside the calendar's validity (1970-01-01 to 2099-12-31)")]
    OutsideValidity(String),
    /// The calendar has no open time after an instant, so a deadline never falls due.
    #[error("the calendar has no open time after {0}")]
    NoOpenTimeAfter(String),
    /// Priority terms that cannot be used.
    #[error("invalid priority terms: {0}")]
    InvalidTerms(String),
    /// A case timeline that contradicts itself.
    #[error("invalid case timeline: {0}")]
    InvalidTimeline(String),
    /// An event of a case timeline out of order (before the opening, or an update before
    /// the first response); `event` says which one.
    #[error("invalid case timeline: {message}")]
    CaseEventOutOfOrder {
        /// The event at fault.
        event: CaseEvent,
        /// What is wrong, in words.
        message: String,
    },
    /// A contract whose dates or overrides cannot be used.
    #[error("invalid contract: {0}")]
    InvalidContract(String),
    /// Adding a contact would exceed the contract's designated-contact limit.
    #[error("the contract already holds {limit} designated contacts, its limit")]
    ContactLimitReached {
        /// The plan's limit plus the contract's extra contacts.
        limit: u32,
    },
    /// The contact is already designated on the contract.
    #[error("{0} is already a designated contact")]
    ContactAlreadyDesignated(String),
    /// The contact is not designated on the contract.
    #[error("{0} is not a designated contact")]
    ContactNotFound(String),
    /// The contract does not include the obligation's benefit.
    #[error("the contract's plan does not include {0}")]
    ObligationNotInPlan(String),
    /// A contract that has been terminated cannot change.
    #[error("the contract is terminated and can no longer change")]
    ContractTerminated,
}

/// An entry of a calendar's definition, by its place in what
/// [`Calendar::new`](super::calendar::Calendar::new) was given, so that an error can point
/// at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarPart {
    /// The `i`th entry of the weekly hours.
    Weekly(usize),
    /// The `i`th closed or special date.
    Exception(usize),
}

/// One recorded event of a case timeline, by its place in the timeline (indices count
/// from 0 in the order the events were given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseEvent {
    /// The opening.
    Opening,
    /// The `i`th priority change.
    PriorityChange(usize),
    /// The `i`th pause (its start).
    Pause(usize),
    /// The end of the `i`th pause.
    PauseEnd(usize),
    /// The first response.
    FirstResponse,
    /// The resolution.
    Resolution,
    /// The `i`th update.
    Update(usize),
}
