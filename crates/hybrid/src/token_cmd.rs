use crate::error::CliError;
use crate::output::{Output, format_list};
use clap::{Args, Subcommand};
use crypto::Certificate;
use s2s::ids::{ACS_APP_ID, EXCHANGE_APP_ID, SKYPE_APP_ID};
use s2s::inspect::{Inspection, SignatureCheck, inspect};
use s2s::token::{OuterToken, SelfIssuedActor};
use s2s::{
    Audience, BearerChallenge, IssuerKey, IssuerKind, Jwt, PartnerApplicationTrust, PrincipalId,
    RequestContext, TrustSnapshot, TrustedIssuer, UserContext, Validator,
};
use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Decode any S2S token or JWT (Microsoft's included) and explain it: header, claims,
    /// well-known applications, realms, hosts, times, and the actor token inside an outer token.
    /// With --cert, verify the signature. Exit status 0 only for a well-formed token whose
    /// signature, when asked, verifies.
    Inspect {
        /// The token, a pasted `Authorization: Bearer …` line, or `-` (the default) for stdin.
        token: Option<String>,
        /// Certificate (DER or PEM) whose key should verify the signature.
        #[arg(long)]
        cert: Option<PathBuf>,
    },
    /// Sign a self-issued actor token with a certificate's key, as Exchange does for its
    /// outbound calls; with --user-*, wrap it in an unsigned outer token for that user.
    New(NewArgs),
    /// Ask a token service for an actor token, as a partner does: sign a client assertion with
    /// the certificate's key and send the assertion grant. Prints the token (with --user-*,
    /// wrapped in an outer token for that user) or the service's refusal.
    Request(RequestArgs),
    /// Run the on-premises inbound validation pipeline on a token, offline, against a trust
    /// built from the options: what would a server at --host answer?
    Validate(ValidateArgs),
}

#[derive(Args)]
pub struct NewArgs {
    /// The signing certificate (DER or PEM); its x5t goes into the header.
    #[arg(long)]
    cert: PathBuf,
    /// The certificate's private key (PKCS#8 or PKCS#1, DER or PEM).
    #[arg(long)]
    key: PathBuf,
    /// Issuer and nameid, as app@realm (e.g. 00000002-0000-0ff1-ce00-000000000000@contoso.com).
    #[arg(long)]
    issuer: String,
    /// Audience, as app/host@realm (e.g. 00000004-0000-0ff1-ce00-000000000000/lync.contoso.com@contoso.com).
    #[arg(long)]
    audience: String,
    /// Lifetime in seconds (Exchange uses 24 hours for actor tokens).
    #[arg(long, default_value_t = 86_400)]
    lifetime: i64,
    /// The user's primary SMTP address, for an act-as (outer) token.
    #[arg(long)]
    user_smtp: Option<String>,
    /// The user's UPN, for an act-as (outer) token.
    #[arg(long)]
    user_upn: Option<String>,
    /// The user's SIP address, for an act-as (outer) token.
    #[arg(long)]
    user_sip: Option<String>,
}

#[derive(Args)]
pub struct RequestArgs {
    /// The client's signing certificate (a Verify key credential of its service principal).
    /// Default: the admin client certificate `hybrid up` registered (DIR/cloud/admin-client.pem).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// The certificate's private key. Default: DIR/cloud/admin-client-key.pem.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// The client application id.
    #[arg(long, default_value = "00000004-0000-0ff1-ce00-000000000000")]
    client: String,
    /// The tenant (realm) id. Default: the one tenant known under DIR/cloud/.
    #[arg(long)]
    tenant: Option<String>,
    /// The token endpoint (the metadata document's OAuth2 issuance endpoint). Default: the
    /// cloud server recorded under DIR/cloud/, at /<tenant>/tokens/OAuth/2.
    #[arg(long)]
    token_endpoint: Option<String>,
    /// The resource, app/host@realm, e.g. 00000002-0000-0ff1-ce00-000000000000/mail.contoso.com@contoso.com.
    /// Default: 00000002-… at the host of the organization's EWS URL, in the tenant.
    #[arg(long)]
    resource: Option<String>,
    /// Wrap the actor token in an outer token for the user with this SMTP address.
    #[arg(long)]
    user_smtp: Option<String>,
    /// The user's SIP address, for the outer token.
    #[arg(long)]
    user_sip: Option<String>,
    /// The user's UPN, for the outer token.
    #[arg(long)]
    user_upn: Option<String>,
}

