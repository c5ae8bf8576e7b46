//! Read-your-writes across replicas, as a tower layer around every RPC.
//!
//! Every response carries the store's consistency token in the `x-consistency-token`
//! header (at least as new as every write this server acknowledged) and the age of the
//! snapshot it answered from in `x-snapshot-age-ms`. A request that sends a token back in
//! `x-consistency-token` is answered only once this server's snapshot is at least that
//! fresh: the store waits briefly for the change notification, then reads through to its
//! source of truth. So a caller that writes through replica A and reads through replica B
//! sees its write.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::HeaderValue;
use tonic::body::Body;
use tower::{Layer, Service};

use super::error::ApiError;
use super::guard::{Deadline, within};
use crate::store::Store;

/// The header carrying a consistency token, in both directions.
pub const TOKEN_HEADER: &str = "x-consistency-token";
/// The response header carrying the snapshot's age in milliseconds.
pub const AGE_HEADER: &str = "x-snapshot-age-ms";

/// Adds consistency tokens to every RPC of a server.
#[derive(Debug, Clone)]
pub struct ConsistencyLayer {
    /// The store whose tokens these are.
    store: Arc<dyn Store>,
}

impl ConsistencyLayer {
    /// The layer for `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        ConsistencyLayer { store }
    }
}

impl<S> Layer<S> for ConsistencyLayer {
    type Service = Consistency<S>;
    fn layer(&self, inner: S) -> Consistency<S> {
        Consistency {
            inner,
            store: self.store.clone(),
        }
    }
}

/// The service [`ConsistencyLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct Consistency<S> {
    /// The routes.
    inner: S,
    /// The store whose tokens these are.
    store: Arc<dyn Store>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> Service<http::Request<B>> for Consistency<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // The clone is ready per tower's contract only if we swap it in for the one polled.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let store = self.store.clone();
        let deadline = req.extensions().get::<Deadline>().copied();
        let token = req.headers().get(TOKEN_HEADER).map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or(())
        });
        Box::pin(async move {
            match token {
                Some(Err(())) => {
                    let status: tonic::Status =
                        ApiError::field(TOKEN_HEADER, "must be a token returned by this service")
                            .into();
                    return Ok(status.into_http());
                }
                Some(Ok(t)) => {
                    // Within the caller's deadline: the wait may read through to Postgres.
                    if let Err(e) = within(deadline, store.wait_for(t)).await {
                        let status: tonic::Status = e.into();
                        return Ok(status.into_http());
                    }
                }
                None => {}
            }
            let mut resp = inner.call(req).await?;
            let headers = resp.headers_mut();
            headers.insert(TOKEN_HEADER, HeaderValue::from(store.consistency_token()));
            let age = u64::try_from(store.snapshot_age().as_millis()).unwrap_or(u64::MAX);
            headers.insert(AGE_HEADER, HeaderValue::from(age));
            Ok(resp)
        })
    }
}
