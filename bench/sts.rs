//! Token service throughput: Hybrid's STS against node-oidc-provider, in one run.
//!
//! Both run as their own processes on this machine. Each gets the same load: pre-signed RS256
//! client assertions (unique `jti`, so replay detection is exercised, not bypassed), posted by
//! the same client over keep-alive HTTP/1.1 connections; each answers with an RS256-signed JWT
//! access token. Hybrid: the ACS assertion grant, answering an ACS actor token. The peer: the
//! client_credentials grant with private_key_jwt and JWT access tokens.
//!
//! Usage (bench/sts.sh does the setup):
//!   bench-sts [--requests N] [--concurrency C] [--rounds R] [--hybrid PATH] [--peer-dir DIR]

use crypto::{CertificateRequest, RsaPrivateKey};
use s2s::ids::{ACS_APP_ID, Audience, EXCHANGE_APP_ID, PrincipalId, SKYPE_APP_ID};
use s2s::token::ClientAssertion;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Options {
    requests: usize,
    concurrency: usize,
    rounds: usize,
    hybrid: PathBuf,
    peer_dir: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        requests: 4000,
        concurrency: 16,
        rounds: 3,
        hybrid: PathBuf::from("target/release/hybrid"),
        peer_dir: PathBuf::from("bench/sts-peer"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--requests" => o.requests = v.parse().expect("--requests N"),
            "--concurrency" => o.concurrency = v.parse().expect("--concurrency C"),
            "--rounds" => o.rounds = v.parse().expect("--rounds R"),
            "--hybrid" => o.hybrid = v.into(),
            "--peer-dir" => o.peer_dir = v.into(),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(path: &Path) -> String {
    for _ in 0..400 {
        if let Ok(s) = std::fs::read_to_string(path)
            && !s.trim().is_empty()
        {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} did not appear", path.display());
}

/// One measured target: where to post, and the request bodies (one per request).
struct Target {
    name: &'static str,
    url: String,
    bodies: Vec<String>,
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn hybrid_target(o: &Options, dir: &Path) -> (Killed, Target) {
    let data = dir.join("data");
    let child = Command::new(&o.hybrid)
        .args([
            "--data",
            data.to_str().unwrap(),
            "serve",
            "cloud",
            "--listen",
            "127.0.0.1:0",
            "--insecure-http",
        ])
        .env("HYBRID_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hybrid starts (build it: cargo build --release -p hybrid)");
    let guard = Killed(child);
    let url = wait_for(&data.join("cloud/server.url")).trim().to_string();
    let operator = std::fs::read_to_string(data.join("cloud/operator.credential"))
        .unwrap()
        .trim()
        .to_string();
    let made = CertificateRequest::default().self_signed().unwrap();
    let trust = admin::Trust::establish(admin::TrustPlan {
        cloud: &url,
        cloud_operator: &operator,
        onprem: None,
        organization: admin::OrganizationSource::Existing { admin: "" },
        partner: admin::PartnerKey::Certificate(made.certificate.to_base64()),
        domain: "contoso.com",
        ews_url: "https://mail.contoso.com/EWS/Exchange.asmx",
        users: &[],
        runbook: true,
        edition: admin::Edition::SkypeForBusiness,
        extra_keys: Vec::new(),
    })
    .await
    .expect("the tenant is set up");
    let tenant = trust.tenant_id;
    let authority = url.trim_start_matches("http://").to_string();
    let client = PrincipalId::new(SKYPE_APP_ID, &tenant);
    let audience = Audience::new(ACS_APP_ID, &authority, &tenant);
    let resource = format!("{EXCHANGE_APP_ID}/mail.contoso.com@contoso.com");
    let sign = |jti: &str| {
        ClientAssertion {
            client: &client,
            audience: &audience,
            not_before: now(),
            expires: now() + 3000,
            jti: Some(jti),
        }
        .sign(&made.key, &made.certificate)
    };
    let bodies = (0..o.requests * o.rounds + 1)
        .map(|_| {
            let a = sign(&uuid::Uuid::new_v4().to_string());
            form(&[
                ("grant_type", "http://oauth.net/grant_type/jwt/1.0/bearer"),
                ("assertion", &a),
                ("resource", &resource),
            ])
        })
        .collect();
    (
        guard,
        Target {
            name: "hybrid STS (ACS assertion grant)",
            url: format!("{url}/{tenant}/tokens/OAuth/2"),
            bodies,
        },
    )
}

fn peer_target(o: &Options, dir: &Path) -> (Killed, Target) {
    let script = o.peer_dir.join("peer.mjs");
    assert!(
        o.peer_dir.join("node_modules/oidc-provider").exists(),
        "run `npm install` in {} (bench/sts.sh does)",
        o.peer_dir.display()
    );
    let child = Command::new("node")
        .arg(&script)
        .arg(dir)
        .env("NODE_ENV", "production")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts");
    let guard = Killed(child);
    let peer: Value = serde_json::from_str(&wait_for(&dir.join("peer.json"))).unwrap();
    let key = RsaPrivateKey::from_pem(peer["clientKeyPem"].as_str().unwrap().as_bytes()).unwrap();
    let endpoint = peer["tokenEndpoint"].as_str().unwrap().to_string();
    let client_id = peer["clientId"].as_str().unwrap().to_string();
    let resource = peer["resource"].as_str().unwrap().to_string();
    let bodies = (0..o.requests * o.rounds + 1)
        .map(|_| {
            let claims = s2s::Claims {
                iss: Some(client_id.clone()),
                sub: Some(client_id.clone()),
                aud: Some(endpoint.clone()),
                jti: Some(uuid::Uuid::new_v4().to_string()),
                iat: Some(s2s::NumericDate::number(now())),
                exp: Some(s2s::NumericDate::number(now() + 3000)),
                ..Default::default()
            };
            let header = s2s::Header {
                alg: Some("RS256".into()),
                kid: Some("bench-client".into()),
                ..Default::default()
            };
            let a = s2s::jwt::sign(&header, &claims, &key);
            form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &a),
                ("resource", &resource),
                ("scope", "api"),
            ])
        })
        .collect();
    (
        guard,
        Target {
            name: "node-oidc-provider (client_credentials)",
            url: endpoint,
            bodies,
        },
    )
}

/// The CPU time a process has used so far (user and system), from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) start at state (field 3);
    // utime and stime are fields 14 and 15, in clock ticks.
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz.max(1.0)
}