#[derive(Args)]
pub struct ValidateArgs {
    /// The token, a pasted `Authorization: Bearer …` line, or `-` (the default) for stdin.
    token: Option<String>,
    /// The host the request is sent to (the request URI authority).
    #[arg(long)]
    host: String,
    /// A signing certificate of the trusted issuer (repeatable).
    #[arg(long = "trust-cert", required_unless_present = "trust_metadata")]
    trust_certs: Vec<PathBuf>,
    /// Trust the issuer a metadata document describes (its issuer and signing certificates),
    /// as New-AuthServer -AuthMetadataUrl does; e.g. http://127.0.0.1:8441/contoso.com/metadata/json/1.
    #[arg(long)]
    trust_metadata: Option<String>,
    /// The trusted issuer as id@realm. Default: the actor token's own `iss`. An issuer whose id
    /// is ACS's (00000001-…) is trusted as an AuthServer; any other as a self-issuing partner
    /// application.
    #[arg(long)]
    issuer: Option<String>,
    /// With an ACS issuer: the partner application (UseAuthServer) it vouches for.
    #[arg(long, default_value = SKYPE_APP_ID)]
    partner_app: String,
    /// A realm of the organization (repeatable). Default: the issuer's realm.
    #[arg(long = "local-realm")]
    local_realms: Vec<String>,
    /// AuthConfig ServiceName: the app id audiences must name.
    #[arg(long, default_value = EXCHANGE_APP_ID)]
    service_name: String,
    /// Allowed clock skew in seconds.
    #[arg(long, default_value_t = 300)]
    skew_seconds: i64,
    /// Validate as of this Unix time instead of now.
    #[arg(long)]
    at: Option<i64>,
}

pub fn run(cmd: TokenCommand, data: &crate::paths::DataDir, out: &Output) -> Result<(), CliError> {
    match cmd {
        TokenCommand::Inspect { token, cert } => inspect_cmd(token, cert, out),
        TokenCommand::New(args) => new_cmd(args),
        TokenCommand::Request(args) => request_cmd(args, data),
        TokenCommand::Validate(args) => validate_cmd(args, out),
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Reads the token from the argument or stdin, accepting a pasted Authorization header.
fn read_token(arg: Option<String>) -> Result<String, CliError> {
    let raw = match arg.as_deref() {
        None | Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .take(s2s::jwt::MAX_TOKEN_BYTES as u64 * 2)
                .read_to_string(&mut s)
                .map_err(|e| CliError::Io {
                    path: "stdin".into(),
                    source: e,
                })?;
            s
        }
        Some(t) => t.to_string(),
    };
    let mut t = raw.trim();
    if let Some((name, rest)) = t.split_once(':')
        && name.trim().eq_ignore_ascii_case("authorization")
    {
        t = rest.trim();
    }
    if t.len() > 7 && t[..7].eq_ignore_ascii_case("bearer ") {
        t = t[7..].trim();
    }
    if t.is_empty() {
        return Err(CliError::Usage(
            "no token given (pass it as an argument or on stdin)".into(),
        ));
    }
    Ok(t.to_string())
}

fn load_cert(path: &PathBuf) -> Result<Certificate, CliError> {
    let data = std::fs::read(path).map_err(|e| CliError::io(path, e))?;
    Ok(Certificate::from_der_or_pem(&data)?)
}

fn inspect_cmd(token: Option<String>, cert: Option<PathBuf>, out: &Output) -> Result<(), CliError> {
    let token = read_token(token)?;
    let mut i = inspect(&token, now())?;
    let verified = match &cert {
        Some(p) => Some(i.verify_with(&load_cert(p)?)),
        None => None,
    };
    if out.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&i.to_json()).expect("JSON prints")
        );
    } else {
        print!("{}", render(&i, 0));
    }
    match verified {
        Some(false) => Err(CliError::Refused {
            code: crate::error::Code::SignatureInvalid,
            message: "the signature does not verify with the given certificate".into(),
        }),
        _ => Ok(()),
    }
}

