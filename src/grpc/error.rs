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

fn status(code: Code, message: String, reason: &str, mut details: ErrorDetails) -> Status {
    details.set_error_info(reason, ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(code, message, details)
}

fn invalid(field: &str, message: String, reason: &str) -> Status {
    let details = ErrorDetails::with_bad_request_violation(field, message.clone());
    status(Code::InvalidArgument, message, reason, details)
}

fn precondition(kind: &str, subject: &str, message: String) -> Status {
    let details = ErrorDetails::with_precondition_failure_violation(kind, subject, message.clone());
    status(Code::FailedPrecondition, message, kind, details)
}

/// The status of a domain error; a field violation names `field` when the request field
/// behind it is known, else the error's usual field.
fn domain_status(e: DomainError, field: Option<&str>) -> Status {
    let message = e.to_string();
    // A field violation on the request field behind the error, else on its usual field.
    let violation = |usual: &str, message: String, reason: &str| {
        invalid(field.unwrap_or(usual), message, reason)
    };
    match e {
        DomainError::UnknownTimeZone(_) => violation("time_zone", message, "UNKNOWN_TIME_ZONE"),
        DomainError::UnknownBenefit(_) => violation("benefit", message, "UNKNOWN_BENEFIT"),
        DomainError::InvalidId(_) => violation("id", message, "INVALID_ID"),
        DomainError::InvalidTimeOfDay(_)
        | DomainError::InvalidDate(_)
        | DomainError::InvertedInterval { .. }
        | DomainError::OverlappingIntervals { .. }
        | DomainError::DuplicateDate { .. }
        | DomainError::DuplicateWeekday { .. } => {
            violation("calendar", message, "INVALID_CALENDAR")
        }
        DomainError::NoOpenTime => violation("calendar", message, "NO_OPEN_TIME"),
        DomainError::OutsideValidity(_) => violation("time", message, "OUTSIDE_CALENDAR_VALIDITY"),
        DomainError::InvalidTerms(_) => violation("priority_terms", message, "INVALID_TERMS"),
        DomainError::InvalidTimeline(_) => violation("case", message, "INVALID_TIMELINE"),
        // The event's own field, below the case the request carries (`case` by default).
        DomainError::CaseEventOutOfOrder { event, .. } => {
            let case = field.unwrap_or("case");
            let path = match event {
                CaseEvent::PriorityChange(i) => {
                    format!("{case}.priority_changes[{i}].change_time")
                }
                CaseEvent::Pause(i) => format!("{case}.pauses[{i}].start_time"),
                CaseEvent::FirstResponse => format!("{case}.first_response_time"),
                CaseEvent::Resolution => format!("{case}.resolve_time"),
                CaseEvent::Update(i) => format!("{case}.update_times[{i}]"),
            };
            invalid(&path, message, "INVALID_TIMELINE")
        }
        DomainError::InvalidContract(_) => violation("contract", message, "INVALID_CONTRACT"),
        DomainError::NoOpenTimeAfter(_) => precondition("NO_OPEN_TIME_AFTER", "calendar", message),
        DomainError::ContactLimitReached { .. } => {
            let details = ErrorDetails::with_quota_failure_violation("contract", message.clone());
            status(
                Code::ResourceExhausted,
                message,
                "CONTACT_LIMIT_REACHED",
                details,
            )
        }
        DomainError::ContactAlreadyDesignated(_) => status(
            Code::AlreadyExists,
            message,
            "ALREADY_EXISTS",
            ErrorDetails::new(),
        ),
        DomainError::ContactNotFound(_) => {
            status(Code::NotFound, message, "NOT_FOUND", ErrorDetails::new())
        }
        DomainError::ObligationNotInPlan(_) => {
            precondition("OBLIGATION_NOT_IN_PLAN", "contract", message)
        }
        DomainError::ContractTerminated => precondition("CONTRACT_TERMINATED", "contract", message),
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        match e {
            ApiError::InvalidField { field, description } => {
                invalid(&field, format!("{field}: {description}"), "INVALID_FIELD")
            }
            ApiError::Domain(e) => domain_status(e, None),
            ApiError::DomainIn { field, error } => domain_status(error, Some(&field)),
            ApiError::Unauthenticated(message) => status(
                Code::Unauthenticated,
                message.to_owned(),
                "UNAUTHENTICATED",
                ErrorDetails::new(),
            ),
            ApiError::PermissionDenied {
                ref principal,
                role,
                needed,
            } => {
                let mut details = ErrorDetails::new();
                details.set_error_info(
                    "PERMISSION_DENIED",
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
                "OVERLOADED",
                ErrorDetails::with_retry_info(Some(Duration::from_secs(1))),
            ),
            ApiError::DeadlineExceeded => status(
                Code::DeadlineExceeded,
                e.to_string(),
                "DEADLINE_EXCEEDED",
                ErrorDetails::new(),
            ),
            ApiError::Panicked => status(
                Code::Internal,
                e.to_string(),
                "INTERNAL",
                ErrorDetails::new(),
            ),
            ApiError::Store(e) => {
                crate::telemetry::metrics::store_error(&e);
                let message = e.to_string();
                match e {
                    StoreError::NotFound(name) => {
                        let details = ErrorDetails::with_resource_info(
                            name.collection(),
                            name.to_string(),
                            "",
                            message.clone(),
                        );
                        status(Code::NotFound, message, "NOT_FOUND", details)
                    }
                    StoreError::AlreadyExists(name) => {
                        let details = ErrorDetails::with_resource_info(
                            "",
                            name.to_string(),
                            "",
                            message.clone(),
                        );
                        status(Code::AlreadyExists, message, "ALREADY_EXISTS", details)
                    }
                    StoreError::EtagMismatch { .. } => {
                        status(Code::Aborted, message, "ETAG_MISMATCH", ErrorDetails::new())
                    }
                    StoreError::FailedPrecondition {
                        reason, subject, ..
                    } => precondition(reason.as_str(), &subject.to_string(), message),
                    StoreError::InvalidOverrides(_) => {
                        invalid("contract.overrides", message, "INVALID_FIELD")
                    }
                    StoreError::QuotaExceeded { subject, .. } => {
                        let details = ErrorDetails::with_quota_failure_violation(
                            subject.to_string(),
                            message.clone(),
                        );
                        status(
                            Code::ResourceExhausted,
                            message,
                            "CONTACT_LIMIT_REACHED",
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
                            "STORE_UNAVAILABLE",
                            details,
                        )
                    }
                    StoreError::WriteTimedOut { .. } => {
                        tracing::warn!(error = %message, "store write timed out");
                        let details = ErrorDetails::with_retry_info(Some(Duration::from_secs(1)));
                        status(Code::Unavailable, message, "STORE_BUSY", details)
                    }
                    StoreError::Internal(cause) => {
                        tracing::error!(%cause, "internal store error");
                        status(
                            Code::Internal,
                            "internal error".into(),
                            "INTERNAL",
                            ErrorDetails::new(),
                        )
                    }
                }
            }
        }
    }
}
