//! `GET /metrics`: what an operator of the partner's work queue watches, in the Prometheus
//! text format (OpenMetrics 1.0), behind the operator credential like every admin route.
//!
//! The queue's depth by state and the age of its oldest due job are read from the store when
//! scraped (index ranges on state; finished jobs are never counted); attempts and how long
//! each took are counted by this process as it does them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use telemetry::Telemetry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

/// A job attempt: its kind (archive, history) and how it ended (done, retry, dead).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    pub kind: String,
    pub outcome: String,
}

pub struct PartnerMetrics {
    /// The role's registry, with the HTTP request metrics of its router.
    pub telemetry: Arc<Telemetry>,
    jobs: Family<StateLabel, Gauge>,
    oldest_due_age: Gauge<f64, AtomicU64>,
    attempts: Family<AttemptLabels, Counter>,
    attempt_seconds: Family<AttemptLabels, Histogram>,
}

impl Default for PartnerMetrics {
    fn default() -> Self {
        let mut t = Telemetry::new("partner");
        let registry = t.registry();
        let jobs = Family::<StateLabel, Gauge>::default();
        registry.register(
            "hybrid_queue_jobs",
            "Jobs in the partner's work queue by state (pending, leased, dead)",
            jobs.clone(),
        );
        let oldest_due_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "hybrid_queue_oldest_due_age_seconds",
            "How long the oldest pending job has been due",
            oldest_due_age.clone(),
        );
        let attempts = Family::<AttemptLabels, Counter>::default();
        registry.register(
            "hybrid_queue_attempts",
            "Job attempts made by this process, by kind and outcome (done, retry, dead)",
            attempts.clone(),
        );
        let attempt_seconds = Family::<AttemptLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register(
            "hybrid_queue_attempt_duration_seconds",
            "How long job attempts took, by kind and outcome",
            attempt_seconds.clone(),
        );
        PartnerMetrics {
            telemetry: Arc::new(t),
            jobs,
            oldest_due_age,
            attempts,
            attempt_seconds,
        }
    }
}

impl PartnerMetrics {
    pub fn attempt(&self, kind: &str, outcome: &str, seconds: f64) {
        let labels = AttemptLabels {
            kind: kind.to_string(),
            outcome: outcome.to_string(),
        };
        self.attempts.get_or_create(&labels).inc();
        self.attempt_seconds.get_or_create(&labels).observe(seconds);
    }

    /// The queue's jobs by state and the age of the oldest job due, as `GET /metrics` reports
    /// them.
    pub fn observe_queue(&self, stats: &store::QueueStats) {
        for (state, n) in [
            ("pending", stats.pending),
            ("leased", stats.leased),
            ("dead", stats.dead),
        ] {
            self.jobs
                .get_or_create(&StateLabel {
                    state: state.into(),
                })
                .set(n);
        }
        self.oldest_due_age
            .set(stats.oldest_due_age_ms as f64 / 1000.0);
    }
}