fn new_cmd(args: NewArgs) -> Result<(), CliError> {
    let (cert, key) = load_pair(&args.cert, &args.key)?;
    let issuer = PrincipalId::parse_nameid(&args.issuer)
        .ok_or_else(|| CliError::Usage(format!("--issuer '{}' is not app@realm", args.issuer)))?;
    let audience = Audience::parse(&args.audience).ok_or_else(|| {
        CliError::Usage(format!(
            "--audience '{}' is not app/host@realm",
            args.audience
        ))
    })?;
    if args.lifetime <= 0 {
        return Err(CliError::Usage("--lifetime must be positive".into()));
    }
    let nbf = now();
    let exp = nbf + args.lifetime;
    let actor = SelfIssuedActor {
        issuer: &issuer,
        audience: &audience,
        not_before: nbf,
        expires: exp,
    }
    .sign(&key, &cert);
    let user = UserContext {
        upn: args.user_upn,
        smtp: args.user_smtp,
        sip: args.user_sip,
        ..Default::default()
    };
    if user.upn.is_none() && user.smtp.is_none() && user.sip.is_none() {
        println!("{actor}");
    } else {
        let outer = OuterToken {
            actor_token: &actor,
            audience: &audience,
            issuer: &issuer,
            not_before: nbf,
            expires: exp,
            user: &user,
        };
        println!("{}", outer.encode());
    }
    Ok(())
}

fn load_pair(
    cert: &PathBuf,
    key: &PathBuf,
) -> Result<(Certificate, crypto::RsaPrivateKey), CliError> {
    let c = load_cert(cert)?;
    let bytes = std::fs::read(key).map_err(|e| CliError::io(key, e))?;
    let k = crypto::RsaPrivateKey::from_der_or_pem(&bytes)?;
    if !k.matches(&c) {
        return Err(CliError::Refused {
            code: crate::error::Code::KeyDoesNotMatchCertificate,
            message: format!(
                "{} is not the private key of {}",
                key.display(),
                cert.display()
            ),
        });
    }
    Ok((c, k))
}

/// What the data folder knows, for what `token request` was not told.
struct RequestTarget {
    cert: PathBuf,
    key: PathBuf,
    tenant: String,
    token_endpoint: String,
    resource: String,
}

fn request_target(
    args: &RequestArgs,
    data: &crate::paths::DataDir,
) -> Result<RequestTarget, CliError> {
    let (cert, key) = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => {
            let dir = data.role("cloud");
            let (c, k) = (
                dir.join(crate::up::ADMIN_CLIENT_CERT),
                dir.join(crate::up::ADMIN_CLIENT_KEY),
            );
            if !c.exists() || !k.exists() {
                return Err(CliError::Usage(format!(
                    "no --cert/--key given and no admin client certificate at {} (hybrid up makes and registers one)",
                    c.display()
                )));
            }
            (c, k)
        }
    };
    let tenant = match &args.tenant {
        Some(t) => t.clone(),
        None => match crate::cloud_cmd::known_tenants(data).as_slice() {
            [(id, _)] => id.clone(),
            [] => {
                return Err(CliError::Usage(
                    "no --tenant given and no tenant is known under DIR/cloud/tenants".into(),
                ));
            }
            _ => {
                return Err(CliError::Usage(
                    "more than one tenant is known here; pass --tenant ID".into(),
                ));
            }
        },
    };
    let token_endpoint = match &args.token_endpoint {
        Some(e) => e.clone(),
        None => format!(
            "{}/{tenant}/tokens/OAuth/2",
            data.server_url("cloud", None)?.trim_end_matches('/')
        ),
    };
    let resource = match &args.resource {
        Some(r) => r.clone(),
        None => {
            let url = data.server_url("onprem", None)?;
            let onprem = crate::doctor::onprem_client(data, &url)?;
            let org: Vec<onprem::model::Organization> =
                crate::onprem_cmd::cmdlet(&onprem, "Get-OrganizationConfig")?;
            let ews = org.first().map(|o| o.ews_url.clone()).unwrap_or_default();
            let host = ews
                .split("://")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    CliError::Usage("the organization has no EWS URL; pass --resource".into())
                })?;
            format!("{}/{host}@{tenant}", s2s::ids::EXCHANGE_APP_ID)
        }
    };
    Ok(RequestTarget {
        cert,
        key,
        tenant,
        token_endpoint,
        resource,
    })
}

