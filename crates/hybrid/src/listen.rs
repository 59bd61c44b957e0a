//! The accept loop every role serves on, plain or over TLS, with the limits that keep a slow
//! or hostile client from holding the server: a bound on open connections per listener, a
//! deadline for each request's headers, and a minimum rate for each request's body.

use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How much a client may hold of a listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections open at once; past it, new ones wait in the kernel's queue until one ends.
    pub max_connections: usize,
    /// From the first byte a request's headers are awaited (and for an idle keep-alive
    /// connection, from the end of the last answer) to the end of those headers.
    pub header_timeout: Duration,
    /// A request body may take this long, plus the time its size needs at `min_body_rate`.
    pub body_grace: Duration,
    /// Bytes per second a request body must average after its grace.
    pub min_body_rate: u64,
    /// The TLS handshake.
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_grace: Duration::from_secs(10),
            min_body_rate: 16 * 1024,
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown` completes; then
/// stops accepting, asks every open connection to finish its request in flight and close,
/// and returns once they have.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<TlsAcceptor>,
    app: axum::Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
        };
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    continue;
                }
            },
        };
        let (tls, app, stopping) = (tls.clone(), app.clone(), stopping.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => connection(tcp, peer, app, limits, stopping).await,
                Some(acceptor) => {
                    match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp)).await
                    {
                        Ok(Ok(tls)) => connection(tls, peer, app, limits, stopping).await,
                        Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    let _ = stop.send(true);
    // Every connection holds a permit until it ends.
    let _ = permits.acquire_many(limits.max_connections as u32).await;
}

/// One HTTP/1.1 connection, its requests' bodies under the rate deadline.
async fn connection<I>(
    io: I,
    peer: std::net::SocketAddr,
    app: axum::Router,
    limits: Limits,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = app.map_request(move |req: axum::http::Request<hyper::body::Incoming>| {
        let mut req = req.map(|b| Body::new(RateBounded::new(b, limits)));
        // Who is asking, for what counts per client address (sign-in lockout).
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        req
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(service));
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!("connection ended: {e}");
            }
        }
        () = stopped(&mut stopping) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Completes once the listener stops (never, if its sender is gone without stopping).
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    while !*stopping.borrow_and_update() {
        if stopping.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A request body that fails once it is slower than the listener's minimum rate: it must
/// have arrived whole by `body_grace` plus its length at `min_body_rate`.
struct RateBounded<B> {
    inner: B,
    started: Instant,
    received: u64,
    limits: Limits,
    timer: Pin<Box<Sleep>>,
}

impl<B> RateBounded<B> {
    fn new(inner: B, limits: Limits) -> Self {
        let started = Instant::now();
        RateBounded {
            inner,
            started,
            received: 0,
            limits,
            timer: Box::pin(tokio::time::sleep_until(started + limits.body_grace)),
        }
    }

    fn deadline(&self) -> Instant {
        let earned = self.received / self.limits.min_body_rate.max(1);
        self.started + self.limits.body_grace + Duration::from_secs(earned)
    }
}

/// The error a body too slow for its deadline ends with.
#[derive(Debug)]
struct TooSlow;

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body arrived slower than the server's minimum rate")
    }
}

impl std::error::Error for TooSlow {}

impl<B> http_body::Body for RateBounded<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.received += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let deadline = self.deadline();
                if Instant::now() >= deadline {
                    return Poll::Ready(Some(Err(Box::new(TooSlow))));
                }
                self.timer.as_mut().reset(deadline);
                match self.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(TooSlow)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body that yields one byte, then never another.
    struct Stalls(bool);

    impl http_body::Body for Stalls {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.0 {
                Poll::Pending
            } else {
                self.0 = true;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x")))))
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_fails_at_its_deadline() {
        use http_body_util::BodyExt;
        let limits = Limits {
            body_grace: Duration::from_secs(3),
            ..Default::default()
        };
        let started = Instant::now();
        let r = RateBounded::new(Stalls(false), limits).collect().await;
        assert!(r.is_err());
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }
}
