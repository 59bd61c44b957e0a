//! The pages a user signs in on: the authorization endpoint's sign-in form (authorization code
//! with PKCE, v1 and v2) and the device login page. Forms carry a CSRF token that must match
//! a cookie set with the page (SameSite=Strict, HttpOnly), and a sealed copy of the request so
//! that nothing the browser posts back can widen it. A failed sign-in says the same thing
//! whether or not the user exists.

use crate::delegated::{self, Grant, ask, consented_scopes};
use crate::entra::{Peer, address};
use crate::state::CloudState;
use crate::sts::Endpoint;
use crate::user_grants::check_password;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::sync::Arc;

const CSRF_COOKIE: &str = "hybrid_signin_csrf";

pub fn routes() -> Router<Arc<CloudState>> {
    Router::new()
        .route(
            "/{tenant}/oauth2/authorize",
            get(authorize_v1).post(login_v1),
        )
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            get(authorize_v2).post(login_v2),
        )
        .route(
            "/{tenant}/oauth2/devicecode",
            axum::routing::post(devicecode_v1),
        )
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            axum::routing::post(devicecode_v2),
        )
        .route("/devicelogin", get(device_page).post(device_login))
        .route("/common/userrealm/{name}", get(user_realm))
        .layer(DefaultBodyLimit::max(16 * 1024))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page with the headers every sign-in page carries: no framing, no caching, no scripts.
fn page(status: StatusCode, title: &str, body: &str, cookie: Option<String>) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>body{{font-family:sans-serif;\
         max-width:28em;margin:4em auto}}input{{display:block;width:100%;margin:.4em 0 1em;padding:.4em}}\
         .error{{color:#a80000}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    let mut resp = (status, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Some(c) = cookie
        && let Ok(v) = HeaderValue::from_str(&c)
    {
        h.insert(header::SET_COOKIE, v);
    }
    resp
}

fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign in",
        &format!("<p class=\"error\">{}</p>", escape(message)),
        None,
    )
}

/// A fresh CSRF token and the cookie that carries it.
fn csrf_cookie(state: &CloudState) -> (String, String) {
    let token = delegated::new_id();
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=900{secure}");
    (token, cookie)
}

/// The form's CSRF token matches the cookie, and a browser's Origin (when sent) is this server.
fn csrf_ok(state: &CloudState, headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    // The pages are served with `Referrer-Policy: no-referrer`, under which a browser posts
    // their own forms with `Origin: null`: that says nothing; the SameSite=Strict cookie decides.
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
        && origin != "null"
        && !origin.eq_ignore_ascii_case(state.config.public_url.trim_end_matches('/'))
    {
        return false;
    }
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == CSRF_COOKIE)
        .map(|(_, v)| v.to_string());
    match (cookie, form.get("csrf")) {
        (Some(c), Some(f)) if !c.is_empty() => crypto::secret::hashes_equal(&c, f),
        _ => false,
    }
}

fn sign_in_form(
    action: &str,
    hidden: &[(&str, &str)],
    login: &str,
    message: Option<&str>,
    extra: &str,
) -> String {
    let mut out = String::new();
    if let Some(m) = message {
        out.push_str(&format!(
            "<p class=\"error\" id=\"error\">{}</p>",
            escape(m)
        ));
    }
    out.push_str(&format!(
        "<form method=\"post\" action=\"{}\">",
        escape(action)
    ));
    for (k, v) in hidden {
        out.push_str(&format!(
            "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
            escape(v)
        ));
    }
    out.push_str(extra);
    out.push_str(&format!(
        "<label>Email or UPN<input type=\"email\" name=\"login\" id=\"login\" autocomplete=\"username\" value=\"{}\" required></label>\
         <label>Password<input type=\"password\" name=\"passwd\" id=\"passwd\" autocomplete=\"current-password\" required></label>\
         <button type=\"submit\" id=\"submit\">Sign in</button></form>",
        escape(login)
    ));
    out
}

/// Where an authorization request's errors go once its client and redirect URI are known.
fn redirect_error(redirect: &str, state: &str, error: &str, description: &str) -> Response {
    let mut url = match url::Url::parse(redirect) {
        Ok(u) => u,
        Err(_) => return error_page(description),
    };
    url.query_pairs_mut()
        .append_pair("error", error)
        .append_pair("error_description", description);
    if !state.is_empty() {
        url.query_pairs_mut().append_pair("state", state);
    }
    found(url.as_str())
}

fn found(location: &str) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn authorize_v1(
    s: State<Arc<CloudState>>,
    t: Path<String>,
    q: Query<HashMap<String, String>>,
) -> Response {
    authorize(s, t, q, Endpoint::EntraV1).await
}

