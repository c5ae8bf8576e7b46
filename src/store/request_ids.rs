//! Request ids (AIP-155): the first answer to a mutating request that carried a
//! `request_id`, kept [`RETENTION`] so that its retry, on any replica, gets that answer
//! instead of writing again. A successful write records its answer in the same
//! transaction as the write ([`super::Store::apply_once`]); an error that decided
//! something (ALREADY_EXISTS, FAILED_PRECONDITION, ...) is recorded on its own.
//!
//! The answer is kept as the gRPC layer rendered it (response bytes, or code, message
//! and details), so the store never needs to know the wire types.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::records::Applied;

/// How long a request id is remembered.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// A request id with what it identifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    /// The caller's id.
    pub id: Uuid,
    /// The full gRPC method, e.g. `/entitlements.v1.AccountService/CreateAccount`.
    pub method: String,
    /// SHA-256 of the request message, to tell a retry from another request reusing
    /// the id.
    pub fingerprint: Vec<u8>,
}

/// The first answer given to a request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The response message, encoded.
    Response(Vec<u8>),
    /// The error: gRPC code, message and encoded `google.rpc.Status` details.
    Error {
        /// The gRPC status code.
        code: i32,
        /// The status message.
        message: String,
        /// The encoded details.
        details: Vec<u8>,
    },
}

/// What is remembered under a request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The method and fingerprint of the request that first used the id.
    pub key: RequestKey,
    /// Its answer.
    pub answer: Answer,
}

/// Renders the answer to what a write applied, before the write commits, so that it can
/// be stored in the write's transaction.
pub type Render<'a> = &'a (dyn Fn(Applied) -> Result<Vec<u8>, String> + Send + Sync);

/// Whether an id recorded at `at` is still remembered.
fn live(at: &Instant) -> bool {
    at.elapsed() < RETENTION
}

/// The memory store's request ids: in this process, for [`RETENTION`].
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Answers by id, with when they were recorded.
    entries: Mutex<HashMap<Uuid, (Instant, Recorded)>>,
}

impl Ledger {
    /// The live entry for `id`.
    pub(crate) fn recall(&self, id: &Uuid) -> Option<Recorded> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(id)
            .filter(|(at, _)| live(at))
            .map(|(_, r)| r.clone())
    }

    /// Runs `write` and records its answer unless `key` is already recorded (then
    /// `None`, and nothing runs): one lock around both, so two concurrent attempts with
    /// one id never both write.
    pub(crate) fn once<E>(
        &self,
        key: &RequestKey,
        write: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Option<Result<Vec<u8>, E>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.get(&key.id).is_some_and(|(at, _)| live(at)) {
            return None;
        }
        let done = write();
        if let Ok(bytes) = &done {
            Self::insert(&mut entries, key, Answer::Response(bytes.clone()));
        }
        Some(done)
    }

    /// Records an error as the first answer, unless one is already recorded.
    pub(crate) fn remember(&self, key: &RequestKey, answer: Answer) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.get(&key.id).is_none_or(|(at, _)| !live(at)) {
            Self::insert(&mut entries, key, answer);
        }
    }

    fn insert(entries: &mut HashMap<Uuid, (Instant, Recorded)>, key: &RequestKey, answer: Answer) {
        // Forget expired ids now and then, so the map does not grow without bound.
        if entries.len() % 1024 == 1023 {
            entries.retain(|_, (at, _)| live(at));
        }
        entries.insert(
            key.id,
            (
                Instant::now(),
                Recorded {
                    key: key.clone(),
                    answer,
                },
            ),
        );
    }
}
