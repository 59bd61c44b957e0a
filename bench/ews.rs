//! EWS throughput behind S2S OAuth, with the same server's plain request as the ceiling.
//!
//! Starts `hybrid serve cloud` and `hybrid serve onprem` (release builds) as their own
//! processes, sets up the trust as the runbook does, gets a real act-as token from the cloud's
//! token service, then measures in one run: GET /health on the on-premises server (no token,
//! no XML: the ceiling of the HTTP stack), an authenticated GetFolder (with the act-as token,
//! then with alice's own Hybrid Modern Authentication token after the HMA procedure), and an
//! authenticated CreateItem (a durable write). Prints requests per second and each as a share
//! of the ceiling.
//!
//! With `--mailbox-sizes 1000,10000,100000[,1000000]` it measures instead how the mailbox
//! scales: it fills alice's inbox through EWS (batched CreateItem, durable commits) to each
//! size in turn and prints, in the same run, the median latency of FindItem (first page sorted
//! by DateTimeReceived descending; a Subject restriction; an ItemClass restriction; a page at
//! offset 50,000), of GetFolder with counts, and the server's resident memory, each with its
//! ratio to the figure at the first size.
//!
//! Usage: cargo build --release -p hybrid -p hybrid-bench &&
//!        target/release/bench-ews [--requests N] [--concurrency C] [--hybrid PATH]
//!        target/release/bench-ews --mailbox-sizes 1000,10000,100000 [--samples N]
//!        target/release/bench-ews --archive N [--concurrency C] [--postgres ADMIN_URL]   (see archive.rs)
//!        target/release/bench-ews --streaming 1,100,1000 [--samples N]   (see streaming.rs)

mod archive;
mod hma;
mod streaming;

use crypto::CertificateRequest;
use s2s::ids::{ACS_APP_ID, Audience, EXCHANGE_APP_ID, PrincipalId, SKYPE_APP_ID};
use s2s::token::{ClientAssertion, OuterToken, UserContext};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
            return s.trim().to_string();
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{} did not appear", path.display());
}