async fn authorize_v2(
    s: State<Arc<CloudState>>,
    t: Path<String>,
    q: Query<HashMap<String, String>>,
) -> Response {
    authorize(s, t, q, Endpoint::EntraV2).await
}

/// `GET …/authorize`: checks the request, then shows the sign-in form.
async fn authorize(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    endpoint: Endpoint,
) -> Response {
    let snap = state.snapshot();
    let (t, ctx) = match sign_in_request(&snap, &tenant, &q, endpoint) {
        Ok(x) => x,
        Err(refusal) => return *refusal,
    };
    let sealed = match ctx.seal(&snap) {
        Ok(s) => s,
        Err(e) => return error_page(&e.to_string()),
    };
    let (csrf, cookie) = csrf_cookie(&state);
    let client_name = t
        .principals
        .get(&ctx.cid)
        .map(|p| p.sp.display_name.clone())
        .unwrap_or_default();
    let intro = format!(
        "<p>Sign in to <b>{}</b> for {}.</p>",
        escape(&client_name),
        escape(&t.tenant.display_name)
    );
    let hint = q.get("login_hint").map(String::as_str).unwrap_or("");
    let form = sign_in_form("", &[("ctx", &sealed), ("csrf", &csrf)], hint, None, "");
    page(StatusCode::OK, "Sign in", &(intro + &form), Some(cookie))
}

/// An authorization request checked as Entra checks it, in its order: the tenant, the client
/// and its redirect URI (refused on a page of ours: nothing is sent to an unchecked URI), then
/// what is answered at the redirect URI: the response type, `prompt=none`, the flow, PKCE, the
/// resource and consent. Its page context (the request as it will be sealed) when it passes.
fn sign_in_request<'s>(
    snap: &'s crate::snapshot::Snapshot,
    tenant: &str,
    q: &HashMap<String, String>,
    endpoint: Endpoint,
) -> Result<(&'s Arc<crate::snapshot::TenantState>, Grant), Box<Response>> {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let asked = ask(
        endpoint,
        q.get("scope").map(String::as_str),
        q.get("resource").map(String::as_str),
    );
    let resource = asked.as_ref().ok().map(|a| a.resource.as_str());
    let t = delegated::resolve_tenant(
        snap,
        tenant,
        q.get("login_hint").map(String::as_str),
        resource,
    )
    .ok_or_else(|| boxed_error_page(&crate::error::sts::tenant_not_found(tenant).to_string()))?;
    let pc = t.public_client(get("client_id")).ok_or_else(|| {
        boxed_error_page(&format!(
            "AADSTS700016: Application with identifier '{}' was not found in the directory.",
            get("client_id")
        ))
    })?;
    let redirect = get("redirect_uri");
    if !pc.accepts_redirect(redirect) {
        return Err(boxed_error_page(&format!(
            "AADSTS50011: The redirect URI '{redirect}' specified in the request does not match the redirect URIs configured for the application '{}'.",
            pc.app_id
        )));
    }
    let st = get("state");
    let refuse =
        |error: &str, description: &str| Box::new(redirect_error(redirect, st, error, description));
    if get("response_type") != "code" {
        return Err(refuse(
            "unsupported_response_type",
            "AADSTS70005: only response_type=code is supported.",
        ));
    }
    // No sign-in session is kept here: a silent request cannot be answered without the user.
    if get("prompt") == "none" {
        return Err(refuse(
            "login_required",
            "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
        ));
    }
    if !pc.allow_authorization_code {
        let e = crate::error::sts::flow_blocked("authorization code", &pc.app_id);
        return Err(refuse(e.error, &e.to_string()));
    }
    let method = match get("code_challenge_method") {
        "" => "plain",
        m => m,
    };
    if get("code_challenge").len() < 43 || !matches!(method, "S256" | "plain") {
        return Err(refuse(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge (43 to 128 characters) with code_challenge_method S256.",
        ));
    }
    let (a, scp) = asked
        .and_then(|a| consented_scopes(t, &pc.app_id, &a).map(|scp| (a, scp)))
        .map_err(|e| refuse(e.error, &e.to_string()))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ctx = Grant {
        typ: "ctx".into(),
        tid: t.tenant.id.clone(),
        cid: pc.app_id.clone(),
        res: a.resource.clone(),
        scp,
        ver: if endpoint == Endpoint::EntraV2 { 2 } else { 1 },
        openid: a.openid,
        offline: a.offline || endpoint == Endpoint::EntraV1,
        redirect: redirect.to_string(),
        challenge: get("code_challenge").to_string(),
        method: method.to_string(),
        nonce: get("nonce").to_string(),
        state: st.to_string(),
        mode: get("response_mode").to_string(),
        iat: now,
        exp: now + delegated::CONTEXT_LIFETIME,
        jti: delegated::new_id(),
        ..Default::default()
    };
    Ok((t, ctx))
}

