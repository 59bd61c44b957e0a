//! The on-premises role's metrics, served at `GET /metrics` (OpenMetrics text) to the
//! organization admin or the operator: HTTP requests (the telemetry layer), S2S handshakes by
//! direction, outcome and Exchange error code, EWS operations by name and response code, and
//! days until each auth certificate of AuthConfig ends (read when scraped).

use crate::error::OnPremError;
use crate::server::OnPremState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
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
struct CertificateLabels {
    /// current, next or previous.
    certificate: String,
    thumbprint: String,
}

pub struct OnPremMetrics {
    pub telemetry: Arc<Telemetry>,
    pub handshakes: Family<HandshakeLabels, Counter>,
    ews: Family<EwsLabels, Counter>,
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
            certificate_days,
        }
    }
}

impl OnPremMetrics {
    pub fn ews_operation(&self, operation: &str, response_code: &str) {
        self.ews
            .get_or_create(&EwsLabels {
                operation: operation.to_string(),
                response_code: response_code.to_string(),
            })
            .inc();
    }
}

/// `GET /metrics`.
pub async fn metrics(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
) -> Result<Response, OnPremError> {
    state.authenticate(&headers)?;
    let config = crate::oauth_config::auth_config(&state.store).await?;
    let now = time::OffsetDateTime::now_utc();
    state
        .metrics
        .telemetry
        .set_change_feed_lag_ms(state.store.change_feed_lag_ms());
    state.metrics.certificate_days.clear();
    for (which, member) in [
        ("current", "CurrentCertificateThumbprint"),
        ("next", "NextCertificateThumbprint"),
        ("previous", "PreviousCertificateThumbprint"),
    ] {
        let thumbprint = crate::objects::text(&config.data, member).to_string();
        if thumbprint.is_empty() {
            continue;
        }
        let Ok(obj) = crate::certs::by_thumbprint(&state.store, &thumbprint).await else {
            continue;
        };
        let ends = time::OffsetDateTime::parse(
            crate::objects::text(&obj.data, "NotAfter"),
            &time::format_description::well_known::Rfc3339,
        );
        if let Ok(ends) = ends {
            state
                .metrics
                .certificate_days
                .get_or_create(&CertificateLabels {
                    certificate: which.into(),
                    thumbprint,
                })
                .set((ends - now).as_seconds_f64() / 86_400.0);
        }
    }
    Ok(state.metrics.telemetry.response())
}