fn request_cmd(args: RequestArgs, data: &crate::paths::DataDir) -> Result<(), CliError> {
    let target = request_target(&args, data)?;
    let (cert, key) = load_pair(&target.cert, &target.key)?;
    let authority = target
        .token_endpoint
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--token-endpoint '{}' is not a URL",
                target.token_endpoint
            ))
        })?;
    let client = PrincipalId::new(&args.client, &target.tenant);
    let jti = uuid::Uuid::new_v4().to_string();
    let now = now();
    let assertion = s2s::token::ClientAssertion {
        client: &client,
        audience: &Audience::new(ACS_APP_ID, authority, &target.tenant),
        not_before: now,
        expires: now + 600,
        jti: Some(&jti),
    }
    .sign(&key, &cert);
    let form = [
        ("grant_type", "http://oauth.net/grant_type/jwt/1.0/bearer"),
        ("assertion", assertion.as_str()),
        ("resource", target.resource.as_str()),
    ];
    let fail = |m: String| CliError::Refused {
        code: crate::error::Code::TokenServiceUnreachable,
        message: m,
    };
    let resp = reqwest::blocking::Client::new()
        .post(&target.token_endpoint)
        .form(&form)
        .send()
        .map_err(|e| fail(e.to_string()))?;
    let status = resp.status();
    let body: s2s::token_answer::TokenAnswer = resp
        .json()
        .map_err(|e| fail(format!("the answer is not JSON: {e}")))?;
    if !status.is_success() {
        let code = body.aadsts_code().unwrap_or_else(|| "TokenRefused".into());
        return Err(CliError::Refused {
            code: crate::error::Code::from_wire(&code),
            message: body
                .error_description
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        });
    }
    let actor = body.access_token.unwrap_or_default();
    let user = UserContext {
        upn: args.user_upn,
        smtp: args.user_smtp,
        sip: args.user_sip,
        ..Default::default()
    };
    if user.upn.is_none() && user.smtp.is_none() && user.sip.is_none() {
        println!("{actor}");
        return Ok(());
    }
    let actor_jwt = Jwt::decode(&actor)?;
    let audience = actor_jwt
        .claims
        .aud
        .as_deref()
        .and_then(Audience::parse)
        .ok_or_else(|| fail("the token has no audience".into()))?;
    let expires = actor_jwt
        .claims
        .exp
        .map(|e| e.seconds)
        .unwrap_or(now + 3600)
        .min(now + 8 * 3600);
    let outer = OuterToken {
        actor_token: &actor,
        audience: &audience,
        issuer: &client,
        not_before: now,
        expires,
        user: &user,
    };
    println!("{}", outer.encode());
    Ok(())
}