fn boxed_error_page(message: &str) -> Box<Response> {
    Box::new(error_page(message))
}

async fn login_v1(
    s: State<Arc<CloudState>>,
    t: Path<String>,
    p: Peer,
    h: HeaderMap,
    b: Bytes,
) -> Response {
    login(s, t, p, h, b).await
}

async fn login_v2(
    s: State<Arc<CloudState>>,
    t: Path<String>,
    p: Peer,
    h: HeaderMap,
    b: Bytes,
) -> Response {
    login(s, t, p, h, b).await
}

/// `POST …/authorize`: the sign-in form's answer. Success sends the browser back to the
/// client with a code; a failure shows the form again.
async fn login(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(form) = crate::sts::parse_form(&body) else {
        return error_page("The sign-in form was malformed.");
    };
    if !csrf_ok(&state, &headers, &form) {
        return error_page(
            "This sign-in page has expired or was not opened here. Start the sign-in again from the application.",
        );
    }
    let snap = state.snapshot();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // At `common` the page's sealed request names the tenant it was resolved to.
    let ctx = form
        .get("ctx")
        .and_then(|c| Grant::open(&snap, c, "ctx", now))
        .filter(|g| {
            delegated::is_multi_tenant(&tenant)
                || snap
                    .tenant(&tenant)
                    .is_some_and(|t| t.tenant.id.eq_ignore_ascii_case(&g.tid))
        });
    let t = ctx.as_ref().and_then(|g| snap.tenant(&g.tid));
    let (Some(ctx), Some(t)) = (ctx, t) else {
        return error_page(
            "This sign-in page has expired. Start the sign-in again from the application.",
        );
    };
    let login = form.get("login").map(String::as_str).unwrap_or("");
    let password = form.get("passwd").map(String::as_str).unwrap_or("");
    let user = match check_password(&state, t, login, password, &address(&peer), "page").await {
        Ok(u) => u,
        Err(e) => {
            let (csrf, cookie) = csrf_cookie(&state);
            let sealed = form.get("ctx").cloned().unwrap_or_default();
            let message = match e.code {
                50053 => {
                    "Your account is locked because the user ID or password was used too many times. Try again later."
                }
                50057 => "Your account has been disabled. Contact your administrator.",
                _ => "Your account or password is incorrect.",
            };
            let body = sign_in_form(
                "",
                &[("ctx", &sealed), ("csrf", &csrf)],
                login,
                Some(message),
                "",
            );
            return page(StatusCode::OK, "Sign in", &body, Some(cookie));
        }
    };
    let code = Grant {
        typ: "code".into(),
        uid: user.user.id.clone(),
        iat: now,
        exp: now + delegated::CODE_LIFETIME,
        jti: delegated::new_id(),
        ..ctx.clone()
    };
    let sealed = match code.seal(&snap) {
        Ok(s) => s,
        Err(e) => return error_page(&e.to_string()),
    };
    deliver_code(&ctx, &sealed)
}

