//! The local server's connections: what `axum::serve` leaves open. Serving the router straight
//! from a TCP listener, a client that sends half a request head and waits keeps its connection
//! (and a file descriptor) forever, and enough of them take the server down. Here every
//! connection is bounded:
//!
//! - a request head must arrive within [`ConnectionLimits::header_timeout`] (hyper's header read
//!   timer, which also closes a keep-alive connection that stays idle that long); a client that
//!   sent part of a head gets a 408 in the error envelope before the connection closes;
//! - at most [`ConnectionLimits::max_connections`] are open at once: past that, new connections
//!   wait in the listen backlog until one closes;
//! - a request whose head hyper itself refuses (malformed framing, a URI that is too long,
//!   headers that are too large) gets the envelope with hyper's status (400, 414, 431) instead of
//!   hyper's empty answer.
//!
//! Body deadlines are the router's ([`super::body_deadline`]), so they hold on every transport.
//! API Gateway does all of this in front of Lambda; only the local server needs this module.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use super::error::ApiError;

/// Bounds on the local server's connections.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Longest wait for a complete request head, and longest idle time between requests.
    pub header_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { header_timeout: Duration::from_secs(30), max_connections: 512 }
    }
}

/// Largest request head hyper buffers (its default is ~400 KB); larger is a 431.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then lets in-flight
/// requests finish.
pub async fn serve(listener: TcpListener, app: Router, limits: ConnectionLimits, shutdown: impl Future<Output = ()>) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors or a connection reset before accept: not fatal.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (app, stopping) = (app.clone(), stopping.clone());
        tokio::spawn(async move {
            serve_connection(stream, app, limits, stopping).await;
            drop(permit);
        });
    }
    let _ = stop.send(true);
    // Wait for every connection to finish (each holds a permit until it ends).
    let _ = permits.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

async fn serve_connection(stream: TcpStream, app: Router, limits: ConnectionLimits, mut stopping: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched { stream, refused: None });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(MAX_HEAD_BYTES);
    let mut conn = builder.serve_connection(io, TowerToHyperService::new(app));
    let outcome = loop {
        tokio::select! {
            outcome = &mut conn => break outcome,
            changed = stopping.changed() => {
                if changed.is_err() || *stopping.borrow() {
                    Pin::new(&mut conn).graceful_shutdown();
                    break (&mut conn).await;
                }
            }
        }
    };
    let Err(error) = outcome else { return };
    let parts = conn.into_parts();
    let mut watched = parts.io.into_inner();
    let status = match watched.refused.take() {
        Some(status) => status,
        // A head started and never finished; an idle keep-alive connection just closes.
        None if error.is_timeout() && !parts.read_buf.is_empty() => StatusCode::REQUEST_TIMEOUT,
        None => return,
    };
    let answer = refusal(status);
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        watched.stream.write_all(&answer).await?;
        watched.stream.shutdown().await
    })
    .await;
}

/// The whole HTTP/1.1 answer to a request refused before it reached the router.
fn refusal(status: StatusCode) -> Vec<u8> {
    let mut error = match status {
        StatusCode::REQUEST_TIMEOUT => ApiError::new(
            status,
            super::error::ErrorCode::InvalidRequest,
            "The request head did not arrive in time. Send the whole request at once and retry.",
        ),
        StatusCode::URI_TOO_LONG => ApiError::invalid("path", "The request URI is too long. Send long inputs in a JSON body instead."),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ApiError::invalid("headers", format!("The request headers are too large: at most {} KiB in all.", MAX_HEAD_BYTES / 1024))
        }
        _ => ApiError::invalid(
            "request",
            "The request is not well-formed HTTP/1.1 (its request line, path or headers). Check how it is encoded.",
        ),
    };
    error.status = status;
    let body = serde_json::to_vec(&error.envelope()).unwrap_or_default();
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut answer = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

/// The connection's socket, watching what hyper writes: hyper answers a head it cannot parse
/// with an empty 400, 414 or 431 of its own; those are held back (and the status kept) so
/// [`serve_connection`] can answer in the envelope instead.
struct Watched {
    stream: TcpStream,
    refused: Option<StatusCode>,
}

impl Watched {
    /// The status of `bytes` when they are hyper's own empty answer to an unparsable head.
    fn automatic_refusal(bytes: &[u8]) -> Option<StatusCode> {
        let status = match bytes.get(..13)? {
            b"HTTP/1.1 400 " => StatusCode::BAD_REQUEST,
            b"HTTP/1.1 414 " => StatusCode::URI_TOO_LONG,
            b"HTTP/1.1 431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            _ => return None,
        };
        // The router's answers always carry a body; only hyper's automatic ones are empty.
        let empty = bytes.ends_with(b"\r\n\r\n") && bytes.windows(19).any(|w| w.eq_ignore_ascii_case(b"content-length: 0\r\n"));
        empty.then_some(status)
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(status) = Self::automatic_refusal(buf) {
            self.refused = Some(status);
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        if let [only] = bufs.iter().filter(|b| !b.is_empty()).collect::<Vec<_>>()[..] {
            if let Some(status) = Self::automatic_refusal(only) {
                self.refused = Some(status);
                return Poll::Ready(Ok(only.len()));
            }
        }
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.refused.is_some() {
            // The envelope is written after hyper is done; keep the socket open for it.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
