//! Writes at most once per request id (AIP-155). A mutating request may carry a
//! `request_id` (a UUID); its first answer, or its first error that decided something,
//! is recorded by the store (with the write, in the same transaction) for 24 hours, and
//! a retry with the same id gets that answer again, on any replica, without writing.
//! An id reused for a different request (another method, other fields) is refused.
//!
//! Handlers call [`Caller::with_request_id`] on the request, then [`Caller::write`] with
//! the change and a `respond` function that turns what was applied (or the error) into
//! the response: the store renders the answer before it commits, so the answer it keeps
//! is exactly the one sent.

use prost::Message;
use prost::bytes::Bytes;
use sha2::{Digest, Sha256};
use tonic::{Code, Status};

use super::error::{ApiError, invalid};
use super::guard::Caller;
use crate::reason::Reason;
use crate::store::request_ids::{Answer, Recorded, RequestKey};
use crate::store::{Applied, Change, Store, StoreError};

impl Caller {
    /// The caller of a write of `method` (`AccountService/CreateAccount`) whose request
    /// is `message` with `request_id` (empty: none). A request id that is not a UUID is
    /// INVALID_ARGUMENT naming `request_id`.
    pub fn with_request_id(
        mut self,
        method: &'static str,
        message: &impl Message,
        request_id: &str,
    ) -> Result<Caller, ApiError> {
        if request_id.is_empty() {
            return Ok(self);
        }
        let id = uuid::Uuid::parse_str(request_id).map_err(|_| {
            ApiError::field(
                "request_id",
                "must be a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000",
            )
        })?;
        self.request = Some(RequestKey {
            id,
            method: method.to_owned(),
            fingerprint: Sha256::digest(message.encode_to_vec()).to_vec(),
        });
        Ok(self)
    }

    /// Applies `change` and answers with `respond` (given the record written, of the
    /// kind `T` the change writes, or the error); with a request id, at most once: a
    /// retry gets the first answer.
    pub async fn write<T, R>(
        &self,
        store: &dyn Store,
        change: Change,
        respond: impl Fn(Result<T, ApiError>) -> Result<R, ApiError> + Send + Sync,
    ) -> Result<R, ApiError>
    where
        T: TryFrom<Applied, Error = StoreError>,
        R: Message + Default,
    {
        let respond = |done: Result<Applied, ApiError>| {
            respond(done.and_then(|applied| T::try_from(applied).map_err(ApiError::from)))
        };
        let Some(key) = &self.request else {
            return respond(self.apply(store, change).await);
        };
        // Looking the id up, writing and recording share one write timeout.
        let started = tokio::time::Instant::now();
        if let Some(first) = self
            .within_write(store, started, store.recall(&key.id))
            .await?
        {
            return replay(key, first);
        }
        let render = |applied: Applied| {
            respond(Ok(applied))
                .map(|r| r.encode_to_vec())
                .map_err(|e| e.to_string())
        };
        let written = self
            .within_write(
                store,
                started,
                crate::app::apply_once(store, change, &self.principal, key, &render),
            )
            .await;
        match written {
            Ok(bytes) => R::decode(bytes.as_slice())
                .map_err(|e| StoreError::Internal(format!("a recorded answer: {e}")).into()),
            Err(ApiError::Store(StoreError::Replayed)) => {
                match self
                    .within_write(store, started, store.recall(&key.id))
                    .await?
                {
                    Some(first) => replay(key, first),
                    None => Err(StoreError::Internal("a replayed answer is missing".into()).into()),
                }
            }
            Err(e) => {
                // The handler's own mapping first (a reference naming its field, say).
                let e = match respond(Err(e)) {
                    Ok(answer) => return Ok(answer),
                    Err(e) => e,
                };
                let status = Status::from(e);
                if decided(status.code()) {
                    let answer = Answer::Error {
                        code: status.code() as i32,
                        message: status.message().to_owned(),
                        details: status.details().to_vec(),
                    };
                    let recorded = self
                        .within_write(store, started, store.remember(key, answer))
                        .await;
                    if let Err(e) = recorded {
                        tracing::warn!(error = %e, "recording the error of a request id");
                    }
                }
                Err(ApiError::Answered(status))
            }
        }
    }
}

/// Whether an error decided something about the request (so a retry must get it again),
/// rather than saying nothing was decided (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL:
/// their retry runs again).
fn decided(code: Code) -> bool {
    matches!(
        code,
        Code::InvalidArgument
            | Code::NotFound
            | Code::AlreadyExists
            | Code::FailedPrecondition
            | Code::Aborted
            | Code::ResourceExhausted
            | Code::OutOfRange
    )
}

/// The first answer to `key`'s id, given again; refused when the id was first used for
/// a different request.
fn replay<R: Message + Default>(key: &RequestKey, first: Recorded) -> Result<R, ApiError> {
    if first.key.method != key.method || first.key.fingerprint != key.fingerprint {
        return Err(ApiError::Answered(invalid(
            "request_id",
            format!(
                "request_id {} was already used for a different request (to {})",
                key.id, first.key.method
            ),
            Reason::RequestIdReused,
        )));
    }
    match first.answer {
        Answer::Response(bytes) => R::decode(bytes.as_slice())
            .map_err(|e| StoreError::Internal(format!("a recorded answer: {e}")).into()),
        Answer::Error {
            code,
            message,
            details,
        } => Err(ApiError::Answered(Status::with_details(
            Code::from_i32(code),
            message,
            Bytes::from(details),
        ))),
    }
}
