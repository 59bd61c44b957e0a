//! The token endpoint's user grants (authorization code, refresh token, password, device
//! code) and the device authorization endpoint. What they share with the sign-in pages is the
//! password check: counted, locked out alike whether or not the user exists, and as slow either
//! way.

use crate::delegated::{self, Ask, Grant, ask, consented_scopes, live_user};
use crate::error::{StsError, sts};
use crate::snapshot::{SignInUser, TenantState};
use crate::state::CloudState;
use crate::sts::Endpoint;
use crate::sts::Seconds;
use std::collections::HashMap;
use std::sync::Arc;

pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub const GRANT_PASSWORD: &str = "password";
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// True for the grants this module answers.
pub fn is_user_grant(grant_type: &str) -> bool {
    matches!(
        grant_type,
        GRANT_AUTHORIZATION_CODE | GRANT_REFRESH_TOKEN | GRANT_PASSWORD | GRANT_DEVICE_CODE
    )
}

fn param<'f>(form: &'f HashMap<String, String>, name: &str) -> Result<&'f str, StsError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| sts::missing_parameter(name))
}

/// At most this many password hashes are computed at once: each takes a core for a fifth of a
/// second, and the token service's other work must keep its cores.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cores.div_ceil(2).max(1))
    })
}

/// Whether `password` is the one `hash` was made from, off the async workers (no hash: the same
/// time spent, and false).
async fn verify_off_thread(password: &str, hash: Option<String>) -> bool {
    let _permit = hashing_permits().acquire().await;
    let password = zeroize::Zeroizing::new(password.to_string());
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => crypto::password::verify(&password, &h),
        None => {
            crypto::password::verify_nothing(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Checks a user's password in the tenant. Unknown names and wrong passwords fail alike and
/// take as long; both count towards the lockout. `flow` labels the metric.
pub async fn check_password(
    state: &CloudState,
    tenant: &TenantState,
    name: &str,
    password: &str,
    address: &str,
    flow: &str,
) -> Result<Arc<SignInUser>, StsError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if state.lockout.locked(name, address, now) {
        verify_off_thread(password, None).await;
        state.metrics.sign_in(flow, "locked");
        return Err(sts::locked());
    }
    let user = tenant.user_by_upn(name).cloned();
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = verify_off_thread(password, hash).await;
    match user {
        Some(u) if ok => {
            state.lockout.succeeded(name);
            if !u.user.account_enabled {
                state.metrics.sign_in(flow, "failure");
                return Err(sts::user_disabled());
            }
            state.metrics.sign_in(flow, "success");
            Ok(u)
        }
        _ => {
            state.lockout.failed(name, address, now);
            state.metrics.sign_in(flow, "failure");
            tracing::info!(flow, "sign-in failed");
            Err(sts::invalid_credentials())
        }
    }
}

/// The tenant and the client (a service principal of it) a user grant names. At `common`,
/// the tenant is the one the grant was issued in (a code or refresh token), the user's (a
/// password), or the resource's (a device code's start).
fn tenant_and_client<'s>(
    snap: &'s crate::snapshot::Snapshot,
    tenant: &str,
    form: &HashMap<String, String>,
) -> Result<(&'s Arc<TenantState>, crate::consent::PublicClient), StsError> {
    let t = if delegated::is_multi_tenant(tenant) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let sealed = |field: &str, typ: &str| {
            form.get(field)
                .and_then(|text| Grant::open(snap, text, typ, now))
                .and_then(|g| snap.tenant(&g.tid))
        };
        let resource = ask(
            Endpoint::EntraV2,
            form.get("scope").map(String::as_str),
            None,
        )
        .ok()
        .map(|a| a.resource)
        .or_else(|| form.get("resource").cloned());
        sealed("code", "code")
            .or_else(|| sealed("refresh_token", "rt"))
            .or_else(|| {
                delegated::resolve_tenant(
                    snap,
                    tenant,
                    form.get("username").map(String::as_str),
                    resource.as_deref(),
                )
            })
    } else {
        snap.tenant(tenant)
    };
    let t = t.ok_or_else(|| sts::tenant_not_found(tenant))?;
    let client = param(form, "client_id")?;
    let pc = t
        .public_client(client)
        .ok_or_else(|| sts::client_not_found(client, &t.tenant.id))?;
    Ok((t, pc))
}

