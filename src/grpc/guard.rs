//! What keeps one call from hurting the others, as a tower layer around every RPC, and the
//! caller's deadline as the handlers pass it on to the store.
//!
//! - **Deadline.** The caller's `grpc-timeout` becomes a [`Deadline`] in the request's
//!   extensions. Handlers run store work (writes, consistency waits, revision reads, all
//!   of which may go to Postgres) under it through [`Caller`] and [`within`]: past it the
//!   work is dropped (a Postgres transaction rolls back) and the call fails
//!   DEADLINE_EXCEEDED.
//! - **Load shedding.** At most `max_in_flight` calls run at once in the whole server;
//!   past that a call fails at once with RESOURCE_EXHAUSTED (reason `OVERLOADED`, with
//!   `RetryInfo`) instead of queueing. Health and reflection are never shed, so probes
//!   keep answering under load.
//! - **Tonic's own errors.** What tonic answers by itself (a request that does not
//!   decode, a message over the limit) is explained by [`super::wire`].
//! - **Panics.** A panic in a handler (or in a layer inside this one) is caught: the call
//!   fails INTERNAL, the panic is logged, and the server goes on.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tonic::body::Body;
use tower::{Layer, Service};

use super::auth::{ANONYMOUS, Principal, is_open};
use super::error::ApiError;
use crate::store::{Applied, Change, Store, StoreError};

/// When the caller stops waiting, from its `grpc-timeout`; in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub Instant);

/// The `grpc-timeout` of a request (gRPC over HTTP/2: at most 8 digits and a unit).
pub fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Runs store work until `deadline`; past it the work is dropped and the call fails
/// DEADLINE_EXCEEDED.
pub async fn within<T>(
    deadline: Option<Deadline>,
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, ApiError> {
    match deadline {
        None => Ok(work.await?),
        Some(Deadline(at)) => match tokio::time::timeout_at(at, work).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(ApiError::DeadlineExceeded),
        },
    }
}

/// What a handler knows about its caller: who it is and until when it waits. Taken from
/// the request before `into_inner`.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal recorded on revisions.
    pub principal: String,
    /// The caller's deadline, if it sent one.
    pub deadline: Option<Deadline>,
    /// The request id of a write that carried one (see [`super::once`]).
    pub request: Option<crate::store::request_ids::RequestKey>,
}

impl Caller {
    /// The caller of `request`.
    pub fn of<T>(request: &tonic::Request<T>) -> Caller {
        let ext = request.extensions();
        Caller {
            principal: ext
                .get::<Principal>()
                .map_or_else(|| ANONYMOUS.to_owned(), |p| p.name.clone()),
            deadline: ext.get::<Deadline>().copied(),
            request: None,
        }
    }

    /// Applies `change` to `store` on the caller's behalf, within its deadline.
    pub async fn apply(&self, store: &dyn Store, change: Change) -> Result<Applied, ApiError> {
        self.within_write(
            store,
            Instant::now(),
            crate::app::apply(store, change, &self.principal),
        )
        .await
    }

    /// Runs a write's store work within the caller's deadline and within the store's
    /// write timeout counted from `started`: past the latter the work is dropped (an
    /// uncommitted transaction rolls back) and the call fails UNAVAILABLE, saying the
    /// write may have been applied (a retry with the same `request_id` is safe).
    pub async fn within_write<T>(
        &self,
        store: &dyn Store,
        started: Instant,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, ApiError> {
        let Some(limit) = store.write_timeout() else {
            return within(self.deadline, work).await;
        };
        match tokio::time::timeout_at(started + limit, within(self.deadline, work)).await {
            Ok(done) => done,
            Err(_) => Err(StoreError::Unavailable(
                "the write did not finish within the store's write timeout; it may have been \
                 applied (a retry with the same request_id is safe)"
                    .into(),
            )
            .into()),
        }
    }
}

/// Deadlines, load shedding and panic catching for every RPC of a server.
#[derive(Debug, Clone)]
pub struct GuardLayer {
    /// Permits for calls in flight, shared by every connection.
    in_flight: Arc<Semaphore>,
}

impl GuardLayer {
    /// The layer admitting at most `max_in_flight` calls at once (at least one).
    pub fn new(max_in_flight: usize) -> Self {
        GuardLayer {
            in_flight: Arc::new(Semaphore::new(max_in_flight.max(1))),
        }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;
    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            in_flight: self.in_flight.clone(),
        }
    }
}

