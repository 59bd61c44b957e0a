//! `hybrid demo --hma`: after the runbook, Microsoft's "Configure Exchange Server on-premises to
//! use Hybrid Modern Authentication", then a user signs in as Outlook does and reads her inbox
//! with her own token: the empty-Bearer probe names where to sign in, the tenant's OpenID
//! configuration names the endpoints, the sign-in page takes her password (authorization code
//! with PKCE), and EWS takes the v1 token for its own host.

use super::{Demo, EXCHANGE};
use base64::Engine;
use cloud::model::ServicePrincipal;
use cloud::users::SyncReport;
use onprem::model::{AuthServer, AuthServerType};
use s2s::entra::OpenIdConfiguration;
use s2s::token_answer::TokenAnswer;
use s2s::user_token::UserTokenClaims;
use serde::de::IgnoredAny;

const OUTLOOK: &str = "d3590ed6-52b3-4102-aeff-aad2292ab01c";
const USER: &str = "alice@contoso.com";

pub(super) fn procedure(d: &mut Demo, cloud: &str, onprem: &str, tenant: &str) {
    println!("\n== Hybrid Modern Authentication (Microsoft's procedure, after the runbook)");
    let evosts = evosts(d, cloud, tenant);
    let (sp, _): (Vec<ServicePrincipal>, _) = d.list(
        "Get-MgServicePrincipal 00000002-… (its SPNs)",
        &[
            "cloud",
            "get-service-principal",
            "--service-principal-id",
            EXCHANGE,
        ],
    );
    let mut spns: Vec<String> = sp
        .into_iter()
        .next()
        .map(|sp| sp.service_principal_names)
        .unwrap_or_default();
    let own = format!("{onprem}/");
    if !spns.iter().any(|s| s.eq_ignore_ascii_case(&own)) {
        spns.push(own.clone());
    }
    d.step(
        &format!("1. every client URL is an SPN of {EXCHANGE} (adds {own})"),
        &[
            "cloud",
            "set-service-principal-names",
            "--service-principal-id",
            EXCHANGE,
            "--service-principal-names",
            &spns.join(","),
        ],
    );
    d.read::<IgnoredAny>(
        &format!("3. Set-AuthServer '{evosts}' -IsDefaultAuthorizationEndpoint $true"),
        &[
            "onprem",
            "set-auth-server",
            "--identity",
            &evosts,
            "--is-default-authorization-endpoint",
            "true",
        ],
    );
    d.read::<IgnoredAny>(
        "4. Set-OrganizationConfig -OAuth2ClientProfileEnabled $true",
        &[
            "onprem",
            "set-organization-config",
            "--oauth2-client-profile-enabled",
            "true",
        ],
    );
    let (report, text): (SyncReport, _) = d.read(
        "5. users synchronized to the tenant (hybrid cloud sync)",
        &["cloud", "sync"],
    );
    d.check(
        "alice and bob are users of the tenant, with their on-premises SIDs",
        ["alice@contoso.com", "bob@contoso.com"]
            .iter()
            .all(|u| report.added.iter().chain(&report.updated).any(|x| x == u))
            || report.unchanged >= 2,
        &text,
    );
    let password = format!("Demo-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    d.read::<IgnoredAny>(
        "alice's cloud password set",
        &[
            "cloud",
            "set-user-password",
            "--user",
            USER,
            "--password",
            &password,
        ],
    );
    d.read::<IgnoredAny>(
        "admin consent: Outlook may use EWS as the user (EWS.AccessAsUser.All)",
        &[
            "cloud",
            "grant-delegated-permission",
            "--client-id",
            OUTLOOK,
            "--scope",
            "EWS.AccessAsUser.All",
        ],
    );
    sign_in_as_outlook(d, onprem, &password);
}

