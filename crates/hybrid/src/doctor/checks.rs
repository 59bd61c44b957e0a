//! The doctor's judgement: facts in, findings out, each finding with the commands that fix it.

use cloud::model::{KeyCredential, ServicePrincipal};
use cloud::policy::AppManagementPolicy;
use onprem::model::{
    AuthConfig, AuthServer, AuthServerType, ExchangeCertificate, ManagementRole, Organization,
    PartnerApplication, Recipient, RoleAssignment,
};
use s2s::ids::{ACS_APP_ID, EXCHANGE_APP_ID, SKYPE_APP_ID};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// What the doctor read from the three roles.
pub struct Facts {
    pub at: OffsetDateTime,
    pub within: Duration,
    pub cloud_url: String,
    pub tenant_id: String,
    pub tenant_domains: Vec<String>,
    /// Get-OrganizationConfig.
    pub org: Organization,
    pub auth_config: AuthConfig,
    pub certificates: Vec<ExchangeCertificate>,
    pub auth_servers: Vec<AuthServer>,
    pub partner_applications: Vec<PartnerApplication>,
    pub role_assignments: Vec<RoleAssignment>,
    /// Get-MailUser: the application accounts among them.
    pub mail_users: Vec<Recipient>,
    /// The Graph service principals, with keyCredentials and servicePrincipalNames.
    pub exchange_sp: ServicePrincipal,
    pub skype_sp: ServicePrincipal,
    /// The dedicated Exchange hybrid application an AuthServer names (`ApplicationIdentifier`);
    /// None in the shared mode.
    pub hybrid_app: Option<HybridAppFacts>,
    /// The thumbprint of the partner service's own signing certificate, when it runs here.
    pub partner_signing_thumbprint: Option<String>,
    pub metadata: Vec<MetadataFetch>,
    /// What the Teams edition adds, when the partner runs it (its settings say `teams`).
    pub teams: Option<TeamsFacts>,
    /// (role, server time minus local time in seconds, or why it could not be read).
    pub clocks: Vec<(String, Result<i64, String>)>,
    /// (role, the URL its server was started at).
    pub urls: Vec<(String, String)>,
    /// Hybrid Modern Authentication's facts, once the organization has started it.
    pub hma: Option<super::hma::HmaFacts>,
}

/// The Teams edition's principals and the on-premises roles its scheduler's account holds.
pub struct TeamsFacts {
    pub scheduler_sp: ServicePrincipal,
    pub voicemail_sp: ServicePrincipal,
    /// Get-ManagementRole (with their entries, `EwsMethods`).
    pub management_roles: Vec<ManagementRole>,
}

/// The dedicated Exchange hybrid application, as the tenant has it.
#[derive(Debug, Clone, Default)]
pub struct HybridAppFacts {
    pub app_id: String,
    /// Whether the tenant has the application at all.
    pub found: bool,
    pub key_credentials: Vec<KeyCredential>,
    /// Admin consent to Exchange's full_access_as_app.
    pub consent: bool,
    pub created_date_time: String,
    /// The tenant's default app management policy.
    pub policy: Option<AppManagementPolicy>,
}

/// An AuthServer's metadata document as fetched from here now.
pub struct MetadataFetch {
    pub auth_server: String,
    pub url: String,
    /// (issuer realm, signing certificate thumbprints) or why it could not be read.
    pub document: Result<(String, Vec<String>), String>,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Severity {
    Error,
    Warning,
}

/// What the trust carries, each flow tested end to end the way the doctor's own tests run it.
/// A finding names the flows it stops; its severity follows: an error stops at least one,
/// a warning stops none yet.
#[derive(Serialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Flow {
    /// The partner's calls to on-premises EWS under its ACS tokens: voicemail greetings,
    /// conversation history, archiving into Purges (`hybrid test-oauth-connectivity`).
    PartnerToOnPremises,
    /// On premises to the partner under Exchange's self-issued tokens: presence
    /// (`hybrid onprem get-user-presence`).
    OnPremisesToPartner,
    /// Exchange Online's calls to on-premises EWS as 00000002-… through the "Exchange Online"
    /// partner application: cross-premises free/busy.
    FreeBusy,
    /// On premises calls under the cloud's application tokens, got with the auth certificate
    /// (as 00000002-… in the shared mode, as the dedicated application in the dedicated mode):
    /// on-premises Test-OAuthConnectivity.
    OnPremisesToCloud,
    /// Users' own tokens from the cloud at on-premises EWS (Hybrid Modern Authentication).
    UserSignIn,
}

impl Flow {
    pub const ALL: [Flow; 5] = [
        Flow::PartnerToOnPremises,
        Flow::OnPremisesToPartner,
        Flow::FreeBusy,
        Flow::OnPremisesToCloud,
        Flow::UserSignIn,
    ];

    /// The flow as the human report names it.
    pub fn title(self) -> &'static str {
        match self {
            Flow::PartnerToOnPremises => "partner to on-premises EWS",
            Flow::OnPremisesToPartner => "on-premises to partner presence",
            Flow::FreeBusy => "free/busy from Exchange Online",
            Flow::OnPremisesToCloud => "on-premises application tokens",
            Flow::UserSignIn => "users' sign-in to on-premises EWS (HMA)",
        }
    }
}

#[derive(Serialize, Debug)]
pub struct Finding {
    pub code: &'static str,
    /// Error when it stops a flow (`breaks` is not empty), else Warning.
    pub severity: Severity,
    /// The flows it stops now.
    pub breaks: Vec<Flow>,
    pub message: String,
    /// Commands that fix it, in order.
    pub fix: Vec<String>,
}

#[derive(Serialize, Debug)]
pub struct Check {
    /// A stable identifier for scripts: the name in kebab case.
    pub id: String,
    pub name: &'static str,
    pub findings: Vec<Finding>,
}

impl Check {
    pub fn new(name: &'static str, findings: Vec<Finding>) -> Check {
        let mut id = String::new();
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                id.push(c.to_ascii_lowercase());
            } else if !id.is_empty() && !id.ends_with('-') {
                id.push('-');
            }
        }
        Check {
            id: id.trim_end_matches('-').to_string(),
            name,
            findings,
        }
    }
}

