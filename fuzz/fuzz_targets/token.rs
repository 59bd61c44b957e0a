//! Any bytes as a bearer token: decoding, explaining and the whole validation pipeline must
//! return an answer (accept or a catalogue error), never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s2s::ids::{ACS_APP_ID, EXCHANGE_APP_ID, SKYPE_APP_ID};
use s2s::{IssuerKey, IssuerKind, PartnerApplicationTrust, RequestContext, TrustSnapshot, TrustedIssuer, Validator};
use std::sync::OnceLock;

fn trust() -> &'static TrustSnapshot {
    static TRUST: OnceLock<TrustSnapshot> = OnceLock::new();
    TRUST.get_or_init(|| {
        let pem = include_bytes!("../../crates/s2s/fixtures/acs-cert.pem");
        let cert = crypto::Certificate::from_pem(pem).unwrap();
        TrustSnapshot {
            service_name: EXCHANGE_APP_ID.into(),
            issuers: vec![TrustedIssuer {
                kind: IssuerKind::Acs,
                id: ACS_APP_ID.into(),
                realm: None,
                keys: vec![IssuerKey::from_certificate(&cert).unwrap()],
            }],
            partner_applications: vec![PartnerApplicationTrust {
                name: "SfBOnline".into(),
                application_identifier: SKYPE_APP_ID.into(),
                realm: None,
                use_auth_server: true,
                enabled: true,
                accept_security_identifier_information: true,
            }],
            local_realms: vec!["contoso.com".into()],
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = s2s::inspect::inspect(text, 1_800_000_000);
    let req = RequestContext { host: "mail.contoso.com", now: 1_800_000_000 };
    let _ = Validator::default().validate(text, &req, trust());
});
