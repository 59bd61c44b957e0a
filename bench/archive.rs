//! Archived transcripts per second, end to end: conversations posted to the partner's API
//! until each transcript is an immutable item in the participant's Recoverable Items\Purges
//! (the queue drained), against the same run's rate of the partner merely accepting them (its
//! enqueue: the ceiling the end-to-end figure is a share of). The runbook is set up by `hybrid
//! demo --keep` and its data served by `hybrid up` (all three roles, embedded SQLite stores).

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

/// Posts `n` one-participant conversations with `c` in flight; the seconds it took.
async fn post_all(
    http: &reqwest::Client,
    partner: &str,
    operator: &str,
    n: usize,
    c: usize,
) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (http, next) = (http.clone(), next.clone());
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

pub async fn run(hybrid: &Path, n: usize, c: usize) {
    // The runbook first (`hybrid demo --keep`), then its data served by `hybrid up`.
    let demo = Command::new(hybrid)
        .args(["demo", "--keep"])
        .env("HYBRID_LOG", "warn")
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
            .args(["--data", data.to_str().unwrap(), "up", "--base-port", "0"])
            .env("HYBRID_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    super::wait_for(&data.join("ready"));
    let partner = super::wait_for(&data.join("partner").join("server.url"));
    let operator = super::wait_for(&data.join("partner").join("operator.credential"));
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
    // Warm up: tokens fetched, mailboxes opened.
    post_all(&http, &partner, &operator, 20, 1).await;
    drained(&http, &partner, &operator).await;
    let started = Instant::now();
    let accepted = post_all(&http, &partner, &operator, n, c).await;
    let q = drained(&http, &partner, &operator).await;
    let end_to_end = started.elapsed().as_secs_f64();
    assert_eq!(q["dead"], 0, "work was dead-lettered: {}", q["jobs"][0]);
    let (enqueue, archived) = (n as f64 / accepted, n as f64 / end_to_end);
    println!("archiving, {n} conversations, {c} in flight, SQLite (hybrid up):");
    println!("  accepted (enqueued)          {enqueue:>8.0} /s");
    println!(
        "  archived end to end          {archived:>8.0} /s   ({:.2} of the enqueue rate; goal 1000/s)",
        archived / enqueue
    );
    drop(_up);
    let _ = std::fs::remove_dir_all(&dir);
}
