//! The doctor's Hybrid Modern Authentication checks, run once HMA is configured (the switch
//! on, or an AzureAD AuthServer made the default authorization endpoint): each client URL an
//! SPN of 00000002-…, exactly one default authorization endpoint, OAuth2ClientProfileEnabled,
//! Outlook's consent, the directory in step with on premises, and the challenge naming
//! `authorization_uri` as a client's discovery sees it.

use super::checks::{Facts, Finding, Flow, breaks};
use cloud::consent::PermissionGrant;
use cloud::users::User;
use onprem::model::{AuthServer, AuthServerType, Organization, Recipient};

pub const OUTLOOK: &str = "d3590ed6-52b3-4102-aeff-aad2292ab01c";

/// What HMA needs read, besides the runbook's facts.
pub struct HmaFacts {
    /// The URLs clients reach on-premises services at (the server's own, the published EWS URL).
    pub client_urls: Vec<String>,
    /// Get-Recipient.
    pub recipients: Vec<Recipient>,
    /// Graph `users` of the tenant.
    pub users: Vec<User>,
    /// Graph `oauth2PermissionGrants` of the tenant.
    pub grants: Vec<PermissionGrant>,
    /// Object ids of Outlook's and of Exchange's service principals.
    pub outlook_sp_id: String,
    pub exchange_sp_id: String,
    /// The `WWW-Authenticate` of an empty Bearer at on-premises EWS, or why it was not read.
    pub challenge: Result<String, String>,
}

/// Whether the organization has started HMA: then its checks apply.
pub fn configured(org: &Organization, auth_servers: &[AuthServer]) -> bool {
    org.oauth2_client_profile_enabled || default_endpoints(auth_servers).next().is_some()
}

fn default_endpoints(auth_servers: &[AuthServer]) -> impl Iterator<Item = &AuthServer> {
    auth_servers.iter().filter(|a| {
        a.kind == AuthServerType::AzureAD && a.enabled && a.is_default_authorization_endpoint
    })
}

/// `scheme://host[:port]`, lower-cased, of a URL.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
}

pub fn findings(f: &Facts) -> Vec<Finding> {
    let Some(h) = &f.hma else { return vec![] };
    let mut out = vec![];
    out.extend(spns(f, h));
    out.extend(default_endpoint(f));
    if !f.org.oauth2_client_profile_enabled {
        out.push(breaks(
            "HmaClientProfileOff",
            &[Flow::UserSignIn],
            "OAuth2ClientProfileEnabled is off: EWS and Autodiscover refuse users' tokens (2020)"
                .into(),
            vec![
                "hybrid onprem set-organization-config --oauth2-client-profile-enabled true".into(),
            ],
        ));
    }
    out.extend(consent(h));
    out.extend(directory(h));
    out.extend(challenge(f, h));
    out
}

fn spns(f: &Facts, h: &HmaFacts) -> Vec<Finding> {
    let names: Vec<String> = f
        .exchange_sp
        .service_principal_names
        .iter()
        .filter(|n| n.contains("://"))
        .map(|n| origin(n))
        .collect();
    let missing: Vec<String> = h
        .client_urls
        .iter()
        .map(|u| origin(u))
        .filter(|o| !names.contains(o))
        .collect();
    if missing.is_empty() {
        return vec![];
    }
    let mut all: Vec<String> = f.exchange_sp.service_principal_names.clone();
    all.extend(missing.iter().map(|m| format!("{m}/")));
    vec![breaks(
        "HmaClientUrlNotSpn",
        &[Flow::UserSignIn],
        format!(
            "{} is not a servicePrincipalName of 00000002-…: the cloud issues no user token for it (500011), and a token for another host is refused on premises (4002)",
            missing.join(", ")
        ),
        vec![format!(
            "hybrid cloud set-service-principal-names --service-principal-id 00000002-0000-0ff1-ce00-000000000000 --service-principal-names {}",
            all.join(",")
        )],
    )]
}

