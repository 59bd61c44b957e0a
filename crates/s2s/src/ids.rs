//! Principal identifiers of the S2S protocol: `app@realm` and `app/host@realm`, and the
//! well-known first-party applications.
//!
//! Parsing follows Exchange's rules exactly (which `@` and `/` split what); comparison ignores
//! case, and everything this crate emits is lowercase.

use std::fmt;

/// ACS, the token service of the cloud directory.
pub const ACS_APP_ID: &str = "00000001-0000-0000-c000-000000000000";
/// Exchange (on-premises AuthConfig ServiceName, and Exchange Online).
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";
/// SharePoint.
pub const SHAREPOINT_APP_ID: &str = "00000003-0000-0ff1-ce00-000000000000";
/// Lync / Skype for Business (Online and Server).
pub const SKYPE_APP_ID: &str = "00000004-0000-0ff1-ce00-000000000000";
/// Azure AD Graph: the audience of a Graph addKey proof.
pub const AAD_GRAPH_APP_ID: &str = "00000002-0000-0000-c000-000000000000";
/// The Teams calendar (scheduling) service of the Teams edition of the runbook.
pub const TEAMS_SCHEDULER_APP_ID: &str = "7557eb47-c689-4224-abcf-aef9bd7573df";
/// Cloud Voicemail, Teams' voicemail service, of the Teams edition of the runbook.
pub const CLOUD_VOICEMAIL_APP_ID: &str = "db7de2b5-2149-435e-8043-e080dd50afae";
/// Exchange's reserved self-issuing realm; partner applications in it are never advertised.
pub const SELF_ISSUING_REALM: &str = "00000002-0000-0ff1-ce00-200000000000";

/// The well-known principals and their names.
pub const WELL_KNOWN_PRINCIPALS: &[(&str, &str)] = &[
    (ACS_APP_ID, "Microsoft Entra ACS (Azure ESTS Service)"),
    (
        EXCHANGE_APP_ID,
        "Office 365 Exchange Online / Exchange Server",
    ),
    (
        SHAREPOINT_APP_ID,
        "Office 365 SharePoint Online / SharePoint Server",
    ),
    (SKYPE_APP_ID, "Skype for Business Online / Lync"),
    (TEAMS_SCHEDULER_APP_ID, "Teams Scheduler (Teams calendar)"),
    (CLOUD_VOICEMAIL_APP_ID, "Cloud Voicemail (Teams)"),
    (
        AAD_GRAPH_APP_ID,
        "Windows Azure Active Directory (Azure AD Graph)",
    ),
    (
        "00000006-0000-0ff1-ce00-000000000000",
        "Microsoft Office 365 Portal",
    ),
    (
        "00000007-0000-0ff1-ce00-000000000000",
        "Exchange Online Protection",
    ),
];

/// The display name of a well-known application id, compared without regard to case.
pub fn well_known_name(app_id: &str) -> Option<&'static str> {
    WELL_KNOWN_PRINCIPALS
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(app_id))
        .map(|(_, name)| *name)
}

/// Exchange's notion of an empty realm: absent, empty, or `*`.
pub fn is_realm_empty(realm: Option<&str>) -> bool {
    matches!(realm, None | Some("") | Some("*"))
}

