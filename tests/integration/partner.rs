//! The partner role through the three real servers: voicemail greetings, conversation history
//! and archiving, and the durable queue across an on-premises outage and a partner restart.

use hybrid_tests::{CloudUnderTest, OnPremUnderTest, PartnerUnderTest, TempDir};
use reqwest::StatusCode;
use s2s::ids::EXCHANGE_APP_ID;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

struct World {
    cloud: CloudUnderTest,
    onprem: OnPremUnderTest,
    partner: PartnerUnderTest,
    tenant: String,
    dir: TempDir,
}

async fn put_json(url: &str, bearer: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .put(url)
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn post_json(url: &str, bearer: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

impl World {
    async fn new() -> World {
        let dir = TempDir::new("partner");
        let urls = ["cloud", "onprem", "partner"]
            .map(|r| format!("sqlite://{}", dir.path(&format!("{r}.db"))));
        World::on(dir, urls).await
    }

    /// The three roles on the given stores (cloud, on-premises, partner).
    async fn on(dir: TempDir, urls: [String; 3]) -> World {
        let cloud = CloudUnderTest::start(&urls[0]).await;
        let partner = PartnerUnderTest::start(&urls[2], None).await;
        let onprem = OnPremUnderTest::start(&urls[1]).await;
        let trust = admin::Trust::establish(admin::TrustPlan {
            cloud: &cloud.url,
            cloud_operator: &cloud.operator,
            onprem: Some(&onprem.url),
            organization: admin::OrganizationSource::Existing {
                admin: &onprem.admin,
            },
            partner: admin::PartnerKey::Server {
                url: &partner.url,
                operator: &partner.operator,
            },
            domain: "contoso.com",
            ews_url: "https://mail.contoso.com/EWS/Exchange.asmx",
            users: &[("alice", "alice"), ("bob", "bob")],
            runbook: true,
            edition: admin::Edition::SkypeForBusiness,
            extra_keys: Vec::new(),
        })
        .await
        .expect("the trust is set up");
        World {
            cloud,
            onprem,
            partner,
            tenant: trust.tenant_id,
            dir,
        }
    }

    async fn configure(&self, onprem_url: &str) {
        let (s, v) = put_json(
            &format!("{}/admin/settings", self.partner.url),
            &self.partner.operator,
            json!({"tenantId": self.tenant, "tokenEndpoint": format!("{}/{}/tokens/OAuth/2", self.cloud.url, self.tenant), "ewsUrl": format!("{onprem_url}/EWS/Exchange.asmx"), "resource": format!("{EXCHANGE_APP_ID}/mail.contoso.com@contoso.com")}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// A GET of the partner's operator API.
    async fn partner_get(&self, path: &str) -> Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.partner.url))
            .bearer_auth(&self.partner.operator)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn work_status(&self, id: &str) -> Value {
        self.partner_get(&format!("/api/work/{id}")).await
    }

    async fn wait_done(&self, ids: &[String]) {
        let started = std::time::Instant::now();
        loop {
            let mut all = true;
            for id in ids {
                let w = self.work_status(id).await;
                assert_ne!(w["status"], "failed", "{w}");
                all &= w["status"] == "done";
            }
            if all {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "work not done in time"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Items in a distinguished folder of `smtp`'s mailbox, read through the on-premises
    /// mailbox service.
    async fn items(&self, smtp: &str, folder: &str) -> Vec<mailbox::MailItem> {
        let trust = self.onprem.server.state.trust();
        let user = trust.user_by_address(smtp).unwrap().clone();
        let mbox = mailbox::Mailbox::open(&self.onprem.store, &user.guid)
            .await
            .unwrap();
        let f = mbox.distinguished(folder).unwrap().clone();
        let query = mailbox::ItemQuery {
            max: 1000,
            ..Default::default()
        };
        let page = mbox.find_items(&f, &query).await.unwrap();
        page.items
    }
}

fn wav(extra: &[u8]) -> Vec<u8> {
    let mut v = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00".to_vec();
    v.extend_from_slice(extra);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voicemail_greetings() {
    let w = World::new().await;
    let http = reqwest::Client::new();
    let url = |kind: &str| {
        format!(
            "{}/api/users/alice@contoso.com/greeting?kind={kind}",
            w.partner.url
        )
    };
    for (bytes, created) in [(wav(b"one"), true), (wav(b"two"), false)] {
        let r = http
            .put(url("External"))
            .bearer_auth(&w.partner.operator)
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.json::<Value>().await.unwrap()["created"], created);
        let got = http
            .get(url("External"))
            .bearer_auth(&w.partner.operator)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(got.as_ref(), bytes.as_slice());
    }
    // Stored where Exchange UM keeps it: a user configuration on the mailbox root.
    let trust = w.onprem.server.state.trust();
    let alice = trust.user_by_address("alice@contoso.com").unwrap().clone();
    let folders = w
        .onprem
        .store
        .mailboxes()
        .folders(&alice.guid)
        .await
        .unwrap();
    let root = folders
        .iter()
        .find(|f| f.distinguished.as_deref() == Some("root"))
        .unwrap();
    assert!(
        w.onprem
            .store
            .mailboxes()
            .user_configuration(&root.id, "Um.CustomGreetings.External")
            .await
            .unwrap()
            .is_some()
    );
    // The away greeting is separate; deleting removes it.
    let r = http
        .put(url("Oof"))
        .bearer_auth(&w.partner.operator)
        .body(wav(b"away"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        http.delete(url("Oof"))
            .bearer_auth(&w.partner.operator)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        http.get(url("Oof"))
            .bearer_auth(&w.partner.operator)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    // Refusals: not a WAV, an unknown user, an unknown kind, no credential.
    assert_eq!(
        http.put(url("External"))
            .bearer_auth(&w.partner.operator)
            .body("text")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    let r = http
        .put(format!(
            "{}/api/users/nobody@contoso.com/greeting",
            w.partner.url
        ))
        .bearer_auth(&w.partner.operator)
        .body(wav(b""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        http.put(url("Loud"))
            .bearer_auth(&w.partner.operator)
            .body(wav(b""))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        http.put(url("External"))
            .body(wav(b""))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_archived_and_written_to_history() {
    let w = World::new().await;
    let (s, v) = post_json(
        &format!("{}/api/conversations", w.partner.url),
        &w.partner.operator,
        json!({"participants": ["alice@contoso.com", "sip:bob@contoso.com"], "subject": "Lunch?", "mobile": true,
               "messages": [{"from": "alice", "text": "noon?"}, {"from": "bob", "text": "sure <b>ok</b>"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let ids: Vec<String> = v["workIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4, "archive and history for each participant");
    let (_, m) = post_json(
        &format!("{}/api/conversations", w.partner.url),
        &w.partner.operator,
        json!({"participants": ["bob@contoso.com"], "missed": true}),
    )
    .await;
    let mut all = ids.clone();
    all.extend(
        m["workIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string()),
    );
    w.wait_done(&all).await;
    for who in ["alice@contoso.com", "bob@contoso.com"] {
        let purges = w.items(who, "recoverableitemspurges").await;
        assert_eq!(purges.len(), 1, "{who}");
        let t = &purges[0];
        assert_eq!(
            (t.subject.as_str(), t.class.as_str()),
            ("Lunch?", "IPM.Note.Microsoft.Conversation")
        );
        assert!(
            !t.is_draft && t.immutable,
            "finalised with MakeItemImmutable"
        );
        let body = t.props.body.as_ref().map(|b| b.text.as_str()).unwrap_or("");
        assert!(
            body.contains("sure &amp;lt;b&amp;gt;ok") || body.contains("sure &lt;b&gt;ok"),
            "the transcript, escaped: {body}"
        );
    }
    let bob_history = w.items("bob@contoso.com", "conversationhistory").await;
    let mut classes: Vec<&str> = bob_history.iter().map(|i| i.class.as_str()).collect();
    classes.sort();
    assert_eq!(
        classes,
        [
            "IPM.Note.Microsoft.Conversation",
            "IPM.Note.Microsoft.Missed"
        ]
    );
    assert_eq!(
        w.items("alice@contoso.com", "conversationhistory")
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_survives_an_onprem_outage_and_a_partner_restart_without_duplicates() {
    let mut w = World::new().await;
    let onprem_db = format!("sqlite://{}", w.dir.path("onprem.db"));
    // On-premises goes away: its listener is stopped.
    let old = std::mem::replace(
        &mut w.onprem,
        OnPremUnderTest::start(&format!("sqlite://{}", w.dir.path("scratch.db"))).await,
    );
    drop(old);
    let (_, v) = post_json(
        &format!("{}/api/conversations", w.partner.url),
        &w.partner.operator,
        json!({"participants": ["alice@contoso.com"], "subject": "During the outage", "mobile": true, "messages": [{"from": "alice", "text": "anyone?"}]}),
    )
    .await;
    let ids: Vec<String> = v["workIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    // Let it fail a few times.
    tokio::time::sleep(Duration::from_millis(600)).await;
    for id in &ids {
        let s = w.work_status(id).await;
        assert_eq!(s["status"], "pending", "{s}");
        assert!(
            s["attempts"].as_i64().unwrap() >= 1
                && s["lastError"]
                    .as_str()
                    .unwrap()
                    .contains("cannot be reached"),
            "{s}"
        );
    }
    // The partner restarts too, on its store.
    let operator = w.partner.operator.clone();
    let partner_db = format!("sqlite://{}", w.dir.path("partner.db"));
    drop(std::mem::replace(
        &mut w.partner,
        PartnerUnderTest::start(&format!("sqlite://{}", w.dir.path("scratch-p.db")), None).await,
    ));
    w.partner = PartnerUnderTest::start(&partner_db, Some(operator)).await;
    // On-premises comes back (same store, new address); the partner is pointed at it.
    w.onprem = OnPremUnderTest::start(&onprem_db).await;
    w.configure(&w.onprem.url.clone()).await;
    w.wait_done(&ids).await;
    assert_eq!(
        w.items("alice@contoso.com", "recoverableitemspurges")
            .await
            .len(),
        1,
        "nothing lost, nothing twice"
    );
    assert_eq!(
        w.items("alice@contoso.com", "conversationhistory")
            .await
            .len(),
        1
    );
    for id in &ids {
        assert!(w.work_status(id).await["attempts"].as_i64().unwrap() >= 2);
    }
}

/// The partner's view of a user's presence (operator API).
async fn shown_presence(w: &World, user: &str) -> Value {
    w.partner_get(&format!("/api/users/{user}/presence")).await
}

/// One EWS call as `user`, through the partner's own client: an actor token from the cloud
/// STS, on-premises EWS checking it, as the presence reads themselves go.
async fn ews_as(w: &World, user: &str, request: &ews::Request) -> ews::ResponseMessage {
    let state = &w.partner.server.state;
    let settings = state.settings().await.unwrap();
    let u = state.user(user).await.unwrap();
    state.ews_call(&settings, &u, request).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_follows_the_calendar_and_automatic_replies() {
    let w = World::new().await;
    let p = shown_presence(&w, "alice@contoso.com").await;
    assert_eq!(
        (&p["availability"], &p["source"]),
        (&json!("Available"), &json!("manual")),
        "{p}"
    );

    // A meeting from ten minutes ago to fifty minutes from now: "In a meeting".
    let at = |minutes: i64| {
        (time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let meeting = ews::Item::parse(
        &ews::xml::parse(&format!(
            r#"<t:CalendarItem xmlns:t="{}"><t:Subject>Planning</t:Subject><t:Start>{}</t:Start><t:End>{}</t:End><t:LegacyFreeBusyStatus>Busy</t:LegacyFreeBusyStatus></t:CalendarItem>"#,
            ews::NS_TYPES,
            at(-10),
            at(50)
        ))
        .unwrap(),
    );
    let made = ews_as(
        &w,
        "alice@contoso.com",
        &partner::ewsclient::create_item("calendar", meeting),
    )
    .await;
    let id = partner::ewsclient::item_id(&made).unwrap();
    let p = shown_presence(&w, "alice@contoso.com").await;
    assert_eq!(
        (&p["activity"], &p["label"], &p["source"]),
        (
            &json!("InAMeeting"),
            &json!("In a meeting"),
            &json!("mailbox")
        ),
        "{p}"
    );
    assert_eq!(
        shown_presence(&w, "bob@contoso.com").await["availability"],
        "Available"
    );

    // Automatic replies on: "Out of office", with the internal reply as the note.
    let oof = ews::Request::new(ews::Operation::SetUserOofSettings(
        ews::SetUserOofSettings {
            mailbox: "alice@contoso.com".into(),
            settings: ews::availability::OofSettings {
                state: "Enabled".into(),
                external_audience: "All".into(),
                internal_reply: "Back on Monday".into(),
                external_reply: "Away".into(),
                ..Default::default()
            },
        },
    ));
    ews_as(&w, "alice@contoso.com", &oof).await;
    let p = shown_presence(&w, "alice@contoso.com").await;
    assert_eq!(
        (&p["activity"], &p["label"], &p["note"]),
        (
            &json!("OutOfOffice"),
            &json!("Out of office"),
            &json!("Back on Monday")
        ),
        "{p}"
    );

    // Replies off and the meeting gone: back to what was set.
    let off = ews::Request::new(ews::Operation::SetUserOofSettings(
        ews::SetUserOofSettings {
            mailbox: "alice@contoso.com".into(),
            settings: ews::availability::OofSettings {
                state: "Disabled".into(),
                external_audience: "All".into(),
                ..Default::default()
            },
        },
    ));
    ews_as(&w, "alice@contoso.com", &off).await;
    let delete = ews::Request::new(ews::Operation::DeleteItem(ews::DeleteItem {
        delete_type: "HardDelete".into(),
        send_meeting_cancellations: None,
        item_ids: vec![id],
    }));
    ews_as(&w, "alice@contoso.com", &delete).await;
    let p = shown_presence(&w, "alice@contoso.com").await;
    assert_eq!(
        (&p["availability"], &p["source"]),
        (&json!("Available"), &json!("manual")),
        "{p}"
    );

    // A state the user set that the mailbox does not override.
    put_json(
        &format!("{}/api/users/alice@contoso.com/presence", w.partner.url),
        &w.partner.operator,
        json!({"availability": "DoNotDisturb"}),
    )
    .await;
    ews_as(&w, "alice@contoso.com", &oof).await;
    assert_eq!(
        shown_presence(&w, "alice@contoso.com").await["availability"],
        "DoNotDisturb"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_that_cannot_succeed_is_dead_lettered_and_can_be_retried() {
    let w = World::new().await;
    // carol is a partner user without a mailbox on-premises: EWS refuses her for good.
    let (s, _) = post_json(
        &format!("{}/api/users", w.partner.url),
        &w.partner.operator,
        json!({"sip": "carol@contoso.com", "smtp": "carol@contoso.com"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = post_json(
        &format!("{}/api/conversations", w.partner.url),
        &w.partner.operator,
        json!({"participants": ["carol@contoso.com"], "messages": [{"from": "carol", "text": "hello?"}]}),
    )
    .await;
    let id = v["workIds"][0].as_str().unwrap().to_string();
    let started = std::time::Instant::now();
    while w.work_status(&id).await["status"] != "failed" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{}",
            w.work_status(&id).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let job = w.work_status(&id).await;
    assert_eq!(job["state"], "dead");
    assert_eq!(job["attempts"], 1, "a refusal is not retried: {job}");
    let queue = w.partner_get("/admin/queue").await;
    assert_eq!(queue["dead"], 1, "{queue}");
    assert!(
        queue["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == id.as_str())
    );
    // Put back by the operator: tried again (and dead-lettered again: carol still has no mailbox).
    let (s, v) = post_json(
        &format!("{}/admin/queue/{id}/retry", w.partner.url),
        &w.partner.operator,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let started = std::time::Instant::now();
    loop {
        let j = w.work_status(&id).await;
        if j["state"] == "dead" && j["attempts"] == 1 && j["updatedMs"] != job["updatedMs"] {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{j}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Retrying work that is not dead-lettered is refused.
    let (s, _) = post_json(
        &format!("{}/admin/queue/nonexistent/retry", w.partner.url),
        &w.partner.operator,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // What the queue's operator scrapes: the dead job, and both attempts with how they ended.
    let metrics = scrape(&w.partner.url, &w.partner.operator).await;
    assert_eq!(
        sample(
            &metrics,
            r#"hybrid_queue_jobs{role="partner",state="dead"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            r#"hybrid_queue_jobs{role="partner",state="leased"}"#
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &metrics,
            r#"hybrid_queue_attempts_total{role="partner",kind="archive",outcome="dead"}"#
        ),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            r#"hybrid_queue_attempt_duration_seconds_count{role="partner",kind="archive",outcome="dead"}"#
        ),
        Some(2.0)
    );
    assert!(
        sample(
            &metrics,
            r#"hybrid_queue_oldest_due_age_seconds{role="partner"}"#
        )
        .is_some()
    );
    assert!(metrics.trim_end().ends_with("# EOF"));
    // Not without the operator credential.
    let r = reqwest::get(format!("{}/metrics", w.partner.url))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn scrape(url: &str, bearer: &str) -> String {
    let r = reqwest::Client::new()
        .get(format!("{url}/metrics"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    r.text().await.unwrap()
}

/// The value of one series in a text exposition.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split(' ').next()?.parse().ok())
}

/// A TCP front for several servers, as a load balancer is: each connection goes to the next
/// backend that accepts it.
async fn round_robin(backends: Arc<std::sync::Mutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut next = 0usize;
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let list = backends.lock().unwrap().clone();
            next += 1;
            let start = next;
            tokio::spawn(async move {
                for i in 0..list.len() {
                    let b = &list[(start + i) % list.len()];
                    if let Ok(mut out) = tokio::net::TcpStream::connect(b).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn address_of(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// Archive markers of the items in `smtp`'s Purges, read from the on-premises store.
async fn purges_markers(w: &World, store_url: &str, smtp: &str) -> Vec<String> {
    let store = store::Store::open(store_url, store::StoreOptions::default())
        .await
        .unwrap();
    let user = w
        .onprem
        .server
        .state
        .trust()
        .user_by_address(smtp)
        .unwrap()
        .clone();
    let mbox = mailbox::Mailbox::open(&store, &user.guid).await.unwrap();
    let f = mbox
        .distinguished("recoverableitemspurges")
        .unwrap()
        .clone();
    let key = partner::ewsclient::marker_uri().key();
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = mbox
            .find_items(
                &f,
                &mailbox::ItemQuery {
                    max: 1000,
                    offset,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        offset += page.items.len();
        for item in &page.items {
            out.extend(item.props.values_of(&key));
        }
        if page.includes_last || page.items.is_empty() {
            return out;
        }
    }
}

/// On PostgreSQL: two partner and two on-premises processes behind round-robin fronts, a
/// stream of conversations to archive while processes are killed with SIGKILL and started
/// again; then every acknowledged job is in Purges exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_every_archive_exactly_once_while_processes_are_killed() {
    use hybrid_tests::{ServeProcess, fresh_postgres_database, postgres_admin_url};
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let mut urls = Vec::new();
    for _ in 0..3 {
        urls.push(fresh_postgres_database(&admin).await);
    }
    let dir = TempDir::new("soak");
    let w = World::on(dir, [urls[0].clone(), urls[1].clone(), urls[2].clone()]).await;
    let onprem_backends = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let partner_backends = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let onprem_front = round_robin(onprem_backends.clone()).await;
    let partner_front = round_robin(partner_backends.clone()).await;
    // The in-process servers hand over to the processes: on-premises behind its front.
    w.configure(&format!("http://{onprem_front}")).await;
    let data: Vec<TempDir> = (0..4).map(|i| TempDir::new(&format!("soak-{i}"))).collect();
    let spawn = |i: usize| {
        let (role, url) = if i < 2 {
            ("onprem", &urls[1])
        } else {
            ("partner", &urls[2])
        };
        let d = data[i].0.to_string_lossy().to_string();
        let _ = std::fs::remove_file(data[i].0.join(role).join("server.url"));
        ServeProcess::start_env(
            &d,
            role,
            &["--store", url],
            &[
                ("HYBRID_WORK_LEASE_MS", "1500"),
                ("HYBRID_WORK_RETRY_BASE_MS", "50"),
                ("HYBRID_LOG", "warn"),
            ],
        )
    };
    let mut procs: Vec<ServeProcess> = (0..4).map(spawn).collect();
    let refresh_fronts = |procs: &[ServeProcess]| {
        *onprem_backends.lock().unwrap() = procs[..2].iter().map(|p| address_of(&p.url)).collect();
        *partner_backends.lock().unwrap() = procs[2..].iter().map(|p| address_of(&p.url)).collect();
    };
    refresh_fronts(&procs);
    // The in-process partner and on-premises servers stop taking work: only processes do.
    w.partner.server.stop_worker();

    let http = reqwest::Client::new();
    let (mut acknowledged, mut kills, mut unacknowledged) = (Vec::new(), 0, 0);
    // A fixed-seed generator: the same kills every run.
    let mut seed = 0x5eed_u64;
    let mut below = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let conversations = 120;
    for n in 0..conversations {
        let r = http
            .post(format!("http://{partner_front}/api/conversations"))
            .bearer_auth(&w.partner.operator)
            .json(&json!({"participants": ["alice@contoso.com"], "subject": format!("soak {n}"), "messages": [{"from": "alice", "text": format!("message {n}")}]}))
            .send()
            .await;
        match r {
            Ok(r) if r.status() == StatusCode::ACCEPTED => {
                let v: Value = r.json().await.unwrap();
                acknowledged.extend(
                    v["workIds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_str().unwrap().to_string()),
                );
            }
            _ => unacknowledged += 1,
        }
        if n % 10 == 5 {
            let victim = below(4);
            // SIGKILL: no chance to finish anything.
            drop(std::mem::replace(&mut procs[victim], spawn(victim)));
            kills += 1;
            refresh_fronts(&procs);
        }
    }
    // Everything acknowledged gets done.
    let started = std::time::Instant::now();
    loop {
        let stats = w.partner.store.queue().stats().await.unwrap();
        if stats.pending == 0 && stats.leased == 0 {
            assert_eq!(stats.dead, 0, "nothing may be dead-lettered");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "queue not drained: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let markers = purges_markers(&w, &urls[1], "alice@contoso.com").await;
    let mut duplicates = 0;
    let mut lost = 0;
    for id in &acknowledged {
        match markers.iter().filter(|m| *m == id).count() {
            0 => lost += 1,
            1 => {}
            _ => duplicates += 1,
        }
    }
    eprintln!(
        "soak: {} jobs acknowledged ({unacknowledged} submissions unanswered), {kills} processes killed, duplicates {duplicates}, lost {lost}, drained in {:?}",
        acknowledged.len(),
        started.elapsed()
    );
    assert_eq!((duplicates, lost), (0, 0));
    assert!(acknowledged.len() >= conversations * 3 / 4);
    drop(procs);
}
