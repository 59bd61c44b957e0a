//! Token throughput against raw RSA, measured in one run.
//!
//! Prints operations per second for: raw aws-lc-rs RS256 verify of a token's signing input
//! (the baseline), the whole inbound pipeline on an ACS app-only token and on an act-as outer
//! token, raw aws-lc-rs signing, and building + signing a whole self-issued actor token. The
//! ratios say what a token costs beyond its RSA operation.
//!
//! Usage: cargo run --release -p hybrid-bench --bin bench-tokens [-- SECONDS_PER_ROUND]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use crypto::{Certificate, CertificateRequest};
use s2s::ids::{ACS_APP_ID, Audience, EXCHANGE_APP_ID, PrincipalId, SKYPE_APP_ID};
use s2s::token::{AcsActor, OuterToken, SelfIssuedActor, UserContext};
use s2s::{
    IssuerKey, IssuerKind, Jwt, PartnerApplicationTrust, RequestContext, TrustSnapshot,
    TrustedIssuer, Validator,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

const TENANT: &str = "9b8f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b";
const HOST: &str = "mail.contoso.com";

/// Runs `f` repeatedly for `secs` and returns operations per second.
fn rate(secs: f64, mut f: impl FnMut()) -> f64 {
    let budget = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..64 {
            f();
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let made = CertificateRequest::default()
        .self_signed()
        .expect("certificate");
    let (cert, key) = (&made.certificate, &made.key);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let audience = Audience::new(EXCHANGE_APP_ID, HOST, TENANT);
    let actor = AcsActor {
        audience: &audience,
        tenant: TENANT,
        client_app_id: SKYPE_APP_ID,
        client_object_id: "5f4e3d2c-0000-4000-8000-000000000004",
        trusted_for_delegation: true,
        issued_at: now,
        not_before: now,
        expires: now + 86_400,
    }
    .sign(key, cert);
    let user = UserContext {
        smtp: Some("alice@contoso.com".into()),
        sip: Some("alice@contoso.com".into()),
        ..Default::default()
    };
    let skype = PrincipalId::new(SKYPE_APP_ID, TENANT);
    let outer = OuterToken {
        actor_token: &actor,
        audience: &audience,
        issuer: &skype,
        not_before: now,
        expires: now + 3600,
        user: &user,
    }
    .encode();
    let trust = trust(cert);
    let validator = Validator::default();
    let req = RequestContext {
        host: HOST,
        published_host: None,
        now,
    };
    validator
        .validate(&actor, &req, &trust)
        .expect("app-only token validates");
    validator
        .validate(&outer, &req, &trust)
        .expect("act-as token validates");

    // Baselines: aws-lc-rs directly, key parsed once.
    let jwt = Jwt::decode(&actor).unwrap();
    let (input, sig) = (jwt.signing_input().to_vec(), jwt.signature.clone());
    let spki = x509_spki(cert);
    let raw_public = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &spki).unwrap();
    let raw_pair = KeyPair::from_pkcs8(&key.to_pkcs8_der()).unwrap();
    let rng = SystemRandom::new();
    let mut sig_buf = vec![0u8; raw_pair.public_modulus_len()];
    let issuer = PrincipalId::new(EXCHANGE_APP_ID, "contoso.com");
    let partner_aud = Audience::new(SKYPE_APP_ID, "lync.contoso.com", "contoso.com");

    let rounds = 3;
    let (mut raw_v, mut app_v, mut actas_v, mut raw_s, mut tok_s) =
        (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        raw_v.push(rate(secs, || {
            raw_public
                .verify_sig(black_box(&input), black_box(&sig))
                .unwrap()
        }));
        app_v.push(rate(secs, || {
            black_box(validator.validate(black_box(&actor), &req, &trust).unwrap());
        }));
        actas_v.push(rate(secs, || {
            black_box(validator.validate(black_box(&outer), &req, &trust).unwrap());
        }));
        raw_s.push(rate(secs, || {
            raw_pair
                .sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    black_box(&input),
                    &mut sig_buf,
                )
                .unwrap()
        }));
        tok_s.push(rate(secs, || {
            let t = SelfIssuedActor {
                issuer: &issuer,
                audience: &partner_aud,
                not_before: now,
                expires: now + 86_400,
            };
            black_box(t.sign(key, cert));
        }));
    }
    let (raw_v, app_v, actas_v, raw_s, tok_s) = (
        median(raw_v),
        median(app_v),
        median(actas_v),
        median(raw_s),
        median(tok_s),
    );
    println!("RS256 (RSA-2048), one thread, median of {rounds} rounds of {secs}s each");
    println!("{:<44} {:>12} {:>14}", "operation", "ops/s", "cost vs raw");
    println!(
        "{:<44} {:>12.0} {:>14}",
        "raw aws-lc-rs verify (baseline)", raw_v, "1.00x"
    );
    println!(
        "{:<44} {:>12.0} {:>13.2}x",
        "pipeline: ACS app-only token",
        app_v,
        raw_v / app_v
    );
    println!(
        "{:<44} {:>12.0} {:>13.2}x",
        "pipeline: act-as outer + actor token",
        actas_v,
        raw_v / actas_v
    );
    println!(
        "{:<44} {:>12.0} {:>14}",
        "raw aws-lc-rs sign (baseline)", raw_s, "1.00x"
    );
    println!(
        "{:<44} {:>12.0} {:>13.2}x",
        "build + sign self-issued actor token",
        tok_s,
        raw_s / tok_s
    );
    let overhead = (raw_v / app_v - 1.0) * 100.0;
    println!("whole-token verify overhead over raw RSA verify: {overhead:.1}% (goal: at most 25%)");
}

fn trust(cert: &Certificate) -> TrustSnapshot {
    TrustSnapshot {
        service_name: EXCHANGE_APP_ID.into(),
        issuers: vec![TrustedIssuer {
            kind: IssuerKind::Acs,
            id: ACS_APP_ID.into(),
            realm: Some(TENANT.into()),
            keys: vec![IssuerKey::from_certificate(cert).unwrap()],
        }],
        partner_applications: vec![PartnerApplicationTrust {
            name: "SfBOnline".into(),
            application_identifier: SKYPE_APP_ID.into(),
            realm: None,
            use_auth_server: true,
            enabled: true,
            accept_security_identifier_information: false,
        }],
        local_realms: vec![TENANT.into(), "contoso.com".into()],
    }
}

/// The SubjectPublicKeyInfo of a certificate, for the raw baseline.
fn x509_spki(cert: &Certificate) -> Vec<u8> {
    use x509_parser::prelude::FromDer;
    let (_, x) = x509_parser::certificate::X509Certificate::from_der(cert.der()).unwrap();
    x.public_key().raw.to_vec()
}