fn render(i: &Inspection, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    let mut s = String::new();
    let signature = match (&i.signature, i.signature_bytes) {
        (_, 0) => "none (unsigned)".to_string(),
        (SignatureCheck::NotChecked, n) => {
            format!("{n} bytes, not checked (pass --cert to verify)")
        }
        (SignatureCheck::Verified { thumbprint }, n) => {
            format!("{n} bytes, VALID for certificate {thumbprint}")
        }
        (SignatureCheck::Failed(why), n) => format!("{n} bytes, INVALID: {why}"),
    };
    let rows = [
        ("Token", i.kind.to_string()),
        (
            "Profile",
            i.profile.unwrap_or("not an S2S token").to_string(),
        ),
        ("Digest", i.digest.clone()),
        ("Signature", signature),
    ];
    for line in format_list(&rows).lines() {
        s.push_str(&format!("{pad}{line}\n"));
    }
    for (title, members) in [("Header", &i.header), ("Claims", &i.claims)] {
        s.push_str(&format!("{pad}{title}\n"));
        for (k, v) in members {
            let shown = match v {
                Value::String(t) if k == "actortoken" => format!("({} characters)", t.len()),
                Value::String(t) => t.clone(),
                other => other.to_string(),
            };
            s.push_str(&format!("{pad}  {k:<22}{shown}\n"));
            if let Some((_, note)) = i.notes.iter().find(|(n, _)| n == k) {
                s.push_str(&format!("{pad}  {:<22}{note}\n", ""));
            }
        }
    }
    if let Some(actor) = &i.actor {
        s.push_str(&format!("{pad}Actor token\n"));
        s.push_str(&render(actor, depth + 1));
    }
    s
}

/// The trust a one-issuer server would have, from the options and the token.
fn trust_from(args: &ValidateArgs, token: &str) -> Result<TrustSnapshot, CliError> {
    let mut keys = Vec::new();
    let mut metadata_issuer = None;
    if let Some(url) = &args.trust_metadata {
        let doc = fetch_metadata(url)?;
        let id = doc.identity()?;
        metadata_issuer = Some(
            id.issuer
                .clone()
                .unwrap_or_else(|| format!("{}@{}", id.service_name, id.realm)),
        );
        for c in doc.signing_certificates()? {
            keys.push(IssuerKey::from_certificate(&c)?);
        }
    }
    let issuer_text = match args.issuer.clone().or(metadata_issuer) {
        Some(i) => i,
        None => {
            let outer = Jwt::decode(token)?;
            let actor_iss = match &outer.claims.actortoken {
                Some(a) => Jwt::decode(a)?.claims.iss,
                None => outer.claims.iss.clone(),
            };
            actor_iss
                .ok_or_else(|| CliError::Usage("the token has no issuer; pass --issuer".into()))?
        }
    };
    let issuer = PrincipalId::parse_issuer(&issuer_text)
        .ok_or_else(|| CliError::Usage(format!("--issuer '{issuer_text}' is not id@realm")))?;
    for p in &args.trust_certs {
        keys.push(IssuerKey::from_certificate(&load_cert(p)?)?);
    }
    let acs = issuer.app_id.eq_ignore_ascii_case(ACS_APP_ID);
    let app_name = if acs {
        "PartnerApplication".to_string()
    } else {
        issuer.app_id.clone()
    };
    let partner = PartnerApplicationTrust {
        name: app_name.clone(),
        application_identifier: if acs {
            args.partner_app.clone()
        } else {
            issuer.app_id.clone()
        },
        realm: (!acs).then(|| issuer.realm.clone()),
        use_auth_server: acs,
        enabled: true,
        accept_security_identifier_information: false,
    };
    let kind = if acs {
        IssuerKind::Acs
    } else {
        IssuerKind::PartnerApplication { name: app_name }
    };
    let local_realms = if args.local_realms.is_empty() {
        vec![issuer.realm.clone()]
    } else {
        args.local_realms.clone()
    };
    Ok(TrustSnapshot {
        service_name: args.service_name.clone(),
        issuers: vec![TrustedIssuer {
            kind,
            id: issuer.app_id.clone(),
            realm: Some(issuer.realm),
            keys,
        }],
        partner_applications: vec![partner],
        local_realms,
    })
}