/// The clock skew Exchange and the token service tolerate.
pub const MAX_SKEW_SECONDS: i64 = 300;
const SFB_PARTNER_APP: &str = "SfBOnline";
const LINKED_ACCOUNT_ROLES: [&str; 2] = ["UserApplication", "ArchiveApplication"];

pub fn diagnose(f: &Facts) -> Vec<Check> {
    let current = current_certificate(f);
    vec![
        check("auth certificate", auth_certificate(f, current)),
        check("auth server (step 1)", auth_server(f)),
        check("realm", realm(f)),
        check("auth metadata", metadata(f)),
        check(
            "auth certificate on 00000002-… (step 1)",
            if f.hybrid_app.is_some() {
                // The dedicated mode: the certificate belongs on the application instead.
                vec![]
            } else {
                uploaded_key(f, current, &f.exchange_sp, EXCHANGE_APP_ID)
            },
        ),
        check(
            "dedicated Exchange hybrid application (CVE-2025-53786)",
            hybrid_application(f, current),
        ),
        check("SPN of 00000002-… (step 1)", spn(f)),
        check(
            "auth certificate on 00000004-… (steps 5 and 6)",
            uploaded_key(f, current, &f.skype_sp, SKYPE_APP_ID),
        ),
        check("next auth certificate", next_certificate(f)),
        check(
            "Exchange Online partner application (step 1)",
            exchange_online_partner_application(f),
        ),
        check(
            "application account and its roles (step 2)",
            linked_account(f),
        ),
        check(
            "partner application SfBOnline (step 3)",
            partner_application(f),
        ),
        check("partner signing key", partner_signing_key(f)),
        check("Teams edition", teams(f, current)),
        check("clocks", clocks(f)),
        check("hybrid modern authentication", super::hma::findings(f)),
    ]
}

/// The Teams edition, when the partner runs it: its two partner applications (the legacy one
/// alone is what Microsoft's HealthChecker marks red), the current certificate on its two
/// principals, and a TeamsSchedulerRole that allows GetDelegate alone.
fn teams(f: &Facts, current: Option<&ExchangeCertificate>) -> Vec<Finding> {
    use s2s::ids::{CLOUD_VOICEMAIL_APP_ID as VOICEMAIL, TEAMS_SCHEDULER_APP_ID as SCHEDULER};
    let Some(t) = &f.teams else { return vec![] };
    let mut out = vec![];
    let app = |id: &str| {
        f.partner_applications
            .iter()
            .find(|p| p.application_identifier.as_str().eq_ignore_ascii_case(id))
    };
    let missing: Vec<&str> = [SCHEDULER, VOICEMAIL]
        .into_iter()
        .filter(|id| app(id).is_none_or(|p| !p.enabled))
        .collect();
    if !missing.is_empty() {
        let mut fix = vec![];
        if app(SCHEDULER).is_none() {
            fix.push(format!("hybrid onprem new-mail-user --name TeamsScheduler --application-account --external-email-address TeamsScheduler-ApplicationAccount@{}", f.tenant_domains.first().map(String::as_str).unwrap_or("contoso.com")));
            fix.push("hybrid onprem new-management-role --name TeamsSchedulerRole --parent UserApplication".into());
            fix.push("hybrid onprem new-management-role-assignment --role TeamsSchedulerRole --user TeamsScheduler".into());
            fix.push(format!("hybrid onprem new-partner-application --name TeamsScheduler --application-identifier {SCHEDULER} --enabled true --linked-account TeamsScheduler"));
        }
        if app(VOICEMAIL).is_none() {
            fix.push(format!("hybrid onprem new-partner-application --name CloudVoicemail --application-identifier {VOICEMAIL} --enabled true"));
        }
        for id in &missing {
            if let Some(p) = app(id) {
                fix.push(format!(
                    "hybrid onprem set-partner-application --identity {} --enabled true",
                    p.name.as_str()
                ));
            }
        }
        out.push(breaks(
            "TeamsPartnerApplicationMissing",
            &[Flow::PartnerToOnPremises],
            format!(
                "the partner runs the Teams edition but {} has no enabled partner application on premises: only the legacy 00000004-… application is configured for it (HealthChecker marks this red), and its calls are refused (7001)",
                missing.join(" and ")
            ),
            fix,
        ));
    }
    if let Some(cert) = current {
        let thumb = cert.thumbprint.as_str();
        for (sp, id) in [(&t.scheduler_sp, SCHEDULER), (&t.voicemail_sp, VOICEMAIL)] {
            if !keys(&sp.key_credentials).any(|k| {
                k.custom_key_identifier
                    .as_deref()
                    .unwrap_or("")
                    .eq_ignore_ascii_case(thumb)
            }) {
                out.push(breaks(
                    "TeamsPrincipalCertificateMissing",
                    &[Flow::OnPremisesToPartner],
                    format!("no key credential of {id} is the current auth certificate {thumb} (steps 5 to 7 upload it to all three principals)"),
                    vec![
                        "hybrid onprem export-auth-cert --path OAuthConfig/OAuthCert.cer".into(),
                        format!("hybrid cloud update-service-principal-keys --service-principal-id {id} --certificate OAuthConfig/OAuthCert.cer"),
                    ],
                ));
            }
        }
    }
    out.extend(scheduler_role_breadth(f, t));
    out
}

