//! The cloud role's metrics, served at `GET /metrics` (OpenMetrics text) to the operator: HTTP
//! requests (the telemetry layer), tokens issued by endpoint, refusals by endpoint and AADSTS
//! code, and days until each published signing certificate ends (read when scraped).

use crate::snapshot::Snapshot;
use crate::sts::Endpoint;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use telemetry::Telemetry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    endpoint: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeyCredentialLabels {
    tenant: String,
    app_id: String,
    thumbprint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeyLabels {
    status: String,
    thumbprint: String,
}

pub struct CloudMetrics {
    pub telemetry: Arc<Telemetry>,
    issued: Family<EndpointLabel, Counter>,
    refused: Family<RefusalLabels, Counter>,
    signing_key_days: Family<KeyLabels, Gauge<f64, AtomicU64>>,
    key_credential_days: Family<KeyCredentialLabels, Gauge<f64, AtomicU64>>,
    sign_ins: Family<SignInLabels, Counter>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    flow: String,
    outcome: String,
}

fn endpoint_name(e: Endpoint) -> &'static str {
    match e {
        Endpoint::Acs => "acs",
        Endpoint::EntraV1 => "entra-v1",
        Endpoint::EntraV2 => "entra-v2",
    }
}

impl Default for CloudMetrics {
    fn default() -> Self {
        let mut t = Telemetry::new("cloud");
        let issued = Family::<EndpointLabel, Counter>::default();
        t.registry().register(
            "hybrid_sts_tokens_issued",
            "Access tokens issued, by token endpoint (acs, entra-v1, entra-v2)",
            issued.clone(),
        );
        let refused = Family::<RefusalLabels, Counter>::default();
        t.registry().register(
            "hybrid_sts_refusals",
            "Token requests refused, by token endpoint and AADSTS code",
            refused.clone(),
        );
        let signing_key_days = Family::<KeyLabels, Gauge<f64, AtomicU64>>::default();
        t.registry().register(
            "hybrid_sts_signing_certificate_days_to_expiry",
            "Days until each of the token service's signing certificates ends",
            signing_key_days.clone(),
        );
        let key_credential_days = Family::<KeyCredentialLabels, Gauge<f64, AtomicU64>>::default();
        t.registry().register(
            "hybrid_key_credential_days_to_expiry",
            "Days until each Verify key credential of a service principal or application ends",
            key_credential_days.clone(),
        );
        let sign_ins = Family::<SignInLabels, Counter>::default();
        t.registry().register(
            "hybrid_sign_ins",
            "User sign-ins, by flow (page, device, password) and outcome (success, failure, locked)",
            sign_ins.clone(),
        );
        CloudMetrics {
            sign_ins,
            telemetry: Arc::new(t),
            key_credential_days,
            issued,
            refused,
            signing_key_days,
        }
    }
}

impl CloudMetrics {
    pub fn issued(&self, e: Endpoint) {
        self.issued
            .get_or_create(&EndpointLabel {
                endpoint: endpoint_name(e).into(),
            })
            .inc();
    }

    pub fn refused(&self, e: Endpoint, code: u32) {
        self.refused
            .get_or_create(&RefusalLabels {
                endpoint: endpoint_name(e).into(),
                code: code.to_string(),
            })
            .inc();
    }

    /// A sign-in's outcome. Failures are counted whether or not the user exists.
    pub fn sign_in(&self, flow: &str, outcome: &str) {
        self.sign_ins
            .get_or_create(&SignInLabels {
                flow: flow.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// The days left of each signing key and each application key credential, as
    /// `GET /metrics` reports them.
    pub fn observe_keys(&self, snapshot: &Snapshot, now: time::OffsetDateTime) {
        self.signing_key_days.clear();
        for k in &snapshot.signing_keys {
            self.signing_key_days
                .get_or_create(&KeyLabels {
                    status: k.status.clone(),
                    thumbprint: k.certificate.thumbprint().to_string(),
                })
                .set((k.certificate.not_after() - now).as_seconds_f64() / 86_400.0);
        }
        self.key_credential_days.clear();
        for (tenant_id, tenant) in &snapshot.tenants {
            for p in tenant.principals.values() {
                for k in &p.verify_keys {
                    self.key_credential_days
                        .get_or_create(&KeyCredentialLabels {
                            tenant: tenant_id.clone(),
                            app_id: p.sp.app_id.clone(),
                            thumbprint: k.thumbprint.clone(),
                        })
                        .set((k.end - now.unix_timestamp()) as f64 / 86_400.0);
                }
            }
        }
    }
}