/// A user grant at `/{tenant}/oauth2[/v2.0]/token`: the response body and the access token's
/// digest.
pub async fn issue(
    state: &CloudState,
    endpoint: Endpoint,
    tenant: &str,
    form: &HashMap<String, String>,
    address: &str,
) -> Result<(crate::sts::TokenResponse, String), StsError> {
    let snap = state.snapshot();
    let (t, pc) = tenant_and_client(&snap, tenant, form)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let client_info = form.get("client_info").is_some_and(|v| v == "1");
    let (user, grant) = match param(form, "grant_type")? {
        GRANT_AUTHORIZATION_CODE => redeem_code(state, &snap, t, &pc, form, now).await?,
        GRANT_REFRESH_TOKEN => redeem_refresh(state, &snap, t, endpoint, form, now).await?,
        GRANT_PASSWORD => {
            if !pc.allow_password {
                return Err(sts::flow_blocked("resource owner password", &pc.app_id));
            }
            let a = ask(
                endpoint,
                form.get("scope").map(String::as_str),
                form.get("resource").map(String::as_str),
            )?;
            let scp = consented_scopes(t, &pc.app_id, &a)?;
            let user = check_password(
                state,
                t,
                param(form, "username")?,
                param(form, "password")?,
                address,
                "password",
            )
            .await?;
            let g = grant_for(t, &pc.app_id, &user, &a, scp, endpoint, now);
            (user, g)
        }
        GRANT_DEVICE_CODE => redeem_device(state, t, &pc, form, now).await?,
        other => return Err(sts::unsupported_grant(other)),
    };
    // The answer has the shape of the token endpoint asked now, whichever endpoint the code or
    // device authorization was started at.
    let grant = Grant {
        ver: if endpoint == Endpoint::EntraV2 { 2 } else { 1 },
        ..grant
    };
    let (body, digest) = delegated::respond(
        &snap,
        &state.config.public_url,
        t,
        &user,
        &grant,
        client_info,
        now,
    )?;
    Ok((body, digest))
}

/// A grant for a user who just signed in.
pub fn grant_for(
    t: &TenantState,
    client: &str,
    user: &SignInUser,
    a: &Ask,
    scp: String,
    endpoint: Endpoint,
    now: i64,
) -> Grant {
    Grant {
        typ: "issued".into(),
        tid: t.tenant.id.clone(),
        cid: client.to_ascii_lowercase(),
        uid: user.user.id.clone(),
        res: a.resource.clone(),
        scp,
        ver: if endpoint == Endpoint::EntraV2 { 2 } else { 1 },
        openid: a.openid,
        offline: a.offline,
        iat: now,
        exp: now,
        jti: delegated::new_id(),
        ..Default::default()
    }
}

/// Records a grant's single use in the shared record; false when it was used before.
async fn first_use(state: &CloudState, g: &Grant, now: i64) -> Result<bool, StsError> {
    state
        .replay_record
        .first_use(g.use_key(), g.exp + 300, now)
        .await
        .map_err(|e| {
            tracing::warn!(code = e.code(), "shared replay check failed: {e}");
            sts::replay_check_unavailable()
        })
}