/// The code back to the client, in the response mode it asked for.
fn deliver_code(ctx: &Grant, code: &str) -> Response {
    let mut pairs = vec![("code", code)];
    if !ctx.state.is_empty() {
        pairs.push(("state", ctx.state.as_str()));
    }
    if ctx.mode == "form_post" {
        let fields: String = pairs
            .iter()
            .map(|(k, v)| {
                format!(
                    "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
                    escape(v)
                )
            })
            .collect();
        let body = format!(
            "<form method=\"post\" action=\"{}\" id=\"back\">{fields}<button type=\"submit\">Continue</button></form>",
            escape(&ctx.redirect)
        );
        return page(StatusCode::OK, "Signed in", &body, None);
    }
    let Ok(mut url) = url::Url::parse(&ctx.redirect) else {
        return error_page("The redirect URI is not a URL.");
    };
    if ctx.mode == "fragment" {
        let f: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        url.set_fragment(Some(&f));
    } else {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    found(url.as_str())
}

async fn devicecode_v1(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    devicecode(&state, &tenant, &body, Endpoint::EntraV1).await
}

async fn devicecode_v2(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    devicecode(&state, &tenant, &body, Endpoint::EntraV2).await
}

async fn devicecode(state: &CloudState, tenant: &str, body: &[u8], endpoint: Endpoint) -> Response {
    let result = match crate::sts::parse_form(body) {
        Ok(form) => crate::user_grants::device_code(state, endpoint, tenant, &form).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => crate::respond::json_response(
            StatusCode::OK,
            serde_json::to_string(&v).expect("a device code answer serializes"),
        ),
        Err(e) => crate::respond::sts_error(e),
    }
}

const CODE_FIELD: &str = "<label>Code<input type=\"text\" name=\"otc\" id=\"otc\" autocomplete=\"off\" required></label>";

/// `GET /devicelogin`: the page a device's user types the code on, and signs in.
async fn device_page(State(state): State<Arc<CloudState>>) -> Response {
    let (csrf, cookie) = csrf_cookie(&state);
    let body = format!(
        "<p>Enter the code shown by the application on your device, then sign in.</p>{}",
        sign_in_form("/devicelogin", &[("csrf", &csrf)], "", None, CODE_FIELD)
    );
    page(StatusCode::OK, "Enter code", &body, Some(cookie))
}

/// `POST /devicelogin`: approves the device's sign-in for the user who signed in here.
async fn device_login(
    State(state): State<Arc<CloudState>>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(form) = crate::sts::parse_form(&body) else {
        return error_page("The form was malformed.");
    };
    if !csrf_ok(&state, &headers, &form) {
        return error_page(
            "This page has expired or was not opened here. Open the device login page again.",
        );
    }
    let again = |message: &str| {
        let (csrf, cookie) = csrf_cookie(&state);
        let login = form.get("login").map(String::as_str).unwrap_or("");
        let body = sign_in_form(
            "/devicelogin",
            &[("csrf", &csrf)],
            login,
            Some(message),
            CODE_FIELD,
        );
        page(StatusCode::OK, "Enter code", &body, Some(cookie))
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let client = address(&peer);
    // Guessing codes counts like guessing passwords, by address.
    if state.lockout.locked("device-code", &client, now) {
        return again("Too many attempts. Try again later.");
    }
    let code: String = form
        .get("otc")
        .map(|c| c.trim().to_ascii_uppercase())
        .unwrap_or_default();
    let devices = state.store.device_authorizations();
    let pending = match devices.pending(&code, now).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(code = e.code(), "device authorization lookup failed: {e}");
            return again("The service could not look up the code now. Try again.");
        }
    };
    let snap = state.snapshot();
    let Some((a, t)) = pending.and_then(|a| snap.tenant(&a.tenant).map(|t| (a, t.clone()))) else {
        state.lockout.failed("device-code", &client, now);
        state.metrics.sign_in("device", "failure");
        return again("That code didn't work. Check the code and try again.");
    };
    let login = form.get("login").map(String::as_str).unwrap_or("");
    let password = form.get("passwd").map(String::as_str).unwrap_or("");
    let user = match check_password(&state, &t, login, password, &client, "device").await {
        Ok(u) => u,
        Err(e) if e.code == 50053 => {
            return again(
                "Your account is locked because the user ID or password was used too many times. Try again later.",
            );
        }
        Err(e) if e.code == 50057 => {
            return again("Your account has been disabled. Contact your administrator.");
        }
        Err(_) => return again("Your account or password is incorrect."),
    };
    match devices.decide(&a.user_code, true, &user.user.id, now).await {
        Ok(true) => {
            let app = t
                .principals
                .get(&a.client_id.to_ascii_lowercase())
                .map(|p| p.sp.display_name.clone())
                .unwrap_or(a.client_id.clone());
            page(
                StatusCode::OK,
                "Signed in",
                &format!(
                    "<p id=\"done\">You have signed in to the {} application on your device. You may now close this window.</p>",
                    escape(&app)
                ),
                None,
            )
        }
        Ok(false) => again("That code has expired or was already used."),
        Err(e) => {
            tracing::warn!(code = e.code(), "device authorization not recorded: {e}");
            again("The service could not record the sign-in now. Try again.")
        }
    }
}

/// `GET /common/userrealm/{name}`: how a name's domain signs in (MSAL asks before a password
/// sign-in). Answered by domain only: it never says whether the user exists.
async fn user_realm(State(state): State<Arc<CloudState>>, Path(name): Path<String>) -> Response {
    let domain = name.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    let snap = state.snapshot();
    let managed = snap.tenant(&domain).is_some();
    let body = UserRealm {
        ver: "1.0",
        account_type: if managed { "Managed" } else { "Unknown" },
        cloud_instance_name: managed
            .then(|| crate::state::authority_of(&state.config.public_url).to_string()),
        cloud_audience_urn: managed.then_some("urn:federation:MicrosoftOnline"),
        domain_name: domain,
    };
    let text = serde_json::to_string(&body).expect("a user realm serializes");
    crate::respond::json_response(StatusCode::OK, text)
}

/// The home realm discovery answer MSAL reads: whether the domain is a tenant's.
#[derive(serde::Serialize)]
struct UserRealm {
    ver: &'static str,
    account_type: &'static str,
    domain_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_instance_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_audience_urn: Option<&'static str>,
}
