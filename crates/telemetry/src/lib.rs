//! Metrics for every role, in the Prometheus text format (OpenMetrics 1.0) through
//! `prometheus-client`: a role builds a [`Telemetry`], registers its own families in it, wraps
//! its router with [`Telemetry::layer`] (requests by route and status, latency by route) and
//! serves [`Telemetry::encode`] at `/metrics` behind its admin credential.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// The content type of the OpenMetrics text format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
}

/// A role's registry and its HTTP metrics.
pub struct Telemetry {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Family<Route, Histogram>,
    change_feed_lag: Gauge<f64, AtomicU64>,
}

impl Telemetry {
    /// A registry whose metrics carry `role` as a label.
    pub fn new(role: &str) -> Telemetry {
        let mut registry = Registry::with_labels(
            [(
                std::borrow::Cow::Borrowed("role"),
                std::borrow::Cow::Owned(role.to_string()),
            )]
            .into_iter(),
        );
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register(
            "hybrid_http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency = Family::<Route, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 18))
        });
        registry.register(
            "hybrid_http_request_duration_seconds",
            "How long HTTP requests took, by method and route",
            latency.clone(),
        );
        let change_feed_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "hybrid_change_feed_lag_seconds",
            "How long the last configuration change made by another process of the role took to arrive",
            change_feed_lag.clone(),
        );
        Telemetry {
            registry,
            requests,
            latency,
            change_feed_lag,
        }
    }

    /// Where the role registers its own families (before the telemetry is shared).
    pub fn registry(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Records the store's change-feed lag (ms; None until a change from another process came).
    pub fn set_change_feed_lag_ms(&self, lag: Option<i64>) {
        self.change_feed_lag
            .set(lag.map_or(0.0, |ms| ms as f64 / 1000.0));
    }

    /// The registry's metrics as OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// `GET /metrics`'s answer (the caller has checked the credential).
    pub fn response(&self) -> Response {
        (
            [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
            self.encode(),
        )
            .into_response()
    }

    /// Counts every request of `router` by its matched route (never the raw path: ids in
    /// paths would make a series each).
    pub fn layer<S: Clone + Send + Sync + 'static>(
        self: &Arc<Self>,
        router: axum::Router<S>,
    ) -> axum::Router<S> {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), observe))
    }
}

async fn observe(State(t): State<Arc<Telemetry>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    t.requests
        .get_or_create(&RouteStatus {
            method: method.clone(),
            route: route.clone(),
            status: resp.status().as_u16().to_string(),
        })
        .inc();
    t.latency
        .get_or_create(&Route { method, route })
        .observe(started.elapsed().as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_carry_the_role_and_the_text_ends_as_openmetrics_does() {
        let t = Telemetry::new("cloud");
        t.requests
            .get_or_create(&RouteStatus {
                method: "GET".into(),
                route: "/health".into(),
                status: "200".into(),
            })
            .inc();
        let text = t.encode();
        assert!(
            text.contains(r#"hybrid_http_requests_total{role="cloud",method="GET",route="/health",status="200"} 1"#),
            "{text}"
        );
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