/// The organization's AzureAD AuthServer, made from the tenant's federation metadata as the
/// Hybrid Configuration Wizard makes it when the runbook's shared mode has none.
fn evosts(d: &mut Demo, cloud: &str, tenant: &str) -> String {
    let (_, out, _) = d.h(&["onprem", "get-auth-server", "--json"]);
    let list: Vec<AuthServer> = serde_json::from_str::<Vec<AuthServer>>(&out)
        .or_else(|_| serde_json::from_str::<AuthServer>(&out).map(|one| vec![one]))
        .unwrap_or_default();
    if let Some(s) = list.iter().find(|s| s.kind == AuthServerType::AzureAD) {
        return s.name.clone();
    }
    let name = format!("EvoSts - {tenant}");
    let federation = format!("{cloud}/{tenant}/federationmetadata/2007-06/federationmetadata.xml");
    d.read::<IgnoredAny>(
        &format!(
            "New-AuthServer '{name}' -Type AzureAD (as the Hybrid Configuration Wizard makes it)"
        ),
        &[
            "onprem",
            "new-auth-server",
            "--name",
            &name,
            "--type",
            "AzureAD",
            "--auth-metadata-url",
            &federation,
        ],
    );
    name
}

fn http(d: &Demo) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(ca) = std::fs::read(d.data.join("ca.pem"))
        .ok()
        .and_then(|pem| reqwest::Certificate::from_pem(&pem).ok())
    {
        b = b.add_root_certificate(ca);
    }
    b.build().expect("an HTTP client builds")
}

/// The value of a hidden input of a page.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    page.split_once(&marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(v, _)| v.replace("&amp;", "&"))
        .unwrap_or_default()
}

/// What a sign-in needs of the server: where to sign in and where to redeem the code.
struct Endpoints {
    authorize: String,
    token: String,
}

/// A public client's authorization request with PKCE: its query and its verifier.
struct Request {
    query: Vec<(&'static str, String)>,
    verifier: String,
}

impl Request {
    fn new(scope: &str) -> Request {
        let verifier = crypto::base64url(&crypto::sha256(uuid::Uuid::new_v4().as_bytes()));
        let challenge = crypto::base64url(&crypto::sha256(verifier.as_bytes()));
        let query = vec![
            ("client_id", OUTLOOK.to_string()),
            ("response_type", "code".into()),
            ("redirect_uri", REDIRECT.into()),
            ("scope", scope.to_string()),
            ("state", uuid::Uuid::new_v4().to_string()),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256".into()),
            ("login_hint", USER.into()),
        ];
        Request { query, verifier }
    }
}

const REDIRECT: &str = "http://localhost/";

fn sign_in_as_outlook(d: &mut Demo, onprem: &str, password: &str) {
    println!("\n== alice signs in as Outlook does, and reads her inbox with her own token");
    let client = http(d);
    let ews_url = format!("{onprem}/EWS/Exchange.asmx");
    let Some(endpoints) = discover(d, &client, &ews_url) else {
        return;
    };
    let scope = format!("{onprem}/EWS.AccessAsUser.All offline_access openid");
    let request = Request::new(&scope);
    let Some(code) = sign_in(d, &client, &endpoints, &request, password) else {
        return;
    };
    let tokens: TokenAnswer = client
        .post(&endpoints.token)
        .form(&[
            ("client_id", OUTLOOK),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &request.verifier),
            ("scope", &scope),
        ])
        .send()
        .and_then(|r| r.json())
        .unwrap_or_default();
    let token = tokens.access_token.clone().unwrap_or_default();
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<UserTokenClaims>(&b).ok())
        .unwrap_or_default();
    let v1 = claims.ver.as_deref() == Some("1.0")
        && claims.aud.as_deref() == Some(onprem)
        && claims.onprem_sid.is_some();
    let answer = format!(
        "token_type {:?}, access token {}, refresh token {}, error {} {}",
        tokens.token_type,
        if token.is_empty() {
            "absent"
        } else {
            "present"
        },
        if tokens.refresh_token.is_some() {
            "present"
        } else {
            "absent"
        },
        tokens.error,
        tokens.error_description
    );
    if !d.check(
        "the code is redeemed for a v1 token for the on-premises host, naming alice's SID",
        v1,
        &answer,
    ) {
        return;
    }
    for (k, v) in [
        ("aud", &claims.aud),
        ("iss", &claims.iss),
        ("appid", &claims.appid),
        ("scp", &claims.scp),
        ("upn", &claims.upn),
        ("onprem_sid", &claims.onprem_sid),
    ] {
        println!("      {k:<10} {}", v.as_deref().unwrap_or(""));
    }
    read_inbox(d, &client, &ews_url, &token);
    d.check(
        "and a refresh token came with it (offline_access)",
        tokens.refresh_token.is_some(),
        &answer,
    );
}