fn fetch_metadata(url: &str) -> Result<s2s::MetadataDocument, CliError> {
    let fail = |m: String| CliError::Refused {
        code: crate::error::Code::MetadataUnavailable,
        message: format!("{url}: {m}"),
    };
    let resp = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| fail(e.to_string()))?
        .get(url)
        .send()
        .map_err(|e| fail(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(fail(format!("HTTP {}", resp.status().as_u16())));
    }
    let body = resp.bytes().map_err(|e| fail(e.to_string()))?;
    Ok(s2s::MetadataDocument::parse(&body)?)
}

fn validate_cmd(args: ValidateArgs, out: &Output) -> Result<(), CliError> {
    let token = read_token(args.token.clone())?;
    let trust = trust_from(&args, &token)?;
    let validator = Validator {
        clock_skew: args.skew_seconds,
    };
    let req = RequestContext {
        published_host: None,
        host: &args.host,
        now: args.at.unwrap_or_else(now),
    };
    match validator.validate(&token, &req, &trust) {
        Ok(v) => {
            let lookup = v.user_lookup.as_ref();
            let user = lookup
                .map(|l| {
                    [
                        ("sid", &l.sid),
                        ("upn", &l.upn),
                        ("smtp", &l.smtp),
                        ("sip", &l.sip),
                    ]
                    .iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
                    .collect::<Vec<_>>()
                    .join(" ")
                })
                .unwrap_or_else(|| "none (app-only)".into());
            let rows = [
                ("Result", "Accepted".to_string()),
                ("Profile", v.profile.name().to_string()),
                ("Issuer", v.issuer.clone()),
                ("PartnerApplication", v.application_id.clone()),
                ("Audience", v.audience.to_string()),
                ("User", user.clone()),
                ("SigningThumbprint", v.signing_thumbprint.clone()),
                ("Expires", s2s::inspect::when(v.expires, req.now)),
                ("ActorDigest", v.actor_digest.clone()),
            ];
            let json = Accepted {
                result: "Accepted",
                profile: v.profile.name(),
                issuer: v.issuer.clone(),
                partner_application: v.application_id.clone(),
                audience: v.audience.to_string(),
                user,
                signing_thumbprint: v.signing_thumbprint.clone(),
                expires: v.expires,
                actor_digest: v.actor_digest.clone(),
            };
            out.record(&rows, &json);
            Ok(())
        }
        Err(e) => {
            let challenge = BearerChallenge {
                client_id: Some(trust.service_name.clone()),
                trusted_issuers: trust
                    .issuers
                    .iter()
                    .map(|i| format!("{}@{}", i.id, i.realm.as_deref().unwrap_or("*")))
                    .collect(),
                error: Some("invalid_token".into()),
                ..Default::default()
            };
            let rows = [
                ("Result", "Rejected".to_string()),
                ("ErrorCode", e.code.code().to_string()),
                ("Error", e.code.name().to_string()),
                ("Message", e.message.clone()),
                ("HttpStatus", e.code.http_status().to_string()),
                ("WWW-Authenticate", challenge.to_string()),
                ("x-ms-diagnostics", e.diagnostics().to_string()),
            ];
            let json = Rejected {
                result: "Rejected",
                error_code: e.code.code(),
                error: e.code.name(),
                message: e.message.clone(),
                http_status: e.code.http_status(),
                www_authenticate: challenge.to_string(),
                diagnostics: e.diagnostics().to_string(),
            };
            out.record(&rows, &json);
            Err(CliError::Refused {
                code: crate::error::Code::from_wire(e.code.name()),
                message: format!("token rejected: {e}"),
            })
        }
    }
}

/// `hybrid token validate --json` for a token accepted.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Accepted {
    result: &'static str,
    profile: &'static str,
    issuer: String,
    partner_application: String,
    audience: String,
    user: String,
    signing_thumbprint: String,
    expires: i64,
    actor_digest: String,
}

/// `hybrid token validate --json` for a token refused: the code and the headers a server sends.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Rejected {
    result: &'static str,
    error_code: u32,
    error: &'static str,
    message: String,
    http_status: u16,
    #[serde(rename = "WWW-Authenticate")]
    www_authenticate: String,
    #[serde(rename = "x-ms-diagnostics")]
    diagnostics: String,
}
