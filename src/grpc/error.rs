//! The API layer's error type and its one mapping to `tonic::Status`.
//!
//! Every status carries google.rpc rich details through tonic-types: an `ErrorInfo` with a
//! stable reason and the domain `entitlements`, plus `BadRequest` field violations for bad
//! input, `PreconditionFailure` for state conflicts, `QuotaFailure` for the contact limit,
//! `ResourceInfo` for missing resources and `RetryInfo` when the store is unavailable.
//! Internal causes are logged with their chain and never sent to clients.

use std::collections::HashMap;
use std::time::Duration;

use thiserror::Error;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::{CaseEvent, DomainError};
use crate::reason::Reason;
use crate::store::StoreError;

/// The `ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "entitlements";

/// Why an RPC failed.
#[derive(Debug, Error)]
pub enum ApiError {
    /// A request field is missing or malformed.
    #[error("{field}: {description}")]
    InvalidField {
        /// The field's path in the request, e.g. `calendar.time_zone`.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A computation failed on valid input (e.g. a calendar with no open time left).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A computation failed because of one request field's value (an instant outside the
    /// calendar's validity, say): the domain error's status and reason, naming that field.
    #[error("{field}: {error}")]
    DomainIn {
        /// The field's path in the request, e.g. `start_time`.
        field: String,
        /// What failed.
        error: DomainError,
    },
    /// The call carries no valid credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The caller's role does not allow the method.
    #[error("{principal} has role {role}; this method needs {needed}")]
    PermissionDenied {
        /// Who called.
        principal: String,
        /// The role the caller has.
        role: crate::grpc::role::Role,
        /// The role the method needs.
        needed: crate::grpc::role::Role,
    },
    /// The server has as many calls in flight as it admits.
    #[error("the server is at capacity; retry later")]
    Overloaded,
    /// The caller's deadline passed before the work was done.
    #[error("the deadline passed before the call completed")]
    DeadlineExceeded,
    /// A handler panicked.
    #[error("internal error")]
    Panicked,
    /// A status already made: the recorded first answer to a request id, given again.
    #[error("{}", .0.message())]
    Answered(Status),
}

impl ApiError {
    /// A field violation.
    pub fn field(field: impl Into<String>, description: impl Into<String>) -> ApiError {
        ApiError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }

    /// A required field left empty.
    pub fn required(field: &str) -> ApiError {
        ApiError::field(field, "is required")
    }
}

impl From<crate::names::NameError> for ApiError {
    fn from(e: crate::names::NameError) -> ApiError {
        ApiError::InvalidField {
            field: e.field,
            description: e.description,
        }
    }
}

/// Attaches a field name to a domain error raised while converting or computing with
/// that field.
pub trait FieldContext<T> {
    /// Maps the error to [`ApiError::InvalidField`] for `field`.
    fn field(self, field: &str) -> Result<T, ApiError>;
    /// Maps the error to [`ApiError::DomainIn`]: its own status and reason, with the
    /// violation naming `field`.
    fn in_field(self, field: &str) -> Result<T, ApiError>;
}

impl<T> FieldContext<T> for Result<T, DomainError> {
    fn field(self, field: &str) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::field(field, e.to_string()))
    }

    fn in_field(self, field: &str) -> Result<T, ApiError> {
        self.map_err(|error| ApiError::DomainIn {
            field: field.to_owned(),
            error,
        })
    }
}

/// The longest message an error carries, in bytes. Values a client sent are already
/// quoted short ([`crate::domain::text::Quoted`]); this bounds whatever else could grow,
/// so that a message and its details stay well under 2 KiB and every client, whatever its
/// metadata limit, reads the error.
pub(crate) const MAX_MESSAGE_BYTES: usize = 512;

/// The longest field path or subject an error names, in bytes.
pub(crate) const MAX_SUBJECT_BYTES: usize = 128;