fn serve(hybrid: &Path, data: &Path, role: &str) -> (Killed, String) {
    let child = Command::new(hybrid)
        .args([
            "--data",
            data.to_str().unwrap(),
            "serve",
            role,
            "--listen",
            "127.0.0.1:0",
            "--insecure-http",
        ])
        .env("HYBRID_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hybrid starts (cargo build --release -p hybrid)");
    let k = Killed(child);
    (k, wait_for(&data.join(role).join("server.url")))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) async fn post(http: &reqwest::Client, url: &str, bearer: &str, body: Value) -> Value {
    let r = http
        .post(url)
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

/// The trust set up: the ACS actor token the partner got, and the organization's admin
/// credential (for cmdlets).
pub struct Session {
    actor: String,
    tenant: String,
    pub cmdlet_url: String,
    pub org_admin: String,
    /// The tenant administrator's credential (Graph).
    pub cloud_admin: String,
}

impl Session {
    /// An act-as token for the mailbox `smtp`, as the partner wraps the actor token.
    pub fn token(&self, smtp: &str) -> String {
        let aud =
            Audience::parse(&s2s::Jwt::decode(&self.actor).unwrap().claims.aud.unwrap()).unwrap();
        let user = UserContext {
            smtp: Some(smtp.into()),
            ..Default::default()
        };
        OuterToken {
            actor_token: &self.actor,
            audience: &aud,
            issuer: &PrincipalId::new(SKYPE_APP_ID, &self.tenant),
            not_before: now(),
            expires: now() + 3600,
            user: &user,
        }
        .encode()
    }
}

/// Sets up cloud + on-premises as the runbook does, with alice's mailbox.
async fn setup(http: &reqwest::Client, data: &Path, cloud: &str, onprem: &str) -> Session {
    let op = |role: &str| {
        std::fs::read_to_string(data.join(role).join("operator.credential"))
            .unwrap()
            .trim()
            .to_string()
    };
    let partner = CertificateRequest::default().self_signed().unwrap();
    let trust = admin::Trust::establish(admin::TrustPlan {
        cloud,
        cloud_operator: &op("cloud"),
        onprem: Some(onprem),
        organization: admin::OrganizationSource::Create {
            operator: &op("onprem"),
            name: "Contoso",
        },
        partner: admin::PartnerKey::Certificate(partner.certificate.to_base64()),
        domain: "contoso.com",
        ews_url: "https://mail.contoso.com/EWS/Exchange.asmx",
        users: &[("alice", "Alice")],
        runbook: true,
        edition: admin::Edition::SkypeForBusiness,
        extra_keys: Vec::new(),
    })
    .await
    .expect("the trust is set up");
    let (tenant, admin, org_admin) = (trust.tenant_id, trust.tenant_admin, trust.org_admin);
    let url = format!("{onprem}/admin/cmdlet");
    let assertion = ClientAssertion {
        client: &PrincipalId::new(SKYPE_APP_ID, &tenant),
        audience: &Audience::new(ACS_APP_ID, cloud.trim_start_matches("http://"), &tenant),
        not_before: now(),
        expires: now() + 600,
        jti: Some("bench"),
    }
    .sign(&partner.key, &partner.certificate);
    let resource = format!("{EXCHANGE_APP_ID}/mail.contoso.com@contoso.com");
    let r: Value = http
        .post(format!("{cloud}/{tenant}/tokens/OAuth/2"))
        .form(&[
            ("grant_type", "http://oauth.net/grant_type/jwt/1.0/bearer"),
            ("assertion", assertion.as_str()),
            ("resource", resource.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Session {
        actor: r["access_token"].as_str().expect("a token").to_string(),
        tenant,
        cmdlet_url: url,
        org_admin,
        cloud_admin: admin,
    }
}

pub(crate) fn envelope(op: ews::Operation) -> String {
    ews::Request::new(op).to_xml()
}

fn get_inbox() -> String {
    envelope(ews::Operation::GetFolder(ews::GetFolder {
        shape: ews::Shape::id_only(),
        folder_ids: vec![ews::FolderRef::distinguished("inbox")],
    }))
}

/// GetFolder with every property, item counts included (one store read).
fn get_inbox_counts() -> String {
    envelope(ews::Operation::GetFolder(ews::GetFolder {
        shape: ews::Shape {
            base: ews::BaseShape::AllProperties,
            ..Default::default()
        },
        folder_ids: vec![ews::FolderRef::distinguished("inbox")],
    }))
}

pub(crate) fn message(class: &str, subject: &str) -> ews::Item {
    let mut i = ews::Item::new("Message");
    i.item_class = Some(class.into());
    i.subject = Some(subject.into());
    i.body = Some(ews::Body {
        body_type: "Text".into(),
        text: "hello".into(),
    });
    i
}

fn create_items(folder: &str, items: Vec<ews::Item>) -> String {
    envelope(ews::Operation::CreateItem(ews::CreateItem {
        message_disposition: Some("SaveOnly".into()),
        send_meeting_invitations: None,
        saved_item_folder_id: Some(ews::FolderRef::distinguished(folder)),
        items,
    }))
}

/// `n` requests over `c` connections; each must succeed (and, for EWS, say Success).
async fn rate(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Option<String>,
    n: usize,
    c: usize,
) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (http, url, token, body, next) = (
            http.clone(),
            url.to_string(),
            token.map(String::from),
            body.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let req = match &body {
                    Some(b) => http
                        .post(&url)
                        .header("content-type", "text/xml; charset=utf-8")
                        .body(b.clone()),
                    None => http.get(&url),
                };
                let req = match &token {
                    Some(t) => req.bearer_auth(t),
                    None => req,
                };
                let r = req.send().await.expect("request");
                let status = r.status();
                let text = r.text().await.unwrap();
                assert!(
                    status.is_success()
                        && (body.is_none() || text.contains("ResponseClass=\"Success\"")),
                    "{status}: {text}"
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str, default: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let n: usize = opt("--requests", "3000").parse().unwrap();
    let c: usize = opt("--concurrency", "16").parse().unwrap();
    let hybrid = PathBuf::from(opt("--hybrid", "target/release/hybrid"));
    if let Some(count) = args
        .iter()
        .position(|a| a == "--archive")
        .and_then(|i| args.get(i + 1))
    {
        let postgres = args
            .iter()
            .position(|a| a == "--postgres")
            .and_then(|i| args.get(i + 1))
            .cloned();
        archive::report(&hybrid, count.parse().unwrap(), c, postgres).await;
        return;
    }
    let dir = std::env::temp_dir().join(format!("hybrid-bench-ews-{}", std::process::id()));
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (_c, cloud) = serve(&hybrid, &data, "cloud");
    let (_o, onprem) = serve(&hybrid, &data, "onprem");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(c)
        .build()
        .unwrap();
    let session = setup(&http, &data, &cloud, &onprem).await;
    let token = session.token("alice@contoso.com");
    let ews = format!("{onprem}/EWS/Exchange.asmx");
    if let Some(counts) = args
        .iter()
        .position(|a| a == "--streaming")
        .and_then(|i| args.get(i + 1))
    {
        let counts: Vec<usize> = counts.split(',').map(|x| x.parse().unwrap()).collect();
        let samples: usize = opt("--samples", "200").parse().unwrap();
        streaming::report(&http, &ews, &session, _o.0.id(), &counts, samples).await;
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    if let Some(sizes) = args
        .iter()
        .position(|a| a == "--mailbox-sizes")
        .and_then(|i| args.get(i + 1))
    {
        let sizes: Vec<usize> = sizes.split(',').map(|x| x.parse().unwrap()).collect();
        let samples: usize = opt("--samples", "30").parse().unwrap();
        mailbox_scale(&http, &ews, &token, _o.0.id(), &sizes, samples).await;
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let get_folder = get_inbox();
    let create = create_items(
        "conversationhistory",
        vec![message("IPM.Note.Microsoft.Conversation", "bench")],
    );
    let batch = create_items(
        "conversationhistory",
        (0..100)
            .map(|i| message("IPM.Note.Microsoft.Conversation", &format!("bench {i}")))
            .collect(),
    );
    // Warm up every path once.
    rate(&http, &format!("{onprem}/health"), None, None, 10, 1).await;
    rate(&http, &ews, Some(&token), Some(get_folder.clone()), 10, 1).await;
    // The ceiling and GetFolder are measured in pairs, back to back, over several rounds: the
    // machine's speed drifts within a run, and each pair shares its moment. The ratio is the
    // median of the pairs'.
    let rounds: usize = opt("--rounds", "3").parse().unwrap();
    let mut pairs: Vec<(f64, f64)> = vec![];
    for _ in 0..rounds.max(1) {
        let ceiling = rate(&http, &format!("{onprem}/health"), None, None, n, c).await;
        let folder = rate(&http, &ews, Some(&token), Some(get_folder.clone()), n, c).await;
        pairs.push((ceiling, folder));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let ceiling = median(pairs.iter().map(|p| p.0).collect());
    let folder = median(pairs.iter().map(|p| p.1).collect());
    let folder_share = median(pairs.iter().map(|p| p.1 / p.0).collect());
    let shares: Vec<String> = pairs.iter().map(|p| format!("{:.2}", p.1 / p.0)).collect();
    let user_token = hma::user_token(&http, &cloud, &onprem, &session).await;
    rate(
        &http,
        &ews,
        Some(&user_token),
        Some(get_folder.clone()),
        10,
        1,
    )
    .await;
    let as_user = rate(&http, &ews, Some(&user_token), Some(get_folder), n, c).await;
    let counted = rate(&http, &ews, Some(&token), Some(get_inbox_counts()), n, c).await;
    let writes = rate(&http, &ews, Some(&token), Some(create), n / 3, c).await;
    let batches = rate(&http, &ews, Some(&token), Some(batch), n / 30, c).await;
    println!(
        "EWS behind S2S OAuth, {n} requests ({} for CreateItem), {c} keep-alive connections, SQLite store",
        n / 3
    );
    println!("{:<48} {:>10} {:>12}", "request", "req/s", "of ceiling");
    println!(
        "{:<48} {:>10.0} {:>12}",
        "GET /health, no token (ceiling)", ceiling, "1.00"
    );
    println!(
        "{:<48} {:>10.0} {:>12.2}",
        "GetFolder inbox IdOnly, act-as token", folder, folder_share
    );
    println!(
        "  (medians of {} rounds; GetFolder IdOnly over the ceiling by round: {})",
        pairs.len(),
        shares.join(", ")
    );
    println!(
        "{:<48} {:>10.0} {:>12.2}",
        "GetFolder inbox IdOnly, user's own token (HMA)",
        as_user,
        as_user / ceiling
    );
    println!(
        "{:<48} {:>10.0} {:>12.2}",
        "GetFolder inbox AllProperties (with counts)",
        counted,
        counted / ceiling
    );
    println!(
        "{:<48} {:>10.0} {:>12.2}",
        "CreateItem, act-as token (durable write)",
        writes,
        writes / ceiling
    );
    println!(
        "{:<48} {:>10.0} {:>12}",
        "CreateItem of 100 items, items/s (durable)",
        batches * 100.0,
        "-"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The resident memory of a process, in MiB.
pub(crate) fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// The median time of `samples` sequential requests, in milliseconds.
async fn median_ms(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &str,
    samples: usize,
) -> f64 {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        let r = http
            .post(url)
            .header("content-type", "text/xml; charset=utf-8")
            .bearer_auth(token)
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let text = r.text().await.unwrap();
        assert!(text.contains("ResponseClass=\"Success\""), "{text}");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

fn find(restriction: Option<ews::Restriction>, offset: u32) -> String {
    envelope(ews::Operation::FindItem(ews::Find {
        shape: ews::Shape::id_only(),
        paging: Some(ews::IndexedPageView::new(10, offset)),
        calendar_view: None,
        restriction,
        sort: vec![ews::FieldOrder {
            path: Some(ews::PropertyPath::field("item:DateTimeReceived")),
            descending: true,
        }],
        parent_folder_ids: vec![ews::FolderRef::distinguished("inbox")],
        ..Default::default()
    }))
}

fn equals(field: &str, value: &str) -> Option<ews::Restriction> {
    Some(ews::Restriction::Compare {
        op: ews::ComparisonOp::IsEqualTo,
        path: Some(ews::PropertyPath::field(field)),
        constant: Some(value.into()),
    })
}

/// Fills the inbox to each size and measures the same queries at each.
async fn mailbox_scale(
    http: &reqwest::Client,
    ews: &str,
    token: &str,
    pid: u32,
    sizes: &[usize],
    samples: usize,
) {
    const BATCH: usize = 500;
    let queries = [
        ("FindItem first 10 by DateTimeReceived desc", find(None, 0)),
        (
            "FindItem Subject IsEqualTo",
            find(equals("item:Subject", "Needle 7"), 0),
        ),
        (
            "FindItem ItemClass IsEqualTo (1 in 100)",
            find(
                equals("item:ItemClass", "IPM.Note.Microsoft.Conversation"),
                0,
            ),
        ),
        ("FindItem page at offset 50,000", find(None, 50_000)),
        ("GetFolder inbox with counts", get_inbox_counts()),
    ];
    let mut filled = 0usize;
    let mut first: Option<Vec<f64>> = None;
    println!(
        "Mailbox scale: alice's inbox filled through EWS (CreateItem of {BATCH} items a request), SQLite store, {samples} samples a median"
    );
    for &size in sizes {
        let started = Instant::now();
        let before = filled;
        while filled < size {
            let n = BATCH.min(size - filled);
            let items = (filled..filled + n)
                .map(|k| {
                    let class = if k % 100 == 0 {
                        "IPM.Note.Microsoft.Conversation"
                    } else {
                        "IPM.Note"
                    };
                    let subject = if k == 7 {
                        "Needle 7".to_string()
                    } else {
                        format!("Item {k}")
                    };
                    message(class, &subject)
                })
                .collect();
            let r = http
                .post(ews)
                .header("content-type", "text/xml; charset=utf-8")
                .bearer_auth(token)
                .body(create_items("inbox", items))
                .send()
                .await
                .expect("fill");
            assert!(r.status().is_success());
            filled += n;
            // Progress on a terminal only: the figures are the output.
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprint!("\r  filling alice's inbox: {filled}/{size} items");
            }
        }
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprintln!();
        }
        let fill_rate = (filled - before) as f64 / started.elapsed().as_secs_f64();
        let mut figures = Vec::new();
        for (_, q) in &queries {
            figures.push(median_ms(http, ews, token, q, samples).await);
        }
        figures.push(rss_mib(pid));
        let base = first.get_or_insert_with(|| figures.clone()).clone();
        println!("\n{size} items (filled at {fill_rate:.0} items/s)");
        println!("{:<48} {:>12} {:>16}", "measure", "median", "vs first size");
        for (i, (name, _)) in queries.iter().enumerate() {
            println!(
                "{:<48} {:>9.2} ms {:>16.2}",
                name,
                figures[i],
                figures[i] / base[i]
            );
        }
        let m = figures.len() - 1;
        println!(
            "{:<48} {:>8.1} MiB {:>16.2}",
            "server resident memory",
            figures[m],
            figures[m] / base[m]
        );
    }
}
