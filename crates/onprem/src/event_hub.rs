//! Each process's event hub: which mailboxes' journals grew (told at once of this process's
//! writes and, on PostgreSQL, of other processes'; by a short poll otherwise), waking the
//! streaming connections of those mailboxes, and the count of connections per mailbox.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// How long the hub lets writes gather after being told of one, before reading the journal.
const HUB_COALESCE: Duration = Duration::from_millis(5);
/// How often the hub reads the journal when nothing told it of a write.
const HUB_POLL: Duration = Duration::from_millis(500);
/// How often lapsed subscriptions are removed (Exchange sweeps every 5 minutes).
const SWEEP: Duration = Duration::from_secs(300);
/// Open GetStreamingEvents connections one mailbox may hold (Exchange Online's
/// HangingConnectionLimit).
pub const MAX_STREAMING_CONNECTIONS: usize = 10;

/// This process's view of which mailboxes changed, and its open streaming connections.
pub struct EventHub {
    changed: broadcast::Sender<Arc<str>>,
    connections: Mutex<HashMap<String, usize>>,
    /// Set when the server stops: streaming connections close at once.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub {
            changed: broadcast::channel(4096).0,
            connections: Mutex::new(HashMap::new()),
            closing: tokio::sync::watch::channel(false).0,
        }
    }
}

impl EventHub {
    /// The server is stopping: every streaming connection sends its closing envelope and ends.
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.changed.subscribe()
    }

    /// Counts a new streaming connection of `mailbox`, unless it has the most it may hold.
    pub fn open(self: &Arc<Self>, mailbox: &str) -> Option<ConnectionGuard> {
        let mut c = self.connections.lock().expect("hub lock");
        let n = c.entry(mailbox.to_string()).or_default();
        if *n >= MAX_STREAMING_CONNECTIONS {
            return None;
        }
        *n += 1;
        Some(ConnectionGuard {
            hub: self.clone(),
            mailbox: mailbox.to_string(),
        })
    }

    /// Reads the journal's growth and tells listeners which mailboxes changed, for as long as
    /// the store is open.
    pub async fn run(self: Arc<Self>, store: store::Store) {
        let mut told = store.subscribe_mail();
        let mut last = store.mailboxes().journal_head().await.unwrap_or(0);
        let mut next_sweep = tokio::time::Instant::now() + SWEEP;
        loop {
            if tokio::time::Instant::now() >= next_sweep {
                next_sweep += SWEEP;
                if let Err(e) = store.subscriptions().sweep().await {
                    tracing::debug!("sweeping lapsed subscriptions: {e}");
                }
            }
            tokio::select! {
                r = told.recv() => {
                    if let Err(broadcast::error::RecvError::Closed) = r { return }
                    // A burst of writes is read in one go.
                    tokio::time::sleep(HUB_COALESCE).await;
                    while told.try_recv().is_ok() {}
                }
                _ = tokio::time::sleep(HUB_POLL) => {}
            }
            loop {
                let rows = match store.mailboxes().journal_mailboxes_after(last, 1000).await {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::debug!("event hub: {e}");
                        break;
                    }
                };
                let full = rows.len() == 1000;
                let mut mailboxes: Vec<&str> = Vec::new();
                for (seq, mailbox) in &rows {
                    last = last.max(*seq);
                    if !mailboxes.contains(&mailbox.as_str()) {
                        mailboxes.push(mailbox);
                    }
                }
                for m in mailboxes {
                    let _ = self.changed.send(Arc::from(m));
                }
                if !full {
                    break;
                }
            }
        }
    }
}

/// One counted streaming connection; uncounted when dropped (the client went, or it ended).
pub struct ConnectionGuard {
    hub: Arc<EventHub>,
    mailbox: String,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut c = self.hub.connections.lock().expect("hub lock");
        if let Some(n) = c.get_mut(&self.mailbox) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.remove(&self.mailbox);
            }
        }
    }
}
