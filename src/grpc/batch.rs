//! Batches (BatchCheckEntitlements, BatchComputeDeadlines): their size limit, and the
//! path of a field error inside one (`requests[3].priority`).

use super::error::ApiError;

/// Most items one batch call may carry.
pub const MAX_BATCH: usize = 1000;

/// Prefixes the field of a field error with the batch item's path.
pub fn in_batch(i: usize, e: ApiError) -> ApiError {
    match e {
        ApiError::InvalidField { field, description } => ApiError::InvalidField {
            field: format!("requests[{i}].{field}"),
            description,
        },
        ApiError::DomainIn { field, error } => ApiError::DomainIn {
            field: format!("requests[{i}].{field}"),
            error,
        },
        other => other,
    }
}

/// Refuses a batch over the limit.
pub fn check_batch(len: usize) -> Result<(), ApiError> {
    if len > MAX_BATCH {
        Err(ApiError::field(
            "requests",
            format!("holds {len} items; at most {MAX_BATCH} are allowed"),
        ))
    } else {
        Ok(())
    }
}