async fn redeem_code(
    state: &CloudState,
    snap: &crate::snapshot::Snapshot,
    t: &TenantState,
    pc: &crate::consent::PublicClient,
    form: &HashMap<String, String>,
    now: i64,
) -> Result<(Arc<SignInUser>, Grant), StsError> {
    let code = param(form, "code")?;
    let g = Grant::open(snap, code, "code", now)
        .filter(|g| g.tid.eq_ignore_ascii_case(&t.tenant.id))
        .ok_or_else(|| sts::bad_grant("authorization code"))?;
    if !g.cid.eq_ignore_ascii_case(&pc.app_id) {
        return Err(sts::grant_mismatch("client_id"));
    }
    if form.get("redirect_uri").map(String::as_str) != Some(g.redirect.as_str()) {
        return Err(sts::grant_mismatch("redirect_uri"));
    }
    let verifier = param(form, "code_verifier")?;
    let derived = match g.method.as_str() {
        "plain" => verifier.to_string(),
        _ => crypto::base64url(&crypto::sha256(verifier.as_bytes())),
    };
    if !crypto::secret::hashes_equal(&derived, &g.challenge) {
        return Err(sts::pkce_mismatch());
    }
    if !first_use(state, &g, now).await? {
        return Err(sts::code_redeemed());
    }
    let user = live_user(t, &g.uid, g.iat)?.clone();
    Ok((user, g))
}

async fn redeem_refresh(
    state: &CloudState,
    snap: &crate::snapshot::Snapshot,
    t: &TenantState,
    endpoint: Endpoint,
    form: &HashMap<String, String>,
    now: i64,
) -> Result<(Arc<SignInUser>, Grant), StsError> {
    let text = param(form, "refresh_token")?;
    let old = Grant::open(snap, text, "rt", now)
        .filter(|g| g.tid.eq_ignore_ascii_case(&t.tenant.id))
        .ok_or_else(|| sts::bad_grant("refresh token"))?;
    if !old.cid.eq_ignore_ascii_case(param(form, "client_id")?) {
        return Err(sts::grant_mismatch("client_id"));
    }
    let user = live_user(t, &old.uid, old.iat)?.clone();
    // The client may ask for the same resource again (or name it anew); consent is read now,
    // so a withdrawn consent takes effect at the next refresh.
    let a = match (form.get("scope"), form.get("resource")) {
        (None, None) => Ask {
            resource: old.res.clone(),
            permissions: Vec::new(),
            openid: old.openid,
            offline: true,
        },
        (scope, resource) => {
            let mut a = ask(
                endpoint,
                scope.map(String::as_str),
                resource.map(String::as_str),
            )?;
            a.offline = true;
            a
        }
    };
    let scp = consented_scopes(t, &old.cid, &a)?;
    if !first_use(state, &old, now).await? {
        return Err(sts::refresh_reused());
    }
    let g = grant_for(t, &old.cid, &user, &a, scp, endpoint, now);
    Ok((user, g))
}

async fn redeem_device(
    state: &CloudState,
    t: &TenantState,
    pc: &crate::consent::PublicClient,
    form: &HashMap<String, String>,
    now: i64,
) -> Result<(Arc<SignInUser>, Grant), StsError> {
    use store::DevicePoll;
    let code = param(form, "device_code")?;
    let hash = hex::encode(crypto::sha256(code.as_bytes()));
    let polled = state
        .store
        .device_authorizations()
        .poll(&hash, now, delegated::DEVICE_INTERVAL - 1)
        .await
        .map_err(|e| {
            tracing::warn!(code = e.code(), "device authorization lookup failed: {e}");
            sts::replay_check_unavailable()
        })?;
    let a = match polled {
        DevicePoll::Unknown => return Err(sts::device_code_expired()),
        DevicePoll::TooSoon => return Err(sts::slow_down()),
        DevicePoll::Waiting(a) => {
            return Err(match a.state.as_str() {
                "denied" => sts::authorization_declined(),
                "redeemed" => sts::code_redeemed(),
                _ => sts::authorization_pending(),
            });
        }
        DevicePoll::Redeemed(a) => a,
    };
    if !a.client_id.eq_ignore_ascii_case(&pc.app_id) || !a.tenant.eq_ignore_ascii_case(&t.tenant.id)
    {
        return Err(sts::grant_mismatch("client_id"));
    }
    let asked: Grant =
        serde_json::from_str(&a.request).map_err(|_| sts::bad_grant("device code"))?;
    let user = live_user(t, &a.user_id, now)?.clone();
    let g = Grant {
        uid: user.user.id.clone(),
        iat: now,
        ..asked
    };
    Ok((user, g))
}