/// The roles TeamsScheduler's linked account holds allow GetDelegate alone.
fn scheduler_role_breadth(f: &Facts, t: &TeamsFacts) -> Vec<Finding> {
    let Some(linked) = f
        .partner_applications
        .iter()
        .find(|p| {
            p.application_identifier
                .as_str()
                .eq_ignore_ascii_case(s2s::ids::TEAMS_SCHEDULER_APP_ID)
        })
        .map(|p| p.linked_account.as_str())
        .filter(|l| !l.is_empty())
    else {
        return vec![];
    };
    let mut out = vec![];
    let account = linked.rsplit('/').next().unwrap_or(linked);
    for a in f.role_assignments.iter().filter(|a| {
        let who = a.role_assignee.as_str();
        who.eq_ignore_ascii_case(linked)
            || a.role_assignee_name.as_str().eq_ignore_ascii_case(account)
    }) {
        let role_name = a.role.as_str();
        let Some(role) = t
            .management_roles
            .iter()
            .find(|r| r.name.as_str() == role_name)
        else {
            continue;
        };
        let extra: Vec<&str> = role
            .ews_methods
            .iter()
            .map(String::as_str)
            .filter(|m| *m != "GetDelegate")
            .collect();
        if extra.is_empty() {
            continue;
        }
        let built_in = role.parent.is_empty();
        let fix = if built_in {
            vec![format!(
                "hybrid onprem remove-management-role-assignment --identity \"{}\" --confirm:false",
                a.name.as_str()
            )]
        } else {
            extra
                .iter()
                .map(|m| format!("hybrid onprem remove-management-role-entry --identity \"{role_name}\\{m}\" --confirm:false"))
                .collect()
        };
        out.push(warning(
            "TeamsSchedulerRoleTooBroad",
            format!(
                "TeamsScheduler's account holds {role_name}, which allows {} more than GetDelegate ({}{}); the Teams edition allows GetDelegate alone",
                extra.len(),
                extra.iter().take(5).copied().collect::<Vec<_>>().join(", "),
                if extra.len() > 5 { ", …" } else { "" }
            ),
            fix,
        ));
    }
    out
}

fn check(name: &'static str, findings: Vec<Finding>) -> Check {
    Check::new(name, findings)
}

/// A finding that stops `flows` now: an error.
pub(crate) fn breaks(
    code: &'static str,
    flows: &[Flow],
    message: String,
    fix: Vec<String>,
) -> Finding {
    let mut flows = flows.to_vec();
    flows.sort();
    flows.dedup();
    Finding {
        code,
        severity: if flows.is_empty() {
            Severity::Warning
        } else {
            Severity::Error
        },
        breaks: flows,
        message,
        fix,
    }
}

/// A finding that stops nothing yet: a warning.
pub(crate) fn warning(code: &'static str, message: String, fix: Vec<String>) -> Finding {
    breaks(code, &[], message, fix)
}

