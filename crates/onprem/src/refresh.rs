//! Keeping issuers' signing certificates current: AuthServers and partner applications that
//! came from a metadata document are fetched again every 24 hours, and after a token fails
//! signature validation (at most three fetches a day for that reason, as Exchange allows).

use crate::model::{AuthServer, PartnerApplication};
use crate::oauth_config::{FromMetadata, refresh_metadata};
use crate::objects::*;
use crate::state::OnPremState;
pub use crate::state::RefreshPolicy;
use std::sync::Arc;

/// An issuer described by a metadata document.
enum Documented {
    Server(Stored<AuthServer>),
    Partner(Stored<PartnerApplication>),
}

impl Documented {
    fn name(&self) -> &str {
        match self {
            Documented::Server(s) => &s.value.name,
            Documented::Partner(p) => &p.value.name,
        }
    }

    /// The id its tokens carry: an AuthServer's IssuerIdentifier, a partner's application id.
    fn issuer_id(&self) -> &str {
        match self {
            Documented::Server(s) => &s.value.issuer_identifier,
            Documented::Partner(p) => &p.value.application_identifier,
        }
    }

    fn refreshed_at(&self) -> i64 {
        let at = match self {
            Documented::Server(s) => &s.value.metadata_refreshed_at,
            Documented::Partner(p) => &p.value.metadata_refreshed_at,
        };
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .unwrap_or(0)
    }

    fn fetches(&self) -> &[i64] {
        match self {
            Documented::Server(s) => &s.value.metadata_fetches,
            Documented::Partner(p) => &p.value.metadata_fetches,
        }
    }
}

fn has_document<T: FromMetadata>(o: &Stored<T>) -> bool {
    !o.value.metadata_url().is_empty()
}

async fn documented(state: &OnPremState) -> Vec<Documented> {
    let mut out = Vec::new();
    match all::<AuthServer>(&state.store).await {
        Ok(objs) => out.extend(
            objs.into_iter()
                .filter(has_document)
                .map(Documented::Server),
        ),
        Err(e) => tracing::warn!("metadata refresh: {e}"),
    }
    match all::<PartnerApplication>(&state.store).await {
        Ok(objs) => out.extend(
            objs.into_iter()
                .filter(has_document)
                .map(Documented::Partner),
        ),
        Err(e) => tracing::warn!("metadata refresh: {e}"),
    }
    out
}

async fn refresh(state: &OnPremState, obj: &Documented, why: &str) {
    let outcome = match obj {
        Documented::Server(s) => refresh_metadata(&state.store, s).await.map(drop),
        Documented::Partner(p) => refresh_metadata(&state.store, p).await.map(drop),
    };
    match outcome {
        Ok(()) => {
            tracing::info!(issuer = %obj.name(), "metadata refreshed ({why})");
            if let Err(e) = state.reload().await {
                tracing::warn!("trust reload failed: {e}");
            }
        }
        Err(e) => tracing::warn!(issuer = %obj.name(), "metadata refresh failed ({why}): {e}"),
    }
}

/// Runs forever: fetches every document whose last fetch is older than the period.
pub async fn periodic(state: Arc<OnPremState>, policy: RefreshPolicy) {
    loop {
        tokio::time::sleep(policy.check_every).await;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for obj in documented(&state).await {
            if now - obj.refreshed_at() >= policy.period.as_secs() as i64 {
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
        let id = obj.issuer_id();
        // An AzureAD AuthServer is named by its own name: its tokens' issuers vary by version.
        if !id.eq_ignore_ascii_case(issuer_id) && !obj.name().eq_ignore_ascii_case(issuer_id) {
            continue;
        }
        let fetches = obj.fetches();
        let allowed = fetches.len() < 3
            || fetches
                .iter()
                .min()
                .is_some_and(|oldest| now - oldest > 24 * 3600);
        if !allowed {
            tracing::info!(issuer = %obj.name(), "signature failure: metadata was fetched three times today; not again");
            return false;
        }
        refresh(state, &obj, "signature failure").await;
        return true;
    }
    false
}
