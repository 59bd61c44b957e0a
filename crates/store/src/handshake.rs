//! Handshake events: every S2S decision, kept bounded (the newest are kept).

use crate::store::{with_pool, write_tx};
use crate::{Store, StoreError};
use sqlx::Row;

/// `GET /admin/handshakes` on premises and at the partner: the events after a sequence number.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HandshakePage {
    pub events: Vec<HandshakeEvent>,
}

#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HandshakeEvent {
    pub seq: i64,
    pub at_ms: i64,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The token profile, e.g. S2SAppActAs.
    pub token_kind: String,
    pub issuer: String,
    pub audience: String,
    pub nameid: String,
    pub user: String,
    /// `accepted`, `rejected` or `challenged`.
    pub outcome: String,
    pub error_code: Option<i64>,
    pub error: String,
    pub latency_us: i64,
    /// A short SHA-256 digest of the token: never the token.
    pub digest: String,
}

pub struct Handshakes<'s> {
    store: &'s Store,
}

impl Store {
    pub fn handshakes(&self) -> Handshakes<'_> {
        Handshakes { store: self }
    }
}

impl Handshakes<'_> {
    /// Appends events in one transaction, then keeps only the newest `keep`.
    pub async fn append(&self, events: &[HandshakeEvent], keep: i64) -> Result<(), StoreError> {
        let s = self.store;
        write_tx!(s, tx => {
            for e in events {
                sqlx::query("INSERT INTO handshake_events (at_ms, direction, token_kind, issuer, audience, nameid, user_id, outcome, error_code, error, latency_us, digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                    .bind(e.at_ms).bind(&e.direction).bind(&e.token_kind).bind(&e.issuer).bind(&e.audience).bind(&e.nameid).bind(&e.user)
                    .bind(&e.outcome).bind(e.error_code).bind(&e.error).bind(e.latency_us).bind(&e.digest)
                    .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            }
            sqlx::query("DELETE FROM handshake_events WHERE seq <= (SELECT MAX(seq) FROM handshake_events) - $1")
                .bind(keep).execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
        });
        Ok(())
    }

    /// Events after `after_seq`, oldest first, at most `limit`.
    pub async fn after(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<HandshakeEvent>, StoreError> {
        self.select(
            "SELECT * FROM handshake_events WHERE seq > $1 ORDER BY seq LIMIT $2",
            after_seq,
            limit,
        )
        .await
    }

    /// The newest `limit` events, oldest first.
    pub async fn latest(&self, limit: i64) -> Result<Vec<HandshakeEvent>, StoreError> {
        self.select(
            "SELECT * FROM (SELECT * FROM handshake_events WHERE seq > $1 ORDER BY seq DESC LIMIT $2) AS newest ORDER BY seq",
            0,
            limit,
        )
        .await
    }

    async fn select(
        &self,
        sql: &'static str,
        a: i64,
        b: i64,
    ) -> Result<Vec<HandshakeEvent>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query(sql).bind(a).bind(b).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let e = |e| s.db_error(e);
                out.push(HandshakeEvent {
                    seq: r.try_get("seq").map_err(e)?,
                    at_ms: r.try_get("at_ms").map_err(e)?,
                    direction: r.try_get("direction").map_err(e)?,
                    token_kind: r.try_get("token_kind").map_err(e)?,
                    issuer: r.try_get("issuer").map_err(e)?,
                    audience: r.try_get("audience").map_err(e)?,
                    nameid: r.try_get("nameid").map_err(e)?,
                    user: r.try_get("user_id").map_err(e)?,
                    outcome: r.try_get("outcome").map_err(e)?,
                    error_code: r.try_get("error_code").map_err(e)?,
                    error: r.try_get("error").map_err(e)?,
                    latency_us: r.try_get("latency_us").map_err(e)?,
                    digest: r.try_get("digest").map_err(e)?,
                });
            }
            Ok(out)
        })
    }
}
