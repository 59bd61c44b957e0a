//! Archived transcripts per second, end to end: conversations posted to the partner's API
//! until each transcript is an immutable item in the participant's Recoverable Items\Purges
//! (the queue drained), against the same run's rate of the partner merely accepting them (its
//! enqueue: the ceiling the end-to-end figure is a share of). The runbook is set up by `hybrid
//! demo --keep` and its data served by `hybrid up` (all three roles in one process): first on
//! embedded SQLite stores, the baseline, then (given `--postgres ADMIN_URL`) on a PostgreSQL
//! database per role with one and with two partner processes sharing the partner's queue.

use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

async fn drained(http: &reqwest::Client, partner: &str, operator: &str) -> Value {
    loop {
        let q: Value = http
            .get(format!("{partner}/admin/queue"))
            .bearer_auth(operator)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if q["pending"] == 0 && q["leased"] == 0 {
            return q;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Posts `n` one-participant conversations with `c` in flight, spread over the partner
/// processes; the seconds it took.
async fn post_all(
    http: &reqwest::Client,
    partners: &[String],
    operator: &str,
    n: usize,
    c: usize,
) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..c {
        let (http, next) = (http.clone(), next.clone());
        // Posters spread over the partner processes (a load balancer's round robin).
        let partner = &partners[i % partners.len()];
        let (url, operator) = (format!("{partner}/api/conversations"), operator.to_string());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let r = http
                    .post(&url)
                    .bearer_auth(&operator)
                    .json(&json!({"participants": ["alice@contoso.com"], "messages": [{"from": "alice", "text": "bench"}]}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed().as_secs_f64()
}

/// Where the roles keep their stores.
pub enum Stores {
    /// Embedded SQLite under the data folder (the default).
    Sqlite,
    /// A database each on this PostgreSQL server (an admin URL that may create databases),
    /// with this many partner processes on the partner's database.
    Postgres { admin: String, partners: usize },
}

impl Stores {
    fn label(&self) -> String {
        match self {
            Stores::Sqlite => "SQLite, 1 partner process".into(),
            Stores::Postgres { partners, .. } => {
                format!(
                    "PostgreSQL, {partners} partner process{}",
                    if *partners == 1 { "" } else { "es" }
                )
            }
        }
    }
}

/// A fresh database on the server of `admin` (via psql); its URL.
fn fresh_database(admin: &str) -> String {
    let name = format!("hybrid_bench_{}", uuid::Uuid::new_v4().simple());
    let done = Command::new("psql")
        .args([admin, "-qc", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql runs");
    assert!(done.success(), "CREATE DATABASE {name} failed");
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
}

/// Conversations archived per second end to end, and accepted (enqueued) per second.
pub async fn run(hybrid: &Path, n: usize, c: usize, stores: &Stores) -> (f64, f64) {
    let mut env: Vec<(String, String)> = vec![("HYBRID_LOG".into(), "warn".into())];
    let mut partner_store = None;
    if let Stores::Postgres { admin, .. } = stores {
        for role in ["CLOUD", "ONPREM", "PARTNER"] {
            let url = fresh_database(admin);
            if role == "PARTNER" {
                partner_store = Some(url.clone());
            }
            env.push((format!("HYBRID_STORE_{role}"), url));
        }
    }
    // The runbook first (`hybrid demo --keep`), then its data served by `hybrid up`.
    let demo = Command::new(hybrid)
        .args(["demo", "--keep"])
        .envs(env.clone())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&demo.stdout);
    assert!(demo.status.success(), "hybrid demo failed:\n{text}");
    let dir = std::path::PathBuf::from(
        text.lines()
            .find_map(|l| l.strip_prefix("kept "))
            .expect("hybrid demo --keep names its folder")
            .trim(),
    );
    let data = dir.join("data");
    let _ = std::fs::remove_file(data.join("ready"));
    // Stopped when this returns or panics.
    let _up = super::Killed(
        Command::new(hybrid)
            // Plain HTTP, as the figures before HTTPS became the default were measured.
            .args([
                "--data",
                data.to_str().unwrap(),
                "up",
                "--base-port",
                "0",
                "--insecure-http",
            ])
            .envs(env.clone())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    super::wait_for(&data.join("ready"));
    let partner = super::wait_for(&data.join("partner").join("server.url"));
    let operator = super::wait_for(&data.join("partner").join("operator.credential"));
    // More partner processes on the same partner database, each with a data folder of its own.
    let mut partners = vec![partner.clone()];
    let mut more = Vec::new();
    if let (
        Stores::Postgres {
            partners: count, ..
        },
        Some(store),
    ) = (stores, &partner_store)
    {
        for i in 1..*count {
            let extra = dir.join(format!("partner-{i}"));
            more.push(super::Killed(
                Command::new(hybrid)
                    .args([
                        "--data",
                        extra.to_str().unwrap(),
                        "serve",
                        "partner",
                        "--listen",
                        "127.0.0.1:0",
                        "--insecure-http",
                        "--store",
                        store,
                    ])
                    .envs(env.clone())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            ));
            partners.push(super::wait_for(&extra.join("partner").join("server.url")));
        }
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(c)
        .build()
        .unwrap();
    // `hybrid up` serves on new ports: the partner is told where the others are now.
    let cloud = super::wait_for(&data.join("cloud").join("server.url"));
    let onprem = super::wait_for(&data.join("onprem").join("server.url"));
    let mut settings: Value = http
        .get(format!("{partner}/admin/settings"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tenant = settings["tenantId"].as_str().unwrap().to_string();
    settings["tokenEndpoint"] = json!(format!("{cloud}/{tenant}/tokens/OAuth/2"));
    settings["ewsUrl"] = json!(format!("{onprem}/EWS/Exchange.asmx"));
    let r = http
        .put(format!("{partner}/admin/settings"))
        .bearer_auth(&operator)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "partner settings: {}",
        r.text().await.unwrap()
    );
    // Other processes hear of the change within a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Warm up: tokens fetched, mailboxes opened, at every partner process.
    for p in &partners {
        post_all(&http, std::slice::from_ref(p), &operator, 20, 1).await;
    }
    drained(&http, &partner, &operator).await;
    let started = Instant::now();
    let accepted = post_all(&http, &partners, &operator, n, c).await;
    let q = drained(&http, &partner, &operator).await;
    let end_to_end = started.elapsed().as_secs_f64();
    assert_eq!(q["dead"], 0, "work was dead-lettered: {}", q["jobs"][0]);
    drop(more);
    drop(_up);
    let _ = std::fs::remove_dir_all(&dir);
    (n as f64 / end_to_end, n as f64 / accepted)
}

/// The archive benchmark on SQLite and, given a PostgreSQL admin URL, on PostgreSQL with one
/// and with two partner processes; ratios against the SQLite run.
pub async fn report(hybrid: &Path, n: usize, c: usize, postgres: Option<String>) {
    let mut runs = vec![Stores::Sqlite];
    if let Some(admin) = postgres {
        runs.push(Stores::Postgres {
            admin: admin.clone(),
            partners: 1,
        });
        runs.push(Stores::Postgres { admin, partners: 2 });
    }
    println!(
        "archiving, {n} conversations, {c} in flight (partner API to an immutable item in Purges):"
    );
    let mut baseline = None;
    for stores in &runs {
        let (archived, accepted) = run(hybrid, n, c, stores).await;
        let base = *baseline.get_or_insert(archived);
        println!(
            "  {:<36} archived {archived:>6.0} /s  ({:.2}x SQLite; accepted {accepted:>6.0} /s; goal 1000/s on SQLite)",
            stores.label(),
            archived / base
        );
    }
}