/// What one RS256 signature of a token-sized JWT costs here, on one core (microseconds): the
/// floor of a token service's CPU per token.
fn rsa_sign_micros() -> f64 {
    let made = CertificateRequest::default().self_signed().unwrap();
    let claims = s2s::Claims {
        aud: Some(format!("{EXCHANGE_APP_ID}/mail.contoso.com@contoso.com")),
        iss: Some(format!("{ACS_APP_ID}@contoso.com")),
        nameid: Some(format!("{SKYPE_APP_ID}@contoso.com")),
        nbf: Some(s2s::NumericDate::number(now())),
        exp: Some(s2s::NumericDate::number(now() + 86_400)),
        ..Default::default()
    };
    let header = s2s::Header {
        alg: Some("RS256".into()),
        ..Default::default()
    };
    let n = 400;
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(s2s::jwt::sign(&header, &claims, &made.key));
    }
    started.elapsed().as_secs_f64() * 1e6 / n as f64
}

/// Posts `bodies` with `concurrency` workers; returns tokens per second. Every answer must be
/// a token: a refusal aborts the benchmark rather than counting fast failures.
async fn load(http: &reqwest::Client, url: &str, bodies: &[String], concurrency: usize) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let bodies: Arc<Vec<String>> = Arc::new(bodies.to_vec());
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, next, bodies) =
            (http.clone(), url.to_string(), next.clone(), bodies.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { return };
                let r = http
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("request");
                let status = r.status();
                let text = r.text().await.expect("body");
                assert!(
                    status.is_success() && text.contains("access_token"),
                    "{url}: {status} {text}"
                );
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    bodies.len() as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let o = options();
    let dir = std::env::temp_dir().join(format!("hybrid-bench-sts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        .build()
        .unwrap();
    let (hybrid_server, hybrid) = hybrid_target(&o, &dir.join("hybrid")).await;
    std::fs::create_dir_all(dir.join("peer")).unwrap();
    let (peer_server, peer) = peer_target(&o, &dir.join("peer"));

    let pids = [hybrid_server.0.id(), peer_server.0.id()];
    let mut cpu_per_token: [Vec<f64>; 2] = [vec![], vec![]];
    // The sign ceiling is taken before every round, not once: on a shared machine one core's
    // speed drifts over a run, and each round's CPU per token is set against the signature
    // cost of its own moment.
    let mut sign_micros: Vec<f64> = vec![];
    let mut results: Vec<(&str, Vec<f64>)> = vec![(hybrid.name, vec![]), (peer.name, vec![])];
    for t in [&hybrid, &peer] {
        load(&http, &t.url, &t.bodies[..1], 1).await; // one checked warm-up token each
    }
    for round in 0..o.rounds {
        sign_micros.push(rsa_sign_micros());
        for (i, t) in [&hybrid, &peer].iter().enumerate() {
            let slice = &t.bodies[1 + round * o.requests..1 + (round + 1) * o.requests];
            let cpu = cpu_seconds(pids[i]);
            results[i]
                .1
                .push(load(&http, &t.url, slice, o.concurrency).await);
            cpu_per_token[i].push((cpu_seconds(pids[i]) - cpu) * 1e6 / o.requests as f64);
        }
    }
    let median = |v: &Vec<f64>| {
        let mut v = v.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    println!(
        "token service throughput: {} requests x {} rounds, {} concurrent keep-alive connections, one load generator",
        o.requests, o.rounds, o.concurrency
    );
    for (name, v) in &results {
        let rounds: Vec<String> = v.iter().map(|x| format!("{x:.0}")).collect();
        println!(
            "{name:<42} {:>8.0} tokens/s (median; rounds {})",
            median(v),
            rounds.join(", ")
        );
    }
    let ratio = median(&results[0].1) / median(&results[1].1);
    println!("hybrid / node-oidc-provider: {ratio:.2}x (goal: at least 2.5x)");
    let sign = median(&sign_micros);
    for (i, (name, _)) in results.iter().enumerate() {
        let cpu = median(&cpu_per_token[i]);
        let shares: Vec<f64> = cpu_per_token[i]
            .iter()
            .zip(&sign_micros)
            .map(|(cpu, sign)| 100.0 * sign / cpu)
            .collect();
        let rounds: Vec<String> = shares.iter().map(|x| format!("{x:.0}%")).collect();
        println!(
            "{name:<42} {cpu:>8.0} us of server CPU per token; one RS256 signature alone {sign:.0} us: {:.0}% of the sign ceiling (median of the rounds {})",
            median(&shares),
            rounds.join(", ")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
