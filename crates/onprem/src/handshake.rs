//! The handshake log: every inbound S2S decision (accepted, rejected, challenged) becomes an
//! event in the log and, in batches written off the request path, in the store (bounded).

use store::{HandshakeEvent, Store};
use tokio::sync::mpsc;

/// How many events the store keeps.
pub const KEEP: i64 = 10_000;

#[derive(Clone)]
pub struct HandshakeLog {
    tx: mpsc::Sender<HandshakeEvent>,
    /// Decisions counted for `/metrics`.
    counted: prometheus_client::metrics::family::Family<
        crate::metrics::HandshakeLabels,
        prometheus_client::metrics::counter::Counter,
    >,
}

impl HandshakeLog {
    /// The log and the task that writes its batches.
    pub fn start(
        store: Store,
        counted: prometheus_client::metrics::family::Family<
            crate::metrics::HandshakeLabels,
            prometheus_client::metrics::counter::Counter,
        >,
    ) -> (HandshakeLog, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<HandshakeEvent>(10_000);
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(100);
                while batch.len() < 500 {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(e)) => batch.push(e),
                        _ => break,
                    }
                }
                if let Err(e) = store.handshakes().append(&batch, KEEP).await {
                    tracing::warn!("handshake events not stored: {e}");
                }
            }
        });
        (HandshakeLog { tx, counted }, task)
    }

    /// Logs the event and queues it for the store (dropped, with a warning, if the queue is full).
    pub fn record(&self, mut e: HandshakeEvent) {
        e.at_ms = store::now_ms();
        e.direction = if e.direction.is_empty() {
            "inbound".into()
        } else {
            e.direction
        };
        tracing::info!(
            target: "handshake",
            direction = %e.direction, kind = %e.token_kind, issuer = %e.issuer, audience = %e.audience, nameid = %e.nameid,
            user = %e.user, outcome = %e.outcome, code = ?e.error_code, latency_us = e.latency_us, token = %e.digest,
            "{}", if e.error.is_empty() { "S2S handshake" } else { e.error.as_str() }
        );
        self.counted
            .get_or_create(&crate::metrics::HandshakeLabels {
                direction: e.direction.clone(),
                outcome: e.outcome.clone(),
                code: e.error_code.map(|c| c.to_string()).unwrap_or_default(),
            })
            .inc();
        if self.tx.try_send(e).is_err() {
            tracing::warn!("handshake event queue full; an event was not stored");
        }
    }
}