/// `text` cut to at most `max` bytes on a character boundary, with an ellipsis when cut.
pub(crate) fn bounded(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max - '…'.len_utf8();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

pub(crate) fn status(
    code: Code,
    message: String,
    reason: Reason,
    mut details: ErrorDetails,
) -> Status {
    details.set_error_info(reason.as_str(), ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(code, bounded(message, MAX_MESSAGE_BYTES), details)
}

pub(crate) fn invalid(field: &str, message: String, reason: Reason) -> Status {
    let message = bounded(message, MAX_MESSAGE_BYTES);
    let field = bounded(field.to_owned(), MAX_SUBJECT_BYTES);
    let details = ErrorDetails::with_bad_request_violation(field, message.clone());
    status(Code::InvalidArgument, message, reason, details)
}

fn precondition(kind: Reason, subject: &str, message: String) -> Status {
    let message = bounded(message, MAX_MESSAGE_BYTES);
    let subject = bounded(subject.to_owned(), MAX_SUBJECT_BYTES);
    let details =
        ErrorDetails::with_precondition_failure_violation(kind.as_str(), subject, message.clone());
    status(Code::FailedPrecondition, message, kind, details)
}

/// The status of a domain error; a field violation names `field` when the request field
/// behind it is known, else the error's usual field.
fn domain_status(e: DomainError, field: Option<&str>) -> Status {
    let message = bounded(e.to_string(), MAX_MESSAGE_BYTES);
    // A field violation on the request field behind the error, else on its usual field.
    let violation = |usual: &str, message: String, reason: Reason| {
        invalid(field.unwrap_or(usual), message, reason)
    };
    match e {
        DomainError::UnknownTimeZone(_) => violation("time_zone", message, Reason::UnknownTimeZone),
        DomainError::UnknownBenefit(_) => violation("benefit", message, Reason::UnknownBenefit),
        DomainError::InvalidId(_) => violation("id", message, Reason::InvalidId),
        DomainError::InvalidTimeOfDay(_)
        | DomainError::InvalidDate(_)
        | DomainError::InvertedInterval { .. }
        | DomainError::OverlappingIntervals { .. }
        | DomainError::DuplicateDate { .. }
        | DomainError::DuplicateWeekday { .. } => {
            violation("calendar", message, Reason::InvalidCalendar)
        }
        DomainError::NoOpenTime => violation("calendar", message, Reason::NoOpenTime),
        DomainError::OutsideValidity(_) => {
            violation("time", message, Reason::OutsideCalendarValidity)
        }
        DomainError::InvalidTerms(_) => violation("priority_terms", message, Reason::InvalidTerms),
        DomainError::InvalidTimeline(_) => violation("case", message, Reason::InvalidTimeline),
        // The event's own field, below the case the request carries (`case` by default).
        DomainError::CaseEventOutOfOrder { event, .. } => {
            let case = field.unwrap_or("case");
            let path = match event {
                CaseEvent::PriorityChange(i) => {
                    format!("{case}.priority_changes[{i}].change_time")
                }
                CaseEvent::Opening => format!("{case}.open_time"),
                CaseEvent::Pause(i) => format!("{case}.pauses[{i}].start_time"),
                CaseEvent::PauseEnd(i) => format!("{case}.pauses[{i}].end_time"),
                CaseEvent::FirstResponse => format!("{case}.first_response_time"),
                CaseEvent::Resolution => format!("{case}.resolve_time"),
                CaseEvent::Update(i) => format!("{case}.update_times[{i}]"),
            };
            invalid(&path, message, Reason::InvalidTimeline)
        }
        DomainError::InvalidContract(_) => violation("contract", message, Reason::InvalidContract),
        DomainError::NoOpenTimeAfter(_) => {
            precondition(Reason::NoOpenTimeAfter, "calendar", message)
        }
        DomainError::ContactLimitReached { .. } => {
            let details = ErrorDetails::with_quota_failure_violation("contract", message.clone());
            status(
                Code::ResourceExhausted,
                message,
                Reason::ContactLimitReached,
                details,
            )
        }
        DomainError::ContactAlreadyDesignated(_) => status(
            Code::AlreadyExists,
            message,
            Reason::AlreadyExists,
            ErrorDetails::new(),
        ),
        DomainError::ContactNotFound(_) => status(
            Code::NotFound,
            message,
            Reason::NotFound,
            ErrorDetails::new(),
        ),
        DomainError::ObligationNotInPlan(_) => {
            precondition(Reason::ObligationNotInPlan, "contract", message)
        }
        DomainError::ContractTerminated => {
            precondition(Reason::ContractTerminated, "contract", message)
        }
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        match e {
            ApiError::InvalidField { field, description } => invalid(
                &field,
                format!("{field}: {description}"),
                Reason::InvalidField,
            ),
            ApiError::Domain(e) => domain_status(e, None),
            ApiError::DomainIn { field, error } => domain_status(error, Some(&field)),
            ApiError::Unauthenticated(message) => status(
                Code::Unauthenticated,
                message.to_owned(),
                Reason::Unauthenticated,
                ErrorDetails::new(),
            ),
            ApiError::PermissionDenied {
                ref principal,
                role,
                needed,
            } => {
                let mut details = ErrorDetails::new();
                details.set_error_info(
                    Reason::PermissionDenied.as_str(),
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("principal".to_owned(), principal.clone()),
                        ("role".to_owned(), role.name().to_owned()),
                        ("required_role".to_owned(), needed.name().to_owned()),
                    ]),
                );
                Status::with_error_details(Code::PermissionDenied, e.to_string(), details)
            }
            ApiError::Overloaded => status(
                Code::ResourceExhausted,
                e.to_string(),
                Reason::Overloaded,
                ErrorDetails::with_retry_info(Some(Duration::from_secs(1))),
            ),
            ApiError::DeadlineExceeded => status(
                Code::DeadlineExceeded,
                e.to_string(),
                Reason::DeadlineExceeded,
                ErrorDetails::new(),
            ),
            ApiError::Answered(status) => status,
            ApiError::Panicked => status(
                Code::Internal,
                e.to_string(),
                Reason::Internal,
                ErrorDetails::new(),
            ),
            ApiError::Store(e) => {
                crate::telemetry::metrics::store_error(&e);
                let message = bounded(e.to_string(), MAX_MESSAGE_BYTES);
                match e {
                    StoreError::NotFound(name) => {
                        let details = ErrorDetails::with_resource_info(
                            name.collection(),
                            name.to_string(),
                            "",
                            message.clone(),
                        );
                        status(Code::NotFound, message, Reason::NotFound, details)
                    }
                    StoreError::AlreadyExists(name) => {
                        let details = ErrorDetails::with_resource_info(
                            "",
                            name.to_string(),
                            "",
                            message.clone(),
                        );
                        status(Code::AlreadyExists, message, Reason::AlreadyExists, details)
                    }
                    StoreError::EtagMismatch { .. } => status(
                        Code::Aborted,
                        message,
                        Reason::EtagMismatch,
                        ErrorDetails::new(),
                    ),
                    StoreError::FailedPrecondition {
                        reason, subject, ..
                    } => precondition(reason, &subject.to_string(), message),
                    StoreError::InvalidOverrides(_) => {
                        invalid("contract.overrides", message, Reason::InvalidField)
                    }
                    StoreError::QuotaExceeded { subject, .. } => {
                        let details = ErrorDetails::with_quota_failure_violation(
                            subject.to_string(),
                            message.clone(),
                        );
                        status(
                            Code::ResourceExhausted,
                            message,
                            Reason::ContactLimitReached,
                            details,
                        )
                    }
                    StoreError::Domain(d) => domain_status(d, None),
                    StoreError::Unavailable(cause) => {
                        tracing::warn!(%cause, "store unavailable");
                        let details = ErrorDetails::with_retry_info(Some(Duration::from_secs(1)));
                        status(
                            Code::Unavailable,
                            "the contract store is unavailable; retry later".into(),
                            Reason::StoreUnavailable,
                            details,
                        )
                    }
                    StoreError::WriteTimedOut { .. } => {
                        tracing::warn!(error = %message, "store write timed out");
                        let details = ErrorDetails::with_retry_info(Some(Duration::from_secs(1)));
                        status(Code::Unavailable, message, Reason::StoreBusy, details)
                    }
                    // The caller recalls the first answer before this is ever converted;
                    // should it get here, the client's retry gets that answer.
                    StoreError::Replayed => status(
                        Code::Aborted,
                        message,
                        Reason::Replayed,
                        ErrorDetails::with_retry_info(Some(Duration::from_millis(100))),
                    ),
                    StoreError::Internal(cause) => {
                        tracing::error!(%cause, "internal store error");
                        status(
                            Code::Internal,
                            "internal error".into(),
                            Reason::Internal,
                            ErrorDetails::new(),
                        )
                    }
                }
            }
        }
    }
}
