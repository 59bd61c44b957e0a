//! The handshake log: every inbound S2S decision (accepted, rejected, challenged) becomes an
//! event in the log and, in batches written off the request path, in the store (bounded).

use store::{HandshakeEvent, Store};
use tokio::sync::mpsc;

/// How many events the store keeps.
pub const KEEP: i64 = 10_000;
/// How long a batch gathers: the writer wakes once a batch, not once an event.
const GATHER: std::time::Duration = std::time::Duration::from_millis(100);
/// The most events one batch stores; past this rate the log keeps a sample and counts the rest.
const MAX_BATCH: usize = 500;

#[derive(Clone)]
pub struct HandshakeLog {
    tx: mpsc::Sender<HandshakeEvent>,
    /// Events not queued since the writer last said so (the queue was full).
    unqueued: std::sync::Arc<std::sync::atomic::AtomicU64>,
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
        let unqueued = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let missed = unqueued.clone();
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                // The batch gathers while the writer sleeps: events queued meanwhile wake no one.
                tokio::time::sleep(GATHER).await;
                while batch.len() < MAX_BATCH
                    && let Ok(e) = rx.try_recv()
                {
                    batch.push(e);
                }
                let missed = missed.swap(0, std::sync::atomic::Ordering::Relaxed);
                if missed > 0 {
                    tracing::warn!(
                        missed,
                        "handshake events arrived faster than the log stores them; these were traced but not stored"
                    );
                }
                if let Err(e) = store.handshakes().append(&batch, KEEP).await {
                    tracing::warn!("handshake events not stored: {e}");
                }
            }
        });
        (
            HandshakeLog {
                tx,
                unqueued,
                counted,
            },
            task,
        )
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
            // Said once a batch by the writer, not once an event.
            self.unqueued
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}
