//! Notification subscriptions: which events a subscriber wants, how it reads them, and how far
//! it has read. Stored, so that any process on the store serves any subscription.

use crate::MailboxError;
use crate::events::EventFilter;
use crate::service::Mailbox;
use serde::{Deserialize, Serialize};
use store::{Store, SubscriptionRow};

/// Live subscriptions one mailbox may have (Exchange's EwsMaxSubscriptions is 20).
pub const MAX_SUBSCRIPTIONS: usize = 20;

/// How a subscriber reads its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// GetEvents, at least every `timeout_minutes`.
    Pull { timeout_minutes: u32 },
    /// GetStreamingEvents.
    Streaming,
    /// The server posts the events to `url`, and a status every `status_frequency_minutes`.
    Push {
        url: String,
        status_frequency_minutes: u32,
    },
}

impl Delivery {
    fn name(&self) -> &'static str {
        match self {
            Delivery::Pull { .. } => "pull",
            Delivery::Streaming => "streaming",
            Delivery::Push { .. } => "push",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionSpec {
    pub delivery: Delivery,
    pub filter: EventFilter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    /// The mailbox's GUID.
    pub mailbox: String,
    pub spec: SubscriptionSpec,
    /// How far its reader has read (a place in the mailbox's history).
    pub position: i64,
    pub expires_ms: i64,
    pub created_ms: i64,
    /// Push: when a notification was last delivered (0: never).
    pub last_sent_ms: i64,
    /// Push: since when deliveries have been failing (0: they are not).
    pub failing_since_ms: i64,
}

impl Mailbox {
    /// Stores a subscription to this mailbox reading from `position`, lapsing at `expires_ms`
    /// unless renewed; None when the mailbox has [`MAX_SUBSCRIPTIONS`] already.
    pub async fn subscribe(
        &self,
        id: &str,
        spec: SubscriptionSpec,
        position: i64,
        expires_ms: i64,
    ) -> Result<Option<Subscription>, MailboxError> {
        let row = SubscriptionRow {
            id: id.to_string(),
            mailbox: self.guid().to_string(),
            kind: spec.delivery.name().into(),
            spec: serde_json::to_string(&spec).unwrap_or_default(),
            position,
            expires_ms,
            created_ms: store::now_ms(),
            last_sent_ms: 0,
            failing_since_ms: 0,
        };
        let stored = self
            .store_ref()
            .subscriptions()
            .insert(&row, MAX_SUBSCRIPTIONS)
            .await?;
        Ok(stored.then_some(Subscription {
            id: row.id,
            mailbox: row.mailbox,
            spec,
            position,
            expires_ms,
            created_ms: row.created_ms,
            last_sent_ms: 0,
            failing_since_ms: 0,
        }))
    }
}

/// A subscription that has not lapsed.
pub async fn subscription(store: &Store, id: &str) -> Result<Option<Subscription>, MailboxError> {
    let Some(row) = store.subscriptions().get(id).await? else {
        return Ok(None);
    };
    let spec: SubscriptionSpec = serde_json::from_str(&row.spec).map_err(|e| {
        MailboxError::Store(store::StoreError::Corrupt(format!(
            "subscription {id}: {e}"
        )))
    })?;
    Ok(Some(Subscription {
        id: row.id,
        mailbox: row.mailbox,
        spec,
        position: row.position,
        expires_ms: row.expires_ms,
        created_ms: row.created_ms,
        last_sent_ms: row.last_sent_ms,
        failing_since_ms: row.failing_since_ms,
    }))
}

/// Records how far a subscription's reader has read, and when it lapses now.
pub async fn renew(
    store: &Store,
    id: &str,
    position: i64,
    expires_ms: i64,
) -> Result<(), MailboxError> {
    Ok(store
        .subscriptions()
        .touch(id, position, expires_ms)
        .await?)
}

/// Ends a subscription; whether it was there.
pub async fn unsubscribe(store: &Store, id: &str) -> Result<bool, MailboxError> {
    Ok(store.subscriptions().delete(id).await?)
}

/// How a push delivery went: delivered at `sent_ms` (the position moved on, failures
/// forgotten), or failing since `failing_since_ms`; the subscription now lapses at `expires_ms`.
pub async fn record_push(
    store: &Store,
    sub: &Subscription,
    expires_ms: i64,
    sent_ms: Option<i64>,
    failing_since_ms: i64,
) -> Result<(), MailboxError> {
    Ok(store
        .subscriptions()
        .record_push(&sub.id, sub.position, expires_ms, sent_ms, failing_since_ms)
        .await?)
}
