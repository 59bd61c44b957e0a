//! The on-premises role's metrics, served at `GET /metrics` (OpenMetrics text) to the
//! organization admin or the operator: HTTP requests (the telemetry layer), S2S handshakes by
//! direction, outcome and Exchange error code, EWS operations by name and response code, the
//! work queue's jobs (mail deliveries, push notifications) by kind and outcome, and days until
//! each auth certificate of AuthConfig ends (read when scraped).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use telemetry::Telemetry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HandshakeLabels {
    pub direction: String,
    pub outcome: String,
    /// The Exchange error code of a refusal ("" when accepted).
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EwsLabels {
    operation: String,
    response_code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkLabels {
    /// mail-delivery or ews-push.
    kind: String,
    /// done, retry or dead.
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CertificateLabels {
    /// current, next or previous.
    certificate: String,
    thumbprint: String,
}

pub struct OnPremMetrics {
    pub telemetry: Arc<Telemetry>,
    pub handshakes: Family<HandshakeLabels, Counter>,
    ews: Family<EwsLabels, Counter>,
    work: Family<WorkLabels, Counter>,
    certificate_days: Family<CertificateLabels, Gauge<f64, AtomicU64>>,
}

impl Default for OnPremMetrics {
    fn default() -> Self {
        let mut t = Telemetry::new("onprem");
        let handshakes = Family::<HandshakeLabels, Counter>::default();
        t.registry().register(
            "hybrid_s2s_handshakes",
            "S2S handshakes decided, by direction (inbound, outbound), outcome and Exchange error code",
            handshakes.clone(),
        );
        let ews = Family::<EwsLabels, Counter>::default();
        t.registry().register(
            "hybrid_ews_operations",
            "EWS operations answered, by operation and the first response message's code",
            ews.clone(),
        );
        let work = Family::<WorkLabels, Counter>::default();
        t.registry().register(
            "hybrid_work_jobs",
            "Work-queue jobs run (mail deliveries, push notifications), by kind and outcome (done, retry, dead)",
            work.clone(),
        );
        let certificate_days = Family::<CertificateLabels, Gauge<f64, AtomicU64>>::default();
        t.registry().register(
            "hybrid_auth_certificate_days_to_expiry",
            "Days until each auth certificate of AuthConfig ends",
            certificate_days.clone(),
        );
        OnPremMetrics {
            telemetry: Arc::new(t),
            handshakes,
            ews,
            work,
            certificate_days,
        }
    }
}

impl OnPremMetrics {
    /// A work-queue job ran: `outcome` is done, retry or dead.
    pub fn work_job(&self, kind: &str, outcome: &str) {
        self.work
            .get_or_create(&WorkLabels {
                kind: kind.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Forgets the certificates' days left before they are measured again.
    pub fn clear_certificate_days(&self) {
        self.certificate_days.clear();
    }

    /// Days left of the auth certificate in the role `which` (current, next, previous).
    pub fn set_certificate_days(&self, which: &str, thumbprint: String, days: f64) {
        self.certificate_days
            .get_or_create(&CertificateLabels {
                certificate: which.into(),
                thumbprint,
            })
            .set(days);
    }

    pub fn ews_operation(&self, operation: &str, response_code: &str) {
        self.ews
            .get_or_create(&EwsLabels {
                operation: operation.to_string(),
                response_code: response_code.to_string(),
            })
            .inc();
    }
}