/// The device authorization answer: v2 names `verification_uri` and writes numbers, v1
/// `verification_url` and text.
#[derive(Debug, serde::Serialize)]
pub struct DeviceCodeResponse {
    pub user_code: String,
    pub device_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_url: Option<String>,
    pub expires_in: Seconds,
    pub interval: Seconds,
    pub message: String,
}

/// `POST /{tenant}/oauth2[/v2.0]/devicecode`: starts a device sign-in for a client allowed to
/// use the flow. The resource and consent are checked now, before any user is asked.
pub async fn device_code(
    state: &CloudState,
    endpoint: Endpoint,
    tenant: &str,
    form: &HashMap<String, String>,
) -> Result<DeviceCodeResponse, StsError> {
    let snap = state.snapshot();
    let (t, pc) = tenant_and_client(&snap, tenant, form)?;
    if !pc.allow_device_code {
        return Err(sts::flow_blocked("device code", &pc.app_id));
    }
    let a = ask(
        endpoint,
        form.get("scope").map(String::as_str),
        form.get("resource").map(String::as_str),
    )?;
    let scp = consented_scopes(t, &pc.app_id, &a)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let g = Grant {
        typ: "device".into(),
        tid: t.tenant.id.clone(),
        cid: pc.app_id.clone(),
        res: a.resource.clone(),
        scp,
        ver: if endpoint == Endpoint::EntraV2 { 2 } else { 1 },
        openid: a.openid,
        offline: a.offline,
        iat: now,
        exp: now + delegated::DEVICE_LIFETIME,
        jti: delegated::new_id(),
        ..Default::default()
    };
    let device_code = delegated::new_id() + &delegated::new_id();
    let hash = hex::encode(crypto::sha256(device_code.as_bytes()));
    let store_error = |e: store::StoreError| {
        tracing::warn!(code = e.code(), "device authorization not stored: {e}");
        sts::replay_check_unavailable()
    };
    for _ in 0..5 {
        let user_code = new_user_code();
        let row = store::DeviceAuthorization {
            user_code: user_code.clone(),
            tenant: t.tenant.id.clone(),
            client_id: pc.app_id.clone(),
            request: serde_json::to_string(&g).expect("a grant serializes"),
            state: "pending".into(),
            user_id: String::new(),
            expires: g.exp,
            last_poll: 0,
        };
        if state
            .store
            .device_authorizations()
            .create(&row, &hash)
            .await
            .map_err(store_error)?
        {
            let uri = format!("{}/devicelogin", state.config.public_url);
            let message = format!(
                "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."
            );
            let life = delegated::DEVICE_LIFETIME;
            let interval = delegated::DEVICE_INTERVAL;
            let v1 = endpoint != Endpoint::EntraV2;
            return Ok(DeviceCodeResponse {
                user_code,
                device_code,
                verification_uri: (!v1).then(|| uri.clone()),
                verification_url: v1.then_some(uri),
                expires_in: Seconds::written(life, v1),
                interval: Seconds::written(interval, v1),
                message,
            });
        }
    }
    Err(sts::bad_request("no free user code; try again"))
}

/// Nine characters a person can read back: letters and digits without 0/O and 1/I.
fn new_user_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // A v4 uuid's bytes 6 and 8 carry its version and variant: the other bytes are random.
    let u = uuid::Uuid::new_v4();
    let b = u.as_bytes();
    [b[0], b[1], b[2], b[3], b[4], b[5], b[9], b[10], b[11]]
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}
