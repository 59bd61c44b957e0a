//! Keeping issuers' signing certificates current: AuthServers and partner applications that
//! came from a metadata document are fetched again every 24 hours, and after a token fails
//! signature validation (at most three fetches a day for that reason, as Exchange allows).

use crate::objects::*;
use crate::state::OnPremState;
pub use crate::state::RefreshPolicy;
use serde_json::Value;
use std::sync::Arc;
use store::DirectoryObject;

fn refreshed_at(v: &Value) -> i64 {
    v.get("MetadataRefreshedAt")
        .and_then(Value::as_str)
        .and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| t.unix_timestamp())
        .unwrap_or(0)
}

async fn documented(state: &OnPremState) -> Vec<DirectoryObject> {
    let mut out = Vec::new();
    for kind in [AUTH_SERVER, PARTNER_APPLICATION] {
        match all(&state.store, kind).await {
            Ok(objs) => out.extend(
                objs.into_iter()
                    .filter(|o| !text(&o.data, "AuthMetadataUrl").is_empty()),
            ),
            Err(e) => tracing::warn!("metadata refresh: {e}"),
        }
    }
    out
}

async fn refresh(state: &OnPremState, obj: &DirectoryObject, why: &str) {
    match crate::oauth_config::refresh_metadata(&state.store, obj).await {
        Ok(_) => {
            tracing::info!(issuer = %obj.name, "metadata refreshed ({why})");
            if let Err(e) = state.reload().await {
                tracing::warn!("trust reload failed: {e}");
            }
        }
        Err(e) => tracing::warn!(issuer = %obj.name, "metadata refresh failed ({why}): {e}"),
    }
}

/// Runs forever: fetches every document whose last fetch is older than the period.
pub async fn periodic(state: Arc<OnPremState>, policy: RefreshPolicy) {
    loop {
        tokio::time::sleep(policy.check_every).await;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for obj in documented(&state).await {
            if now - refreshed_at(&obj.data) >= policy.period.as_secs() as i64 {
                refresh(&state, &obj, "periodic").await;
            }
        }
    }
}

/// After a signature failure by `issuer_id` (an AuthServer's IssuerIdentifier or a partner
/// application's id): fetch its document again, unless it was fetched three times in the last
/// 24 hours. Returns whether a fetch was made.
pub async fn after_signature_failure(state: &OnPremState, issuer_id: &str) -> bool {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for obj in documented(state).await {
        let d = &obj.data;
        let id = if obj.kind == AUTH_SERVER {
            text(d, "IssuerIdentifier")
        } else {
            text(d, "ApplicationIdentifier")
        };
        // An AzureAD AuthServer is named by its own name: its tokens' issuers vary by version.
        if !id.eq_ignore_ascii_case(issuer_id) && !obj.name.eq_ignore_ascii_case(issuer_id) {
            continue;
        }
        let fetches: Vec<i64> = d
            .get("MetadataFetches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_i64)
            .collect();
        let allowed = fetches.len() < 3
            || fetches
                .iter()
                .min()
                .is_some_and(|oldest| now - oldest > 24 * 3600);
        if !allowed {
            tracing::info!(issuer = %obj.name, "signature failure: metadata was fetched three times today; not again");
            return false;
        }
        refresh(state, &obj, "signature failure").await;
        return true;
    }
    false
}