/// Case-insensitive equality of ids, realms and hosts, as Exchange compares them.
pub fn id_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `appId@realm`: an issuer or `nameid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalId {
    pub app_id: String,
    pub realm: String,
}

impl PrincipalId {
    pub fn new(app_id: &str, realm: &str) -> Self {
        PrincipalId {
            app_id: app_id.to_ascii_lowercase(),
            realm: realm.to_ascii_lowercase(),
        }
    }

    /// A `nameid`: split at the first `@`; no `@` is an error.
    pub fn parse_nameid(value: &str) -> Option<Self> {
        let (app, realm) = value.split_once('@')?;
        Some(PrincipalId {
            app_id: app.to_string(),
            realm: realm.to_string(),
        })
    }

    /// An issuer: trimmed; realm after the last `@`; id before the last `/` if there is one,
    /// otherwise before the last `@`; a leading `/` with nothing before it (`/app@realm`, as the
    /// Teams services' issuers are also written) is skipped. No `@`, or an empty id, is an error.
    pub fn parse_issuer(value: &str) -> Option<Self> {
        let value = value.trim();
        let at = value.rfind('@')?;
        let before = &value[..at];
        let id = match before.rfind('/') {
            Some(0) => &before[1..],
            Some(slash) => &before[..slash],
            None => before,
        };
        if id.is_empty() {
            return None;
        }
        Some(PrincipalId {
            app_id: id.to_string(),
            realm: value[at + 1..].to_string(),
        })
    }

    pub fn matches(&self, other: &PrincipalId) -> bool {
        id_eq(&self.app_id, &other.app_id) && id_eq(&self.realm, &other.realm)
    }
}

impl fmt::Display for PrincipalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}",
            self.app_id.to_ascii_lowercase(),
            self.realm.to_ascii_lowercase()
        )
    }
}

/// `appId/hostAuthority@realm`: an audience or token-request resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub app_id: String,
    pub host: String,
    pub realm: String,
}

impl Audience {
    pub fn new(app_id: &str, host: &str, realm: &str) -> Self {
        Audience {
            app_id: app_id.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            realm: realm.to_ascii_lowercase(),
        }
    }

    /// Realm after the last `@`, app id before the first `/`, host between them. No `@`, no `/`,
    /// or the last `@` before the first `/` is an error.
    pub fn parse(value: &str) -> Option<Self> {
        let at = value.rfind('@')?;
        let slash = value.find('/')?;
        if at < slash {
            return None;
        }
        Some(Audience {
            app_id: value[..slash].to_string(),
            host: value[slash + 1..at].to_string(),
            realm: value[at + 1..].to_string(),
        })
    }

    pub fn matches(&self, other: &Audience) -> bool {
        id_eq(&self.app_id, &other.app_id)
            && id_eq(&self.host, &other.host)
            && id_eq(&self.realm, &other.realm)
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}@{}",
            self.app_id.to_ascii_lowercase(),
            self.host.to_ascii_lowercase(),
            self.realm.to_ascii_lowercase()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_parse_rules() {
        let a =
            Audience::parse("00000002-0000-0ff1-ce00-000000000000/mail.contoso.com@Contoso.com")
                .unwrap();
        assert_eq!(a.app_id, EXCHANGE_APP_ID);
        assert_eq!(a.host, "mail.contoso.com");
        assert_eq!(a.realm, "Contoso.com");
        assert_eq!(
            a.to_string(),
            "00000002-0000-0ff1-ce00-000000000000/mail.contoso.com@contoso.com"
        );
        // app before the first '/', realm after the last '@'
        let b = Audience::parse("app/host/path@x@realm").unwrap();
        assert_eq!(
            (b.app_id.as_str(), b.host.as_str(), b.realm.as_str()),
            ("app", "host/path@x", "realm")
        );
        assert!(Audience::parse("app@realm").is_none(), "no slash");
        assert!(Audience::parse("app/host").is_none(), "no at");
        assert!(
            Audience::parse("app@realm/host").is_none(),
            "last @ before first /"
        );
        let empty = Audience::parse("app/host@").unwrap();
        assert!(is_realm_empty(Some(&empty.realm)));
    }

    #[test]
    fn nameid_and_issuer_rules() {
        let n = PrincipalId::parse_nameid("app@realm@more").unwrap();
        assert_eq!((n.app_id.as_str(), n.realm.as_str()), ("app", "realm@more"));
        assert!(PrincipalId::parse_nameid("no-at").is_none());
        let i =
            PrincipalId::parse_issuer("  00000001-0000-0000-c000-000000000000@Tenant ").unwrap();
        assert_eq!(i.app_id, ACS_APP_ID);
        assert_eq!(i.realm, "Tenant");
        let h = PrincipalId::parse_issuer("app/host@realm").unwrap();
        assert_eq!((h.app_id.as_str(), h.realm.as_str()), ("app", "realm"));
        let slash =
            PrincipalId::parse_issuer("/7557eb47-c689-4224-abcf-aef9bd7573df@realm").unwrap();
        assert_eq!(slash.app_id, TEAMS_SCHEDULER_APP_ID);
        assert!(PrincipalId::parse_issuer("/@realm").is_none());
        assert!(PrincipalId::parse_issuer("@realm").is_none());
        assert!(PrincipalId::parse_issuer("app").is_none());
        assert!(i.matches(&PrincipalId::new(ACS_APP_ID, "tenant")));
        assert_eq!(PrincipalId::new("APP", "Realm").to_string(), "app@realm");
    }

    #[test]
    fn empty_realms_and_names() {
        assert!(is_realm_empty(None) && is_realm_empty(Some("")) && is_realm_empty(Some("*")));
        assert!(!is_realm_empty(Some("contoso.com")));
        assert_eq!(
            well_known_name("00000004-0000-0FF1-CE00-000000000000"),
            Some("Skype for Business Online / Lync")
        );
        assert_eq!(well_known_name("nope"), None);
    }
}