pub(crate) fn parse_date(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// RFC 3339 to the second.
pub(crate) fn iso(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn current_certificate(f: &Facts) -> Option<&ExchangeCertificate> {
    let thumb = f.auth_config.current_certificate_thumbprint.as_str();
    f.certificates
        .iter()
        .find(|c| !thumb.is_empty() && c.thumbprint.as_str().eq_ignore_ascii_case(thumb))
}

/// The commands that upload the current auth certificate to a service principal.
fn upload(app: &str) -> Vec<String> {
    vec![
        "hybrid onprem export-auth-cert --path OAuthConfig/OAuthCert.cer".into(),
        format!(
            "hybrid cloud add-service-principal-key --service-principal-id {app} --type AsymmetricX509Cert --usage Verify --key-file OAuthConfig/OAuthCert.cer"
        ),
    ]
}

/// A new auth certificate made current at once and uploaded to every principal that trusts
/// the organization: `hybrid auth-cert renew --force` does it all in one run.
fn replace_certificate() -> Vec<String> {
    vec!["hybrid auth-cert renew --force".into()]
}

fn auth_certificate(f: &Facts, current: Option<&ExchangeCertificate>) -> Vec<Finding> {
    let thumb = f.auth_config.current_certificate_thumbprint.as_str();
    let Some(cert) = current else {
        return vec![breaks(
            "AuthCertificateMissing",
            SIGNED_ON_PREMISES,
            format!(
                "AuthConfig's current certificate {thumb:?} is not a certificate of this server"
            ),
            replace_certificate(),
        )];
    };
    let (nb, na) = (parse_date(&cert.not_before), parse_date(&cert.not_after));
    match (nb, na) {
        (_, Some(na)) if na <= f.at => vec![breaks(
            "AuthCertificateExpired",
            SIGNED_ON_PREMISES,
            format!(
                "the auth certificate {thumb} expired at {}: every token this server signs is refused, and the keys uploaded from it are no longer valid",
                iso(na)
            ),
            replace_certificate(),
        )],
        (Some(nb), _) if nb > f.at => vec![breaks(
            "AuthCertificateNotYetValid",
            SIGNED_ON_PREMISES,
            format!(
                "the auth certificate {thumb} is valid only from {}",
                iso(nb)
            ),
            replace_certificate(),
        )],
        (_, Some(na)) if na - f.at < f.within => vec![warning(
            "AuthCertificateExpiresSoon",
            format!(
                "the auth certificate {thumb} expires at {}: stage its successor now",
                iso(na)
            ),
            // Stages the successor and uploads it now; run again (or serve with
            // --auth-cert-renewal) to publish it once it is effective.
            vec!["hybrid auth-cert renew".into()],
        )],
        _ => vec![],
    }
}

/// What stops when on premises cannot sign: its self-issued tokens to the partner and the
/// client assertions it gets the cloud's tokens with.
const SIGNED_ON_PREMISES: &[Flow] = &[Flow::OnPremisesToPartner, Flow::OnPremisesToCloud];

/// What stops when ACS tokens are not issued or not trusted: the partner's calls, Exchange
/// Online's, and in the shared mode on premises' own (it gets ACS tokens as 00000002-…).
fn acs_flows(f: &Facts) -> Vec<Flow> {
    let mut flows = vec![Flow::PartnerToOnPremises, Flow::FreeBusy];
    if f.hybrid_app.is_none() {
        flows.push(Flow::OnPremisesToCloud);
    }
    flows
}

/// What stops without an enabled ACS AuthServer: what [`acs_flows`] names, and presence
/// unless AuthConfig names the tenant id itself (on premises takes the realm of its tokens
/// to the partner from that AuthServer, else from AuthConfig or its default domain).
fn acs_trust_flows(f: &Facts) -> Vec<Flow> {
    let mut flows = acs_flows(f);
    if !f
        .auth_config
        .realm
        .as_str()
        .eq_ignore_ascii_case(&f.tenant_id)
    {
        flows.push(Flow::OnPremisesToPartner);
    }
    flows
}

/// What a principal's copy of the auth certificate carries: 00000004-…'s, the tokens the
/// partner takes from on premises; 00000002-…'s (the shared mode), on premises' assertions.
fn key_flows(f: &Facts, app: &str) -> Vec<Flow> {
    if app.eq_ignore_ascii_case(SKYPE_APP_ID) {
        vec![Flow::OnPremisesToPartner]
    } else if f.hybrid_app.is_none() {
        vec![Flow::OnPremisesToCloud]
    } else {
        vec![]
    }
}

/// The flows that pass through a role's server.
fn served_flows(role: &str) -> Vec<Flow> {
    match role {
        "cloud" => vec![
            Flow::PartnerToOnPremises,
            Flow::FreeBusy,
            Flow::OnPremisesToCloud,
        ],
        "partner" => vec![Flow::PartnerToOnPremises, Flow::OnPremisesToPartner],
        _ => Flow::ALL.to_vec(),
    }
}

/// The AuthServer's metadata URL with the cloud server of this data folder as its authority:
/// the same document where the cloud answers now.
fn metadata_fix(f: &Facts, name: &str, server: Option<&AuthServer>) -> String {
    let old = server.map(|a| a.auth_metadata_url.as_str()).unwrap_or("");
    let path = old
        .split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .filter(|p| p.len() > 1)
        .map(str::to_string)
        .unwrap_or_else(|| format!("/{}/metadata/json/1", f.tenant_id));
    format!(
        "hybrid onprem set-auth-server --identity \"{name}\" --auth-metadata-url {}{path}",
        f.cloud_url.trim_end_matches('/')
    )
}

fn acs_auth_servers(f: &Facts) -> impl Iterator<Item = &AuthServer> {
    f.auth_servers.iter().filter(|a| {
        a.issuer_identifier
            .as_str()
            .eq_ignore_ascii_case(ACS_APP_ID)
            && a.enabled
    })
}

fn auth_server(f: &Facts) -> Vec<Finding> {
    if acs_auth_servers(f).next().is_some() {
        return vec![];
    }
    let domain = f.tenant_domains.first().cloned().unwrap_or_default();
    let url = format!("{}/{domain}/metadata/json/1", f.cloud_url);
    let disabled = f.auth_servers.iter().find(|a| {
        a.issuer_identifier
            .as_str()
            .eq_ignore_ascii_case(ACS_APP_ID)
    });
    match disabled {
        Some(a) => vec![breaks(
            "AuthServerDisabled",
            &acs_trust_flows(f),
            format!("the auth server {} (ACS) is disabled: no ACS token is trusted", a.name.as_str()),
            vec![format!("hybrid onprem set-auth-server --identity \"{}\" --enabled true", a.name.as_str())],
        )],
        None => vec![breaks(
            "AuthServerMissing",
            &acs_trust_flows(f),
            "no auth server trusts the cloud token service (ACS, issuer 00000001-0000-0000-c000-000000000000)".into(),
            vec![format!("hybrid onprem new-auth-server --name WindowsAzureACS --auth-metadata-url {url}")],
        )],
    }
}

fn realm(f: &Facts) -> Vec<Finding> {
    let mut out = vec![];
    let tenant = &f.tenant_id;
    for a in acs_auth_servers(f) {
        let r = a.realm.as_str();
        if !r.eq_ignore_ascii_case(tenant) {
            out.push(breaks(
                "RealmMismatch",
                &acs_flows(f),
                format!("the auth server {} trusts realm {r:?}, but the tenant is {tenant}: its tokens are refused (5002/2011)", a.name.as_str()),
                vec![format!(
                    "hybrid onprem set-auth-server --identity \"{}\" --auth-metadata-url {}/{tenant}/metadata/json/1",
                    a.name.as_str(),
                    f.cloud_url
                )],
            ));
        }
    }
    let r = f.auth_config.realm.as_str();
    let known = r.eq_ignore_ascii_case(tenant)
        || f.tenant_domains.iter().any(|d| d.eq_ignore_ascii_case(r));
    if !r.is_empty() && !known {
        out.push(warning(
            "RealmMismatch",
            format!("AuthConfig's realm {r:?} is neither the tenant id {tenant} nor one of its verified domains: the tokens this server issues name a realm the cloud does not know (the partner and the token service take the tenant from their own configuration, so no flow stops, but Microsoft's services check it)"),
            vec![format!("hybrid onprem set-auth-config --realm {tenant}")],
        ));
    }
    out
}

fn metadata(f: &Facts) -> Vec<Finding> {
    let mut out = vec![];
    for m in &f.metadata {
        let name = &m.auth_server;
        let server = f.auth_servers.iter().find(|a| a.name.as_str() == name);
        match &m.document {
            Err(why) => {
                // On premises gets its own tokens where this AuthServer says (the ACS one in
                // the shared mode, the one naming the dedicated application else): from the
                // same server, unreachable too.
                let issues_ours = server.is_some_and(|a| {
                    let acs = a
                        .issuer_identifier
                        .as_str()
                        .eq_ignore_ascii_case(ACS_APP_ID);
                    (acs && f.hybrid_app.is_none()) || !a.application_identifier.is_empty()
                });
                let flows: &[Flow] = if issues_ours {
                    &[Flow::OnPremisesToCloud]
                } else {
                    &[]
                };
                out.push(breaks(
                    "MetadataUnreachable",
                    flows,
                    format!("the metadata of auth server {name} cannot be read from here ({}): {why}; the server keeps the signing certificates it holds, so a rollover of the token service's key would stop its tokens", m.url),
                    vec![metadata_fix(f, name, server)],
                ))
            }
            Ok((_, thumbs)) => {
                let held: Vec<String> = server
                    .map(|a| certificate_thumbprints(&a.certificate_strings))
                    .unwrap_or_default();
                if thumbs
                    .iter()
                    .any(|t| !held.iter().any(|h| h.eq_ignore_ascii_case(t)))
                {
                    out.push(warning(
                        "MetadataStale",
                        format!("auth server {name} holds other signing certificates than its metadata publishes now (the server refreshes every 24 hours and after a signature failure)"),
                        vec![format!("hybrid onprem set-auth-server --identity \"{name}\" --refresh-auth-metadata true")],
                    ));
                }
            }
        }
    }
    out
}

/// Thumbprints of base64 DER certificates (AuthServer.CertificateStrings).
fn certificate_thumbprints(v: &[String]) -> Vec<String> {
    use base64::Engine;
    v.iter()
        .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .filter_map(|der| crypto::Certificate::from_der_or_pem(&der).ok())
        .map(|c| c.thumbprint().to_string())
        .collect()
}

fn keys(keys: &[KeyCredential]) -> impl Iterator<Item = &KeyCredential> {
    keys.iter()
}

fn uploaded_key(
    f: &Facts,
    current: Option<&ExchangeCertificate>,
    sp: &ServicePrincipal,
    app: &str,
) -> Vec<Finding> {
    let Some(cert) = current else {
        return vec![];
    };
    let thumb = cert.thumbprint.as_str();
    let Some(key) = keys(&sp.key_credentials).find(|k| {
        k.custom_key_identifier
            .as_deref()
            .unwrap_or("")
            .eq_ignore_ascii_case(thumb)
    }) else {
        let others: Vec<&str> = keys(&sp.key_credentials)
            .map(|k| k.custom_key_identifier.as_deref().unwrap_or(""))
            .collect();
        return vec![breaks(
            "UploadedKeyNotCurrent",
            &key_flows(f, app),
            format!(
                "no key credential of {app} is the current auth certificate {thumb} (it has: {})",
                if others.is_empty() {
                    "none".into()
                } else {
                    others.join(", ")
                }
            ),
            upload(app),
        )];
    };
    let mut out = vec![];
    let end = parse_date(key.end_date_time.as_deref().unwrap_or(""));
    if end.is_some_and(|e| e <= f.at) {
        out.push(breaks(
            "UploadedKeyExpired",
            &key_flows(f, app),
            format!(
                "the key credential {} of {app} ended at {}",
                key.key_id.as_deref().unwrap_or(""),
                key.end_date_time.as_deref().unwrap_or("")
            ),
            upload(app),
        ));
    }
    let same = |key_date: &Option<String>, cert_date: &str| {
        let k = parse_date(key_date.as_deref().unwrap_or(""));
        k.is_some() && k == parse_date(cert_date)
    };
    if !same(&key.start_date_time, &cert.not_before) || !same(&key.end_date_time, &cert.not_after) {
        let mut fix = vec![format!(
            "hybrid cloud remove-service-principal-key --service-principal-id {app} --key-id {}",
            key.key_id.as_deref().unwrap_or("")
        )];
        fix.extend(upload(app));
        out.push(warning(
            "KeyDatesMismatch",
            format!(
                "the key credential of {app} runs {} .. {}, the certificate {} .. {} (runbook step 6 expects the same dates)",
                key.start_date_time.as_deref().unwrap_or(""), key.end_date_time.as_deref().unwrap_or(""), cert.not_before.as_str(), cert.not_after.as_str()
            ),
            fix,
        ));
    }
    out
}

fn spn(f: &Facts) -> Vec<Finding> {
    let url = f.org.ews_url.as_str();
    let Some(host) = url.split("://").nth(1).and_then(|r| r.split('/').next()) else {
        return vec![];
    };
    let host = host.split(':').next().unwrap_or(host);
    let names: Vec<&str> = f
        .exchange_sp
        .service_principal_names
        .iter()
        .map(String::as_str)
        .collect();
    let present = names
        .iter()
        .any(|n| cloud::snapshot::spn_host(n).is_some_and(|h| h.eq_ignore_ascii_case(host)));
    if present {
        return vec![];
    }
    let mut wanted: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    wanted.push(format!("https://{host}/"));
    vec![breaks(
        "SpnMissing",
        &acs_flows(f),
        format!(
            "{host} (the organization's EWS URL) is not a servicePrincipalName of {EXCHANGE_APP_ID}: the token service refuses tokens for it (AADSTS500012)"
        ),
        vec![format!(
            "hybrid cloud set-service-principal-names --service-principal-id {EXCHANGE_APP_ID} --service-principal-names {}",
            wanted.join(",")
        )],
    )]
}

/// The commands that move the auth certificate to the dedicated application (the second
/// also names the application on the AuthServer of step 1).
fn move_to_hybrid_application() -> Vec<String> {
    vec![
        "hybrid onprem export-auth-cert --path OAuthConfig/OAuthCert.cer".into(),
        "hybrid cloud configure-hybrid-application --mode full --certificate OAuthConfig/OAuthCert.cer".into(),
    ]
}

fn hybrid_application(f: &Facts, current: Option<&ExchangeCertificate>) -> Vec<Finding> {
    let thumb = current.map(|c| c.thumbprint.as_str()).unwrap_or("");
    let on = |v: &[KeyCredential]| {
        !thumb.is_empty()
            && keys(v).any(|k| {
                k.custom_key_identifier
                    .as_deref()
                    .unwrap_or("")
                    .eq_ignore_ascii_case(thumb)
            })
    };
    let exposure = |fix: Vec<String>| {
        warning(
            "SharedServicePrincipalExposure",
            format!(
                "the auth certificate {thumb} is a key credential of the shared Office 365 Exchange Online principal {EXCHANGE_APP_ID}: whoever holds it can get tokens as Exchange Online for the tenant (CVE-2025-53786); Microsoft moved Exchange hybrid to a dedicated application in the tenant"
            ),
            fix,
        )
    };
    let Some(app) = &f.hybrid_app else {
        return if on(&f.exchange_sp.key_credentials) {
            vec![exposure(move_to_hybrid_application())]
        } else {
            vec![]
        };
    };
    let app_id = app.app_id.as_str();
    if !app.found {
        return vec![breaks(
            "HybridApplicationNotFound",
            &[Flow::OnPremisesToCloud],
            format!(
                "the AuthServer names the application {app_id}, which the tenant does not have"
            ),
            move_to_hybrid_application(),
        )];
    }
    let mut out = vec![];
    if !app.consent {
        out.push(breaks(
            "HybridApplicationWithoutConsent",
            &[Flow::OnPremisesToCloud],
            format!("the application {app_id} has not been granted full_access_as_app on Office 365 Exchange Online (admin consent)"),
            vec!["hybrid onprem export-auth-cert --path OAuthConfig/OAuthCert.cer".into(), "hybrid cloud configure-hybrid-application --mode full --certificate OAuthConfig/OAuthCert.cer".into()],
        ));
    }
    if !on(&app.key_credentials) {
        out.push(breaks(
            "HybridApplicationCertificateMissing",
            &[Flow::OnPremisesToCloud],
            format!("no key credential of the application {app_id} is the current auth certificate {thumb}"),
            vec!["hybrid onprem export-auth-cert --path OAuthConfig/OAuthCert.cer".into(), "hybrid cloud configure-hybrid-application --mode update-certificate --certificate OAuthConfig/OAuthCert.cer".into()],
        ));
    }
    if on(&f.exchange_sp.key_credentials) {
        out.push(exposure(vec![
            "hybrid cloud configure-hybrid-application --mode reset-first-party-keys".into(),
        ]));
    }
    out.extend(evosts_auth_server(f, app_id));
    out.extend(key_lifetime(app, current, on(&app.key_credentials)));
    out
}

/// The dedicated mode's AzureAD AuthServer (EvoSts): on premises gets the dedicated
/// application's Entra tokens through it and takes the tenant's Entra tokens by it. Without it
/// (or disabled) on-premises Test-OAuthConnectivity ends in 2020 TokenProfileNotApplicable and
/// Entra application tokens are refused at EWS, while every other check can look fine.
fn evosts_auth_server(f: &Facts, app_id: &str) -> Vec<Finding> {
    let entra = f
        .auth_servers
        .iter()
        .find(|a| a.kind == AuthServerType::AzureAD);
    let name = format!("EvoSts - {}", f.tenant_id);
    let name_app = format!(
        "hybrid onprem set-auth-server --identity \"{name}\" --application-identifier {app_id} --domain-name {}",
        f.tenant_domains.join(",")
    );
    match entra {
        None => vec![breaks(
            "EntraAuthServerMissing",
            &[Flow::OnPremisesToCloud],
            format!(
                "the dedicated application {app_id} is in use but no AuthServer of Type AzureAD trusts the tenant's Entra issuer: on-premises Test-OAuthConnectivity ends in 2020 TokenProfileNotApplicable and Entra application tokens are refused at EWS (the partner's S2S calls are not affected)"
            ),
            vec![
                format!(
                    "hybrid onprem new-auth-server --name \"{name}\" --type AzureAD --auth-metadata-url {}/{}/federationmetadata/2007-06/federationmetadata.xml",
                    f.cloud_url, f.tenant_id
                ),
                name_app,
            ],
        )],
        Some(a) if !a.enabled => vec![breaks(
            "EntraAuthServerDisabled",
            &[Flow::OnPremisesToCloud],
            format!(
                "the AzureAD AuthServer {} is disabled: Entra application tokens are refused at EWS and on-premises Test-OAuthConnectivity fails",
                a.name.as_str()
            ),
            vec![format!(
                "hybrid onprem set-auth-server --identity \"{}\" --enabled true",
                a.name.as_str()
            )],
        )],
        Some(a)
            if !a
                .application_identifier
                .as_str()
                .eq_ignore_ascii_case(app_id) =>
        {
            vec![breaks(
                "EntraAuthServerWithoutApplication",
                &[Flow::OnPremisesToCloud],
                format!(
                    "the AzureAD AuthServer {} does not name the dedicated application {app_id} (ApplicationIdentifier): on premises cannot get the application's tokens through it",
                    a.name.as_str()
                ),
                vec![format!(
                    "hybrid onprem set-auth-server --identity \"{}\" --application-identifier {app_id} --domain-name {}",
                    a.name.as_str(),
                    f.tenant_domains.join(",")
                )],
            )]
        }
        Some(_) => vec![],
    }
}

/// The tenant's app management policy against the auth certificate's lifetime: Graph refuses
/// a longer certificate on the application (an error while it is not there yet, a warning for
/// one uploaded before the policy: its successor will be refused).
fn key_lifetime(
    app: &HybridAppFacts,
    current: Option<&ExchangeCertificate>,
    uploaded: bool,
) -> Vec<Finding> {
    let Some(policy) = &app.policy else {
        return vec![];
    };
    let Some((limit, text)) = policy.key_lifetime_limit(&app.created_date_time) else {
        return vec![];
    };
    let Some(cert) = current else { return vec![] };
    let (Some(start), Some(end)) = (parse_date(&cert.not_before), parse_date(&cert.not_after))
    else {
        return vec![];
    };
    let lifetime = (end - start).whole_seconds();
    if lifetime <= limit {
        return vec![];
    }
    let message = format!(
        "the auth certificate {} is valid for {} days; the tenant's app management policy allows {text} (asymmetricKeyLifetime) for the certificates of the application {}: Graph refuses it there{}",
        cert.thumbprint.as_str(),
        lifetime / 86_400,
        app.app_id,
        if uploaded {
            " when it is renewed with Exchange's five-year default"
        } else {
            ""
        }
    );
    let fix = vec![format!(
        "hybrid auth-cert renew --force --validity-days {}",
        limit / 86_400
    )];
    if uploaded {
        vec![warning("KeyLifetimeOverTenantPolicy", message, fix)]
    } else {
        vec![breaks(
            "KeyLifetimeOverTenantPolicy",
            &[Flow::OnPremisesToCloud],
            message,
            fix,
        )]
    }
}

fn next_certificate(f: &Facts) -> Vec<Finding> {
    let next = f.auth_config.next_certificate_thumbprint.as_str();
    if next.is_empty() {
        return vec![];
    }
    let mut out = vec![];
    let export = format!(
        "hybrid onprem export-exchange-certificate --thumbprint {next} --file-name OAuthConfig/OAuthCertNext.cer"
    );
    // The dedicated mode holds it on the application instead of 00000002-….
    let hybrid_app = f
        .hybrid_app
        .as_ref()
        .map(|a| (&a.key_credentials, a.app_id.as_str()));
    let exchange = match hybrid_app {
        Some((a, id)) => (a, id, "hybrid cloud configure-hybrid-application --mode update-certificate --certificate OAuthConfig/OAuthCert.cer --certificate OAuthConfig/OAuthCertNext.cer".to_string()),
        None => (&f.exchange_sp.key_credentials, EXCHANGE_APP_ID, format!("hybrid cloud add-service-principal-key --service-principal-id {EXCHANGE_APP_ID} --key-file OAuthConfig/OAuthCertNext.cer")),
    };
    let skype = (
        &f.skype_sp.key_credentials,
        SKYPE_APP_ID,
        format!(
            "hybrid cloud add-service-principal-key --service-principal-id {SKYPE_APP_ID} --key-file OAuthConfig/OAuthCertNext.cer"
        ),
    );
    for (sp, app, upload_next) in [skype, exchange] {
        if !keys(sp).any(|k| {
            k.custom_key_identifier
                .as_deref()
                .unwrap_or("")
                .eq_ignore_ascii_case(next)
        }) {
            let mut fix = vec![export.clone()];
            if hybrid_app.is_some() && app != SKYPE_APP_ID {
                fix.push("hybrid onprem export-auth-cert --path OAuthConfig/OAuthCert.cer".into());
            }
            fix.push(upload_next);
            out.push(warning(
                "NextCertificateNotUploaded",
                format!("the staged auth certificate {next} is not a key credential of {app}: publishing it now would break the trust"),
                fix,
            ));
        }
    }
    out
}

fn sfb_partner_application(f: &Facts) -> Option<&PartnerApplication> {
    f.partner_applications.iter().find(|p| {
        p.application_identifier
            .as_str()
            .eq_ignore_ascii_case(SKYPE_APP_ID)
    })
}

fn partner_application(f: &Facts) -> Vec<Finding> {
    let Some(app) = sfb_partner_application(f) else {
        return vec![breaks(
            "PartnerApplicationMissing",
            &[Flow::PartnerToOnPremises],
            format!(
                "no partner application has ApplicationIdentifier {SKYPE_APP_ID}: Skype for Business Online's calls are refused (7001)"
            ),
            vec![format!(
                "hybrid onprem new-partner-application --name {SFB_PARTNER_APP} --application-identifier {SKYPE_APP_ID} --enabled true --linked-account SfBOnline-ApplicationAccount"
            )],
        )];
    };
    let mut out = vec![];
    if !app.enabled {
        out.push(breaks(
            "PartnerApplicationDisabled",
            &[Flow::PartnerToOnPremises],
            format!("the partner application {} is disabled: Skype for Business Online's calls are refused (7001)", app.name.as_str()),
            vec![format!("hybrid onprem set-partner-application --identity \"{}\" --enabled true", app.name.as_str())],
        ));
    }
    if !app.use_auth_server {
        out.push(breaks(
            "PartnerApplicationNotUsingAuthServer",
            &[Flow::PartnerToOnPremises],
            format!(
                "the partner application {} does not accept tokens from the auth server: Skype for Business Online's ACS tokens are refused",
                app.name.as_str()
            ),
            vec![format!(
                "hybrid onprem set-partner-application --identity \"{}\" --use-auth-server true",
                app.name.as_str()
            )],
        ));
    }
    out
}

/// Step 1's prerequisite enables the Exchange Online partner application Setup made disabled.
fn exchange_online_partner_application(f: &Facts) -> Vec<Finding> {
    let app = f.partner_applications.iter().find(|p| {
        p.application_identifier
            .as_str()
            .eq_ignore_ascii_case(EXCHANGE_APP_ID)
            && p.realm.is_empty()
    });
    match app {
        Some(a) if a.enabled => vec![],
        // In the shared mode on premises' own tokens are 00000002-…'s too: its
        // Test-OAuthConnectivity against its own EWS comes in through this application.
        Some(a) if f.hybrid_app.is_none() => vec![breaks(
            "ExchangeOnlinePartnerApplicationDisabled",
            &[Flow::FreeBusy, Flow::OnPremisesToCloud],
            format!(
                "the partner application {} ({EXCHANGE_APP_ID}) is disabled: Exchange Online's calls (free/busy, MailTips) are refused (7001), and so is on-premises Test-OAuthConnectivity against this organization's own EWS (its tokens are Exchange's, 00000002-…, in the shared mode)",
                a.name.as_str()
            ),
            vec![format!(
                "hybrid onprem set-partner-application --identity \"{}\" --enabled true",
                a.name.as_str()
            )],
        )],
        Some(a) => vec![breaks(
            "ExchangeOnlinePartnerApplicationDisabled",
            &[Flow::FreeBusy],
            format!(
                "the partner application {} ({EXCHANGE_APP_ID}) is disabled: Exchange Online's calls (free/busy, MailTips) are refused (7001)",
                a.name.as_str()
            ),
            vec![format!(
                "hybrid onprem set-partner-application --identity \"{}\" --enabled true",
                a.name.as_str()
            )],
        )],
        None => vec![],
    }
}

const APPLICATION_ACCOUNT: &str = "SfBOnline-ApplicationAccount";

/// Step 2's account, before step 3 names it: the mail user must exist for the partner
/// application to link it.
fn application_account_missing(f: &Facts, name: &str) -> Option<Finding> {
    let exists = f.mail_users.iter().any(|u| {
        [u.name.as_str(), u.alias.as_str(), u.identity.as_str()]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name) || n.rsplit('/').next() == Some(name))
    });
    if exists {
        return None;
    }
    let domain = f
        .tenant_domains
        .first()
        .map(String::as_str)
        .unwrap_or("contoso.com");
    let mut fix = vec![
        format!(
            "hybrid onprem new-mail-user --name {name} --external-email-address {name}@{domain}"
        ),
        format!(
            "hybrid onprem set-mail-user --identity {name} --hidden-from-address-lists-enabled true"
        ),
    ];
    for r in LINKED_ACCOUNT_ROLES {
        fix.push(format!(
            "hybrid onprem new-management-role-assignment --role {r} --user {name}"
        ));
    }
    Some(breaks(
        "ApplicationAccountMissing",
        &[Flow::PartnerToOnPremises],
        format!(
            "the application account {name} (a mail user) does not exist: step 3 links it to the partner application"
        ),
        fix,
    ))
}

