//! Device code sign-ins (RFC 8628) between their start and their redemption: the polling
//! client holds the device code (kept here only as its digest), the user types the user code on
//! the verification page and signs in. Shared by every process of the cloud role, so a poll may
//! reach any of them.

use crate::StoreError;
use crate::store::{Store, with_pool, write_statement};
use sqlx::Row;

/// A device authorization as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub user_code: String,
    pub tenant: String,
    pub client_id: String,
    /// What the client asked for (the issuer's own encoding).
    pub request: String,
    /// `pending`, `approved`, `denied` or `redeemed`.
    pub state: String,
    pub user_id: String,
    pub expires: i64,
    pub last_poll: i64,
}

/// What a poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// No such device code, or it expired.
    Unknown,
    /// Polled again sooner than the interval allows.
    TooSoon,
    /// Still waiting (or denied, or already redeemed: see the state).
    Waiting(DeviceAuthorization),
    /// Approved, and now redeemed by this poll: the only poll that gets it.
    Redeemed(DeviceAuthorization),
}

pub struct DeviceAuthorizations<'a> {
    store: &'a Store,
}

impl Store {
    pub fn device_authorizations(&self) -> DeviceAuthorizations<'_> {
        DeviceAuthorizations { store: self }
    }
}

const COLUMNS: &str = "user_code, tenant, client_id, request, state, user_id, expires, last_poll";

fn row_of<R: Row>(r: &R) -> DeviceAuthorization
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    DeviceAuthorization {
        user_code: r.get("user_code"),
        tenant: r.get("tenant"),
        client_id: r.get("client_id"),
        request: r.get("request"),
        state: r.get("state"),
        user_id: r.get("user_id"),
        expires: r.get("expires"),
        last_poll: r.get("last_poll"),
    }
}

impl DeviceAuthorizations<'_> {
    /// Records a new pending authorization. False when the user code is taken (the caller
    /// draws another).
    pub async fn create(
        &self,
        a: &DeviceAuthorization,
        device_hash: &str,
    ) -> Result<bool, StoreError> {
        let s = self.store;
        let sql = "INSERT INTO device_authorizations \
                   (user_code, device_hash, tenant, client_id, request, state, user_id, expires, last_poll) \
                   VALUES ($1, $2, $3, $4, $5, 'pending', '', $6, 0) ON CONFLICT DO NOTHING";
        let done = write_statement!(s, e => {
            sqlx::query(sql).bind(&a.user_code).bind(device_hash).bind(&a.tenant)
                .bind(&a.client_id).bind(&a.request).bind(a.expires)
                .execute(e).await.map(|d| d.rows_affected())
        })
        .map_err(|e| s.db_error(e))?;
        Ok(done == 1)
    }

    /// A pending authorization by its user code, unexpired.
    pub async fn pending(
        &self,
        user_code: &str,
        now: i64,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        let s = self.store;
        let sql = format!(
            "SELECT {COLUMNS} FROM device_authorizations \
             WHERE user_code = $1 AND state = 'pending' AND expires > $2"
        );
        with_pool!(s.pool(), p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_code).bind(now)
                .fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            Ok(row.as_ref().map(row_of))
        })
    }

    /// Decides a pending authorization: `approved` for `user_id`, or `denied`. False when it
    /// was no longer pending or has expired.
    pub async fn decide(
        &self,
        user_code: &str,
        approved: bool,
        user_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let s = self.store;
        let state = if approved { "approved" } else { "denied" };
        let sql = "UPDATE device_authorizations SET state = $1, user_id = $2 \
                   WHERE user_code = $3 AND state = 'pending' AND expires > $4";
        let done = write_statement!(s, e => {
            sqlx::query(sql).bind(state).bind(user_id).bind(user_code).bind(now)
                .execute(e).await.map(|d| d.rows_affected())
        })
        .map_err(|e| s.db_error(e))?;
        Ok(done == 1)
    }

    /// A client's poll with its device code: redeems an approved authorization (once), and
    /// otherwise says how it stands. Polls closer than `interval` seconds are refused.
    pub async fn poll(
        &self,
        device_hash: &str,
        now: i64,
        interval: i64,
    ) -> Result<DevicePoll, StoreError> {
        let s = self.store;
        let redeem = format!(
            "UPDATE device_authorizations SET state = 'redeemed', last_poll = $2 \
             WHERE device_hash = $1 AND state = 'approved' AND expires > $2 RETURNING {COLUMNS}"
        );
        let redeemed = write_statement!(s, e => {
            sqlx::query(sqlx::AssertSqlSafe(redeem.clone())).bind(device_hash).bind(now)
                .fetch_optional(e).await.map(|r| r.as_ref().map(row_of))
        })
        .map_err(|e| s.db_error(e))?;
        if let Some(a) = redeemed {
            return Ok(DevicePoll::Redeemed(a));
        }
        let touch = format!(
            "UPDATE device_authorizations SET last_poll = $2 \
             WHERE device_hash = $1 AND expires > $2 AND last_poll <= $3 RETURNING {COLUMNS}"
        );
        let touched = write_statement!(s, e => {
            sqlx::query(sqlx::AssertSqlSafe(touch.clone())).bind(device_hash).bind(now)
                .bind(now - interval)
                .fetch_optional(e).await.map(|r| r.as_ref().map(row_of))
        })
        .map_err(|e| s.db_error(e))?;
        if let Some(a) = touched {
            return Ok(DevicePoll::Waiting(a));
        }
        let sql =
            "SELECT COUNT(*) FROM device_authorizations WHERE device_hash = $1 AND expires > $2";
        let live: i64 = with_pool!(s.pool(), p => {
            sqlx::query_scalar(sql).bind(device_hash).bind(now)
                .fetch_one(p).await.map_err(|e| s.db_error(e))
        })?;
        Ok(if live > 0 {
            DevicePoll::TooSoon
        } else {
            DevicePoll::Unknown
        })
    }

    /// Removes the authorizations expired before `now`; how many went.
    pub async fn prune(&self, now: i64) -> Result<u64, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let done = sqlx::query("DELETE FROM device_authorizations WHERE expires < $1")
                .bind(now).execute(p).await.map_err(|e| s.db_error(e))?;
            Ok(done.rows_affected())
        })
    }
}