fn default_endpoint(f: &Facts) -> Vec<Finding> {
    let defaults: Vec<&AuthServer> = default_endpoints(&f.auth_servers).collect();
    let azure: Vec<&AuthServer> = f
        .auth_servers
        .iter()
        .filter(|a| a.kind == AuthServerType::AzureAD)
        .collect();
    match defaults.len() {
        1 => vec![],
        0 => {
            let fix = match azure.first() {
                Some(a) => format!("hybrid onprem set-auth-server --identity \"{}\" --is-default-authorization-endpoint true", a.name.as_str()),
                None => format!("hybrid onprem new-auth-server --name \"EvoSts - {t}\" --type AzureAD --auth-metadata-url {}/{t}/federationmetadata/2007-06/federationmetadata.xml --is-default-authorization-endpoint true", f.cloud_url, t = f.tenant_id),
            };
            vec![breaks(
                "HmaNoDefaultAuthorizationEndpoint",
                &[Flow::UserSignIn],
                "no enabled AzureAD AuthServer is the default authorization endpoint: the challenge names no authorization_uri, so clients cannot find where to sign in".into(),
                vec![fix],
            )]
        }
        _ => vec![breaks(
            "HmaSeveralDefaultAuthorizationEndpoints",
            &[Flow::UserSignIn],
            format!(
                "{} AuthServers are the default authorization endpoint ({}): Exchange then names none in its challenge",
                defaults.len(),
                defaults.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
            defaults
                .iter()
                .skip(1)
                .map(|a| format!("hybrid onprem set-auth-server --identity \"{}\" --is-default-authorization-endpoint false", a.name.as_str()))
                .collect(),
        )],
    }
}

fn consent(h: &HmaFacts) -> Vec<Finding> {
    let granted = h.grants.iter().any(|g| {
        g.client_id.eq_ignore_ascii_case(&h.outlook_sp_id)
            && g.resource_id.eq_ignore_ascii_case(&h.exchange_sp_id)
            && g.scope
                .split_whitespace()
                .any(|p| p.eq_ignore_ascii_case("EWS.AccessAsUser.All"))
    });
    if granted {
        return vec![];
    }
    vec![breaks(
        "HmaOutlookNotConsented",
        &[Flow::UserSignIn],
        "Outlook has no admin consent for EWS.AccessAsUser.All on Office 365 Exchange Online: its sign-ins end in AADSTS65001".into(),
        vec![format!("hybrid cloud grant-delegated-permission --client-id {OUTLOOK} --scope EWS.AccessAsUser.All")],
    )]
}

/// The people on premises against the tenant's synchronized users: missing, stale (UPN, SID,
/// enabled) or left over.
fn directory(h: &HmaFacts) -> Vec<Finding> {
    let want = crate::hma::synced_users(&h.recipients);
    let mut stale = vec![];
    let immutable = |u: &User| u.on_premises_immutable_id.clone().unwrap_or_default();
    for w in &want {
        let found = h
            .users
            .iter()
            .find(|u| immutable(u) == w.on_premises_immutable_id);
        let same = found.is_some_and(|u| {
            u.user_principal_name
                .eq_ignore_ascii_case(&w.user_principal_name)
                && u.on_premises_security_identifier.as_deref()
                    == Some(w.on_premises_security_identifier.as_str())
                && u.account_enabled == w.account_enabled
        });
        if !same {
            stale.push(w.user_principal_name.clone());
        }
    }
    let left: Vec<String> = h
        .users
        .iter()
        .filter(|u| u.on_premises_sync_enabled == Some(true))
        .filter(|u| {
            !want
                .iter()
                .any(|w| w.on_premises_immutable_id == immutable(u))
        })
        .map(|u| u.user_principal_name.clone())
        .collect();
    if stale.is_empty() && left.is_empty() {
        return vec![];
    }
    let mut parts = vec![];
    if !stale.is_empty() {
        parts.push(format!("not in step in the tenant: {}", stale.join(", ")));
    }
    if !left.is_empty() {
        parts.push(format!(
            "gone on premises but still users of the tenant: {}",
            left.join(", ")
        ));
    }
    vec![breaks(
        "HmaDirectoryOutOfStep",
        &[Flow::UserSignIn],
        format!(
            "the directory synchronization is behind: {}",
            parts.join("; ")
        ),
        vec!["hybrid cloud sync".into()],
    )]
}

/// The challenge a client's discovery reads: `authorization_uri` at the cloud's host.
fn challenge(f: &Facts, h: &HmaFacts) -> Vec<Finding> {
    let want = format!("{}/common/oauth2/authorize", origin(&f.cloud_url));
    let got = match &h.challenge {
        Ok(c) => s2s::BearerChallenge::parse(c)
            .ok()
            .and_then(|c| c.authorization_uri),
        Err(why) => {
            return vec![breaks(
                "HmaChallengeNotRead",
                &[Flow::UserSignIn],
                format!("the empty-Bearer probe at on-premises EWS got no challenge: {why}"),
                vec!["hybrid doctor".into()],
            )];
        }
    };
    if got
        .as_deref()
        .is_some_and(|g| g.eq_ignore_ascii_case(&want))
    {
        return vec![];
    }
    vec![breaks(
        "HmaChallengeWithoutAuthorizationUri",
        &[Flow::UserSignIn],
        format!(
            "the empty-Bearer probe's challenge names {} where clients should sign in at {want}",
            got.map(|g| format!("authorization_uri=\"{g}\""))
                .unwrap_or_else(|| "no authorization_uri".into())
        ),
        vec![format!(
            "hybrid onprem set-auth-server --identity \"{}\" --auth-metadata-url {}/{}/federationmetadata/2007-06/federationmetadata.xml --is-default-authorization-endpoint true",
            f.auth_servers
                .iter()
                .find(|a| a.kind == AuthServerType::AzureAD)
                .map(|a| a.name.clone())
                .unwrap_or_else(|| format!("EvoSts - {}", f.tenant_id)),
            f.cloud_url,
            f.tenant_id
        )],
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
        serde_json::from_value(v).unwrap()
    }

    const SID: &str = "S-1-5-21-1-2-3-1001";
    const GUID: &str = "33221100-5544-7766-8899-aabbccddeeff";

    fn hma_facts() -> HmaFacts {
        HmaFacts {
            client_urls: vec!["https://mail.contoso.com/EWS/Exchange.asmx".into()],
            recipients: vec![of(json!({ "RecipientType": "UserMailbox", "UserPrincipalName": "alice@contoso.com",
                                      "Sid": SID, "Guid": GUID, "PrimarySmtpAddress": "alice@contoso.com" }))],
            users: vec![of(json!({ "id": "u1", "displayName": "Alice", "userPrincipalName": "alice@contoso.com",
                                 "onPremisesSecurityIdentifier": SID,
                                 "onPremisesImmutableId": crate::hma::immutable_id(GUID).unwrap(),
                                 "accountEnabled": true, "onPremisesSyncEnabled": true,
                                 "signInSessionsValidFromDateTime": "2026-01-01T00:00:00Z",
                                 "createdDateTime": "2026-01-01T00:00:00Z" }))],
            grants: vec![of(json!({ "id": "g1", "clientId": "o", "consentType": "AllPrincipals", "resourceId": "x",
                                   "scope": "EWS.AccessAsUser.All" }))],
            outlook_sp_id: "o".into(),
            exchange_sp_id: "x".into(),
            challenge: Ok("Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", authorization_uri=\"http://127.0.0.1:8441/common/oauth2/authorize\"".into()),
        }
    }

    fn with_hma() -> Facts {
        let mut f = crate::doctor::checks::tests::healthy();
        f.org.oauth2_client_profile_enabled = true;
        f.auth_servers[1].is_default_authorization_endpoint = true;
        f.hma = Some(hma_facts());
        f
    }

    fn codes(f: &Facts) -> Vec<&'static str> {
        findings(f).iter().map(|x| x.code).collect()
    }

    #[test]
    fn a_configured_organization_has_nothing_to_report() {
        assert_eq!(codes(&with_hma()), Vec::<&str>::new());
    }

    #[test]
    fn each_missing_step_is_found_with_its_fix() {
        let mut f = with_hma();
        f.org.oauth2_client_profile_enabled = false;
        f.auth_servers[1].is_default_authorization_endpoint = false;
        let h = f.hma.as_mut().unwrap();
        h.client_urls.push("https://127.0.0.1:8443".into());
        h.grants.clear();
        h.users[0].account_enabled = false;
        h.challenge = Ok("Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\"".into());
        let found = codes(&f);
        for code in [
            "HmaClientUrlNotSpn",
            "HmaNoDefaultAuthorizationEndpoint",
            "HmaClientProfileOff",
            "HmaOutlookNotConsented",
            "HmaDirectoryOutOfStep",
            "HmaChallengeWithoutAuthorizationUri",
        ] {
            assert!(found.contains(&code), "{code} in {found:?}");
        }
        let all = findings(&f);
        let spn = all.iter().find(|x| x.code == "HmaClientUrlNotSpn").unwrap();
        assert!(
            spn.fix[0].contains("https://mail.contoso.com/,https://127.0.0.1:8443/"),
            "{:?}",
            spn.fix
        );
        assert!(
            all.iter()
                .all(|x| x.breaks == [Flow::UserSignIn] && !x.fix.is_empty())
        );
    }

    #[test]
    fn two_default_endpoints_are_one_too_many() {
        let mut f = with_hma();
        let mut second = f.auth_servers[1].clone();
        second.name = "EvoSts - other".into();
        f.auth_servers.push(second);
        assert_eq!(codes(&f), ["HmaSeveralDefaultAuthorizationEndpoints"]);
    }

    #[test]
    fn not_started_means_not_checked() {
        let f = crate::doctor::checks::tests::healthy();
        assert!(!configured(&f.org, &f.auth_servers));
        assert!(findings(&f).is_empty());
    }
}