fn linked_account(f: &Facts) -> Vec<Finding> {
    let Some(app) = sfb_partner_application(f) else {
        // Step 2 comes before step 3: its account, by the runbook's name.
        if let Some(missing) = application_account_missing(f, APPLICATION_ACCOUNT) {
            return vec![missing];
        }
        return roles_of(f, APPLICATION_ACCOUNT, APPLICATION_ACCOUNT);
    };
    let account = app.linked_account.as_str();
    if account.is_empty() {
        return vec![breaks(
            "LinkedAccountMissing",
            &[Flow::PartnerToOnPremises],
            format!(
                "the partner application {} has no linked account: every EWS call is refused (403)",
                app.name.as_str()
            ),
            vec![format!(
                "hybrid onprem set-partner-application --identity \"{}\" --linked-account SfBOnline-ApplicationAccount",
                app.name.as_str()
            )],
        )];
    }
    let name = account.rsplit('/').next().unwrap_or(account);
    if let Some(missing) = application_account_missing(f, name) {
        return vec![missing];
    }
    roles_of(f, account, name)
}

/// The step-2 roles the account lacks (`account` as assignments name it).
fn roles_of(f: &Facts, account: &str, name: &str) -> Vec<Finding> {
    let held: Vec<&str> = f
        .role_assignments
        .iter()
        .filter(|a| {
            let user = a.user.as_str();
            (user.eq_ignore_ascii_case(account) || user.rsplit('/').next() == Some(name))
                && a.enabled
        })
        .map(|a| a.role.as_str())
        .collect();
    LINKED_ACCOUNT_ROLES
        .iter()
        .filter(|r| !held.iter().any(|h| h.eq_ignore_ascii_case(r)))
        .map(|r| {
            breaks(
                "LinkedAccountMissingRole",
                &[Flow::PartnerToOnPremises],
                format!(
                    "the linked account {account} does not hold the {r} role: {}",
                    role_effect(r)
                ),
                vec![format!(
                    "hybrid onprem new-management-role-assignment --role {r} --user \"{name}\""
                )],
            )
        })
        .collect()
}

