//! Application tokens at the directory API: an ACS token this server issued for the Graph
//! resource (`00000002-0000-0000-c000-000000000000/<this server>@<tenant>`) identifies an
//! application of a tenant. It may read its own service principal and nothing else: that is how
//! a partner service learns which certificates it is to trust (the keys uploaded in step 5)
//! without holding a tenant administrator credential.

use crate::snapshot::{Caller, Snapshot};
use s2s::ids::{AAD_GRAPH_APP_ID, ACS_APP_ID, Audience, PrincipalId, id_eq};
use s2s::jwt::Jwt;

/// Clock skew allowed on `nbf`/`exp`, as at the token endpoint.
const SKEW: i64 = 300;

/// The application a Graph token was issued to, or why the token is not one.
pub fn application(
    snap: &Snapshot,
    token: &str,
    authority: &str,
    now: i64,
) -> Result<Caller, String> {
    let jwt = Jwt::decode(token).map_err(|e| e.to_string())?;
    if jwt.alg() != "RS256" || !jwt.is_signed() {
        return Err("the token is not signed with RS256".into());
    }
    let x5t = jwt.header.x5t.as_deref().unwrap_or("");
    let key = snap
        .signing_keys
        .iter()
        .find(|k| k.certificate.x5t() == x5t)
        .ok_or("the token was not signed by this token service")?;
    let public = key.certificate.public_key().map_err(|e| e.to_string())?;
    public
        .verify_rs256(jwt.signing_input(), &jwt.signature)
        .map_err(|_| "the signature does not verify")?;
    let c = &jwt.claims;
    let iss = c.iss.as_deref().and_then(PrincipalId::parse_nameid);
    let tenant = iss
        .as_ref()
        .filter(|i| id_eq(&i.app_id, ACS_APP_ID))
        .and_then(|i| snap.tenant(&i.realm))
        .ok_or("the issuer is not this token service for a tenant")?;
    let tid = &tenant.tenant.id;
    let aud = c.aud.as_deref().and_then(Audience::parse);
    if !aud.is_some_and(|a| {
        id_eq(&a.app_id, AAD_GRAPH_APP_ID) && id_eq(&a.host, authority) && id_eq(&a.realm, tid)
    }) {
        return Err("the token is not for this directory".into());
    }
    let (nbf, exp) = (
        c.nbf.map(|d| d.seconds).unwrap_or(0),
        c.exp.map(|d| d.seconds).ok_or("the token has no exp")?,
    );
    if now + SKEW < nbf || now - SKEW >= exp {
        return Err("the token has expired or is not yet valid".into());
    }
    let app = c
        .nameid
        .as_deref()
        .and_then(PrincipalId::parse_nameid)
        .filter(|n| id_eq(&n.realm, tid))
        .ok_or("the token names no application of the tenant")?;
    Ok(Caller::Application {
        tenant_id: tid.clone(),
        app_id: app.app_id,
    })
}