/// The service [`GuardLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct Guard<S> {
    /// The routes.
    inner: S,
    /// Permits for calls in flight, shared by every connection.
    in_flight: Arc<Semaphore>,
}

/// The INTERNAL answer to a panic, logged (inside the RPC's span, which names the call).
fn panicked(payload: Box<dyn Any + Send>) -> http::Response<Body> {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "handler panicked; the call fails INTERNAL");
    let status: tonic::Status = ApiError::Panicked.into();
    status.into_http()
}

pin_project_lite::pin_project! {
    /// The response future of [`Guard`].
    #[project = GuardFutureProj]
    #[derive(Debug)]
    pub enum GuardFuture<F> {
        /// Answered without running the call (shed, or its `call` panicked).
        Answered { response: Option<http::Response<Body>> },
        /// Running, holding its permit until it finishes.
        Running {
            #[pin]
            inner: F,
            permit: Option<OwnedSemaphorePermit>,
        },
    }
}

impl<F, E> Future for GuardFuture<F>
where
    F: Future<Output = Result<http::Response<Body>, E>>,
{
    type Output = Result<http::Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GuardFutureProj::Answered { response } => Poll::Ready(Ok(response
                .take()
                .expect("GuardFuture polled after completion"))),
            GuardFutureProj::Running { inner, permit } => {
                let polled = catch_unwind(AssertUnwindSafe(|| inner.poll(cx)));
                let result = match polled {
                    Ok(Poll::Pending) => return Poll::Pending,
                    // tonic's own bare errors (a request that does not decode, ...)
                    // get the details every error of this service carries.
                    Ok(Poll::Ready(result)) => result.map(super::wire::explain),
                    Err(payload) => Ok(panicked(payload)),
                };
                permit.take();
                Poll::Ready(result)
            }
        }
    }
}

impl<S> Service<http::Request<Body>> for Guard<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        // Measured from here, which tonic reaches before it starts its own timer for the
        // same header: this deadline expires first, so the caller gets DEADLINE_EXCEEDED
        // rather than tonic's CANCELLED.
        if let Some(timeout) = grpc_timeout(req.headers()) {
            let at = Instant::now()
                .checked_add(timeout)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
            req.extensions_mut().insert(Deadline(at));
        }
        let permit = if is_open(req.uri().path()) {
            None
        } else {
            match self.in_flight.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    let status: tonic::Status = ApiError::Overloaded.into();
                    return GuardFuture::Answered {
                        response: Some(status.into_http()),
                    };
                }
            }
        };
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(inner) => GuardFuture::Running { inner, permit },
            Err(payload) => GuardFuture::Answered {
                response: Some(panicked(payload)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_units() {
        let mut h = http::HeaderMap::new();
        for (v, want) in [
            ("1H", Some(Duration::from_secs(3600))),
            ("2M", Some(Duration::from_secs(120))),
            ("3S", Some(Duration::from_secs(3))),
            ("250m", Some(Duration::from_millis(250))),
            ("99999999u", Some(Duration::from_micros(99_999_999))),
            ("5n", Some(Duration::from_nanos(5))),
            ("123456789S", None),
            ("S", None),
            ("10x", None),
            ("-1S", None),
        ] {
            h.insert("grpc-timeout", v.parse().unwrap());
            assert_eq!(grpc_timeout(&h), want, "{v}");
        }
    }
}