fn role_effect(role: &str) -> &'static str {
    if role == "ArchiveApplication" {
        "archiving into Recoverable Items\\Purges is refused (ErrorAccessDenied)"
    } else {
        "every EWS call of the partner is refused (ErrorAccessDenied)"
    }
}

fn partner_signing_key(f: &Facts) -> Vec<Finding> {
    let Some(thumb) = &f.partner_signing_thumbprint else {
        return vec![];
    };
    if keys(&f.skype_sp.key_credentials).any(|k| {
        k.custom_key_identifier
            .as_deref()
            .unwrap_or("")
            .eq_ignore_ascii_case(thumb)
    }) {
        return vec![];
    }
    vec![breaks(
        "PartnerKeyNotRegistered",
        &[Flow::PartnerToOnPremises],
        format!(
            "the partner service's signing certificate {thumb} is not a key credential of {SKYPE_APP_ID}: the token service refuses its assertions (AADSTS700027)"
        ),
        vec![
            "hybrid partner export-signing-cert --path partner-signing.cer".into(),
            format!(
                "hybrid cloud add-service-principal-key --service-principal-id {SKYPE_APP_ID} --key-file partner-signing.cer"
            ),
        ],
    )]
}

fn clocks(f: &Facts) -> Vec<Finding> {
    let mut out = vec![];
    for (role, skew) in &f.clocks {
        match skew {
            Ok(d) if d.abs() > MAX_SKEW_SECONDS => out.push(breaks(
                "ClockSkew",
                &Flow::ALL,
                format!("the {role} server's clock is {d} s off this machine's; tokens are refused beyond {MAX_SKEW_SECONDS} s (3001, AADSTS700024)"),
                // Run where the clock is off; systemd's NTP client keeps it right from then.
                vec![format!("timedatectl set-ntp true   # on the {role} server's machine, and on this one")],
            )),
            Ok(_) => {}
            Err(why) => out.push(server_unreachable(role, why, &f.urls)),
        }
    }
    out
}

/// A server that does not answer, with the command that starts it where it was (plain HTTP
/// when it served plain HTTP).
pub fn server_unreachable(role: &str, why: &str, urls: &[(String, String)]) -> Finding {
    let url = urls
        .iter()
        .find(|(r, _)| r == role)
        .map(|(_, u)| u.as_str())
        .unwrap_or("");
    let listen = url.split("://").nth(1).unwrap_or("").trim_end_matches('/');
    let mut start = format!("hybrid serve {role}");
    if !listen.is_empty() {
        start.push_str(&format!(" --listen {listen}"));
    }
    if url.starts_with("http://") {
        start.push_str(" --insecure-http");
    }
    breaks(
        "ServerUnreachable",
        &served_flows(role),
        format!("the {role} server does not answer at {url}: {why}"),
        vec![start],
    )
}

#[cfg(test)]
#[path = "tests.rs"]
pub(crate) mod tests;