/// The empty-Bearer probe names where to sign in; Outlook goes to that (`common`) authority,
/// whose OpenID configuration names the endpoints (the tenant is the user's).
fn discover(d: &mut Demo, client: &reqwest::blocking::Client, ews_url: &str) -> Option<Endpoints> {
    let probe = client
        .post(ews_url)
        .header("authorization", "Bearer")
        .send();
    let challenge = probe
        .as_ref()
        .ok()
        .and_then(|r| r.headers().get("www-authenticate"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let authorize = s2s::BearerChallenge::parse(&challenge)
        .ok()
        .and_then(|c| c.authorization_uri);
    if !d.check(
        "the empty-Bearer probe names where to sign in (authorization_uri)",
        authorize.is_some(),
        &challenge,
    ) {
        return None;
    }
    println!("      WWW-Authenticate: {challenge}");
    let authority = authorize
        .unwrap_or_default()
        .trim_end_matches("/oauth2/authorize")
        .to_string();
    let config: OpenIdConfiguration = client
        .get(format!("{authority}/v2.0/.well-known/openid-configuration"))
        .send()
        .and_then(|r| r.json())
        .unwrap_or_default();
    let found = (!config.authorization_endpoint.is_empty() && !config.token_endpoint.is_empty())
        .then(|| Endpoints {
            authorize: config.authorization_endpoint.clone(),
            token: config.token_endpoint.clone(),
        });
    d.check(
        &format!("its OpenID configuration ({authority}) names the endpoints"),
        found.is_some(),
        &format!("{config:?}"),
    );
    found
}

/// The sign-in page, as a browser shows and posts it: its cookie and hidden fields kept, the
/// name and password typed. The code the browser is sent back with.
fn sign_in(
    d: &mut Demo,
    client: &reqwest::blocking::Client,
    endpoints: &Endpoints,
    request: &Request,
    password: &str,
) -> Option<String> {
    let page = client
        .get(&endpoints.authorize)
        .query(&request.query)
        .send();
    let (cookie, html) = match page {
        Ok(r) => {
            let cookie = r
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .to_string();
            (cookie, r.text().unwrap_or_default())
        }
        Err(e) => (String::new(), e.to_string()),
    };
    if !d.check(
        "the sign-in page (authorization code with PKCE)",
        html.contains("name=\"passwd\""),
        &html,
    ) {
        return None;
    }
    let form = [
        ("ctx", field(&html, "ctx")),
        ("csrf", field(&html, "csrf")),
        ("login", USER.into()),
        ("passwd", password.into()),
    ];
    let posted = client
        .post(&endpoints.authorize)
        .query(&request.query)
        .header("cookie", cookie)
        .form(&form)
        .send();
    let (location, answer) = match posted {
        Ok(r) => (
            r.headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            r.text().unwrap_or_default(),
        ),
        Err(e) => (String::new(), e.to_string()),
    };
    let code = url::Url::parse(&location).ok().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
    });
    d.check(
        "signed in: the browser is sent back to Outlook with a code",
        code.is_some(),
        &format!("{location}{answer}"),
    );
    code
}

/// FindItem in alice's inbox with her own token.
fn read_inbox(d: &mut Demo, client: &reqwest::blocking::Client, ews_url: &str, token: &str) {
    let text = client
        .post(ews_url)
        .header("content-type", "text/xml; charset=utf-8")
        .bearer_auth(token)
        .body(super::find_items("inbox").to_xml())
        .send()
        .and_then(|r| r.text())
        .unwrap_or_default();
    let ok = ews::Response::parse(&text).is_ok_and(|r| {
        !r.messages.is_empty()
            && r.messages
                .iter()
                .all(|m| m.class == ews::ResponseClass::Success)
    });
    d.check(
        "EWS takes alice's own token: FindItem in her inbox succeeds",
        ok,
        &text,
    );
}
