//! The store's repository suite, run on both backends, and its durability, notification and
//! concurrency guarantees.

use hybrid_tests::{TempDir, fresh_postgres_database, postgres_admin_url};
use serde_json::json;
use std::time::Duration;
use store::{Change, NewObject, Store, StoreError, StoreOptions};

/// A fresh store URL of each available backend (SQLite always; PostgreSQL when configured).
async fn backend_urls(dir: &TempDir) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}", dir.path("store.db"))];
    if let Some(admin) = postgres_admin_url() {
        urls.push(fresh_postgres_database(&admin).await);
    }
    urls
}

async fn open(url: &str) -> Store {
    Store::open(url, StoreOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repository_suite_on_both_backends() {
    let dir = TempDir::new("store-suite");
    for url in backend_urls(&dir).await {
        let store = open(&url).await;
        repository_suite(&store).await;
        // Opening again applies no migration twice.
        drop(store);
        let again = open(&url).await;
        assert_eq!(
            again
                .directory()
                .list("AuthServer", None)
                .await
                .unwrap()
                .len(),
            1,
            "{url}"
        );
    }
}

async fn repository_suite(store: &Store) {
    let dir = store.directory();
    let label = store.url().to_string();
    let acs = dir
        .create(NewObject::new(
            "AuthServer",
            "org1",
            "WindowsAzureACS",
            json!({"Realm": "tenant"}),
        ))
        .await
        .unwrap();
    assert_eq!(acs.version, 1);
    let found = dir
        .find("AuthServer", "org1", "windowsazureacs")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, acs, "{label}: names match without regard to case");
    assert_eq!(dir.get(&acs.id).await.unwrap().unwrap(), acs);
    assert!(
        dir.find("AuthServer", "org2", "WindowsAzureACS")
            .await
            .unwrap()
            .is_none(),
        "parents separate names"
    );

    let dup = dir
        .create(NewObject::new(
            "AuthServer",
            "org1",
            "WINDOWSAZUREACS",
            json!({}),
        ))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), "StoreDuplicate", "{label}: {dup}");

    // Batches are all or nothing.
    let batch = vec![
        NewObject::new("PartnerApplication", "org1", "SfBOnline", json!({"n": 1})),
        NewObject::new(
            "PartnerApplication",
            "org1",
            "Exchange Online",
            json!({"n": 2}),
        ),
        NewObject::new("PartnerApplication", "org1", "sfbonline", json!({"n": 3})),
    ];
    assert_eq!(
        dir.create_all(batch).await.unwrap_err().code(),
        "StoreDuplicate"
    );
    assert!(
        dir.list("PartnerApplication", Some("org1"))
            .await
            .unwrap()
            .is_empty(),
        "{label}: no partial batch"
    );
    let batch = vec![
        NewObject::new("PartnerApplication", "org1", "SfBOnline", json!({"n": 1})),
        NewObject::new(
            "PartnerApplication",
            "org1",
            "Exchange Online",
            json!({"n": 2}),
        ),
    ];
    dir.create_all(batch).await.unwrap();
    let names: Vec<String> = dir
        .list("PartnerApplication", Some("org1"))
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(
        names,
        ["Exchange Online", "SfBOnline"],
        "{label}: listed by name"
    );

    // Optimistic concurrency: a stale write is refused and changes nothing.
    let v2 = dir
        .update(
            &acs,
            "WindowsAzureACS",
            json!({"Realm": "tenant", "Enabled": false}),
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let stale = dir
        .update(&acs, "WindowsAzureACS", json!({"lost": true}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            StoreError::Conflict {
                expected: 1,
                actual: 2,
                ..
            }
        ),
        "{label}: {stale}"
    );
    assert_eq!(
        dir.get(&acs.id).await.unwrap().unwrap().data,
        json!({"Realm": "tenant", "Enabled": false})
    );
    assert_eq!(dir.delete(&acs).await.unwrap_err().code(), "StoreConflict");

    // Renaming onto another object's name is a duplicate.
    let sfb = dir
        .find("PartnerApplication", "org1", "SfBOnline")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        dir.update(&sfb, "exchange online", json!({}))
            .await
            .unwrap_err()
            .code(),
        "StoreDuplicate"
    );

    // Size bound.
    let big = json!({"x": "y".repeat(store::MAX_OBJECT_BYTES)});
    assert_eq!(
        dir.create(NewObject::new("AuthServer", "org1", "big", big))
            .await
            .unwrap_err()
            .code(),
        "StoreTooLarge"
    );

    // Delete at the current version; then it is gone, and deleting again says so.
    let extra = dir
        .create(NewObject::new("AuthServer", "org1", "evoSTS", json!({})))
        .await
        .unwrap();
    dir.delete(&extra).await.unwrap();
    assert!(dir.get(&extra.id).await.unwrap().is_none());
    assert_eq!(
        dir.delete(&extra).await.unwrap_err().code(),
        "StoreNotFound"
    );
    assert_eq!(dir.list("AuthServer", None).await.unwrap().len(), 1);
}

async fn next_change(
    rx: &mut tokio::sync::broadcast::Receiver<Change>,
    within: Duration,
) -> Option<Change> {
    tokio::time::timeout(within, rx.recv())
        .await
        .ok()
        .and_then(Result::ok)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_store_on_the_same_database_hears_of_changes_within_a_second() {
    let dir = TempDir::new("store-notify");
    for url in backend_urls(&dir).await {
        let writer = open(&url).await;
        let reader = open(&url).await;
        let mut local = writer.subscribe();
        let mut remote = reader.subscribe();
        let started = std::time::Instant::now();
        writer
            .directory()
            .create(NewObject::new(
                "AuthConfig",
                "org1",
                "Auth Configuration",
                json!({}),
            ))
            .await
            .unwrap();
        let mine = next_change(&mut local, Duration::from_millis(100))
            .await
            .expect("own change at once");
        assert_eq!(
            mine,
            Change {
                channel: "AuthConfig".into(),
                local: true
            }
        );
        let theirs = next_change(&mut remote, Duration::from_secs(1)).await;
        assert_eq!(
            theirs,
            Some(Change {
                channel: "AuthConfig".into(),
                local: false
            }),
            "{url}"
        );
        eprintln!(
            "{}: change seen by the other store after {:?}",
            writer.url(),
            started.elapsed()
        );
        // The other store knows how late it heard of it; the writer heard nothing remote.
        let lag = reader
            .change_feed_lag_ms()
            .expect("a remote change has a lag");
        assert!((0..2_000).contains(&lag), "{url}: {lag} ms");
        assert_eq!(writer.change_feed_lag_ms(), None);
        // The writer does not hear its own change a second time.
        assert!(
            next_change(&mut local, Duration::from_millis(600))
                .await
                .is_none(),
            "{url}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_lose_no_update() {
    let dir = TempDir::new("store-concurrency");
    for url in backend_urls(&dir).await {
        let store = open(&url).await;
        let counter = store
            .directory()
            .create(NewObject::new("Counter", "", "hits", json!({"n": 0})))
            .await
            .unwrap();
        let per_writer = 40;
        let mut tasks = Vec::new();
        for _ in 0..2 {
            let store = open(&url).await; // separate pools, as separate processes would have
            let id = counter.id.clone();
            tasks.push(tokio::spawn(async move {
                let mut conflicts = 0;
                for _ in 0..per_writer {
                    loop {
                        let cur = store.directory().get(&id).await.unwrap().unwrap();
                        let n = cur.data["n"].as_i64().unwrap();
                        match store
                            .directory()
                            .update(&cur, &cur.name, json!({"n": n + 1}))
                            .await
                        {
                            Ok(_) => break,
                            Err(StoreError::Conflict { .. }) => conflicts += 1,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
                conflicts
            }));
        }
        let mut readers = Vec::new();
        for _ in 0..3 {
            let store = store.clone();
            let id = counter.id.clone();
            readers.push(tokio::spawn(async move {
                let mut last = 0;
                for _ in 0..60 {
                    let cur = store.directory().get(&id).await.unwrap().unwrap();
                    let n = cur.data["n"].as_i64().unwrap();
                    assert!(n >= last, "a reader saw the counter go back");
                    assert_eq!(cur.version, n + 1, "version and body move together");
                    last = n;
                }
            }));
        }
        let mut conflicts = 0;
        for t in tasks {
            conflicts += t.await.unwrap();
        }
        for r in readers {
            r.await.unwrap();
        }
        let end = store.directory().get(&counter.id).await.unwrap().unwrap();
        assert_eq!(
            end.data["n"],
            json!(2 * per_writer),
            "{url}: no lost update"
        );
        eprintln!(
            "{}: {} increments, {conflicts} stale writes refused and retried",
            store.url(),
            2 * per_writer
        );
    }
}

const WRITER_ENV: &str = "HYBRID_TEST_WRITER_URL";
const BATCH: usize = 40;

/// Run only as the child of `sigkill_mid_batch_loses_nothing_committed`: writes batches until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of sigkill_mid_batch_loses_nothing_committed"]
async fn store_writer_child() {
    let Ok(url) = std::env::var(WRITER_ENV) else {
        return;
    };
    let store = open(&url).await;
    for batch in 0.. {
        let objects = (0..BATCH)
            .map(|i| {
                NewObject::new(
                    "Row",
                    &format!("batch-{batch}"),
                    &format!("row-{i}"),
                    json!({"i": i}),
                )
            })
            .collect();
        store.directory().create_all(objects).await.unwrap();
        println!("COMMITTED {batch}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_batch_loses_nothing_committed() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = TempDir::new("store-kill");
    for url in backend_urls(&dir).await {
        open(&url).await; // migrate first, so the child starts writing at once
        let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "store::store_writer_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_ENV, &url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut committed = Vec::new();
        while committed.len() < 8 {
            let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
                .await
                .unwrap()
                .unwrap();
            let Some(line) = line else {
                panic!("the writer stopped early")
            };
            if let Some(n) = line.strip_prefix("COMMITTED ") {
                committed.push(n.parse::<usize>().unwrap());
            }
        }
        child.start_kill().unwrap(); // SIGKILL, in the middle of the next batch
        child.wait().await.unwrap();

        let store = open(&url).await;
        let rows = store.directory().list("Row", None).await.unwrap();
        let mut per_batch = std::collections::BTreeMap::<String, usize>::new();
        for r in &rows {
            *per_batch.entry(r.parent.clone()).or_default() += 1;
        }
        for b in &committed {
            assert_eq!(
                per_batch.get(&format!("batch-{b}")),
                Some(&BATCH),
                "{url}: committed batch {b} is whole"
            );
        }
        for (batch, n) in &per_batch {
            assert_eq!(*n, BATCH, "{url}: {batch} is partial");
        }
        eprintln!(
            "{}: {} batches reported committed, {} present, none partial",
            store.url(),
            committed.len(),
            per_batch.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_schema_newer_than_it_knows_and_bad_urls() {
    let dir = TempDir::new("store-schema");
    let url = format!("sqlite://{}", dir.path("s.db"));
    let store = open(&url).await;
    if let store::Pool::Sqlite(p) = store.pool() {
        sqlx_sqlite_exec(p).await;
    }
    drop(store);
    let e = Store::open(&url, StoreOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "StoreSchemaTooNew", "{e}");
    let e = Store::open(
        "postgres://hybrid:topsecret@127.0.0.1:1/nowhere",
        StoreOptions {
            acquire_timeout: Duration::from_secs(2),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "StoreUnavailable");
    assert!(
        e.to_string()
            .contains("postgres://hybrid:***@127.0.0.1:1/nowhere"),
        "{e}"
    );
    assert!(!e.to_string().contains("topsecret"));
}

async fn sqlx_sqlite_exec(p: &sqlx::SqlitePool) {
    sqlx::query("INSERT INTO schema_migrations (version, description, checksum, applied_ms) VALUES (999, 'future', 'x', 0)")
        .execute(p)
        .await
        .unwrap();
}

fn jobs(prefix: &str, n: usize) -> Vec<store::NewJob> {
    (0..n)
        .map(|i| store::NewJob {
            id: format!("{prefix}-{i:06}"),
            kind: "test".into(),
            payload: json!({ "n": i }),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_queue_leases_each_job_to_one_worker() {
    use store::JobState;
    let dir = TempDir::new("queue");
    for url in backend_urls(&dir).await {
        let store = open(&url).await;
        let q = store.queue();
        q.enqueue(&jobs("a", 3)).await.unwrap();
        let first = q.claim("A", 2, 60_000).await.unwrap();
        let second = q.claim("B", 2, 60_000).await.unwrap();
        assert_eq!((first.len(), second.len()), (2, 1), "{url}");
        assert!(q.claim("C", 10, 60_000).await.unwrap().is_empty());
        assert_eq!(first[0].payload["n"], 0);
        // Only the lease's owner finishes a job.
        assert!(
            !q.finish(&first[0].id, "B", JobState::Done, 0, "")
                .await
                .unwrap()
        );
        assert!(
            q.finish(&first[0].id, "A", JobState::Done, 0, "")
                .await
                .unwrap()
        );
        // A retry waits for its due time; a dead job waits for an operator.
        let later = store::now_ms() + 60_000;
        assert!(
            q.finish(&first[1].id, "A", JobState::Pending, later, "down")
                .await
                .unwrap()
        );
        assert!(
            q.finish(&second[0].id, "B", JobState::Dead, 0, "refused")
                .await
                .unwrap()
        );
        assert!(q.claim("C", 10, 60_000).await.unwrap().is_empty());
        let stats = q.stats().await.unwrap();
        assert_eq!(
            (stats.pending, stats.leased, stats.dead),
            (1, 0, 1),
            "{url}"
        );
        assert_eq!(
            q.get(&first[1].id).await.unwrap().unwrap().last_error,
            "down"
        );
        assert!(q.revive(&second[0].id).await.unwrap());
        let revived = q.claim("C", 10, 60_000).await.unwrap();
        assert_eq!(revived.len(), 1);
        assert_eq!(revived[0].attempts, 1);
        // A worker that dies loses its lease when it expires; the job goes to another.
        q.enqueue(&jobs("b", 1)).await.unwrap();
        let held = q.claim("D", 1, 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        let taken = q.claim("E", 1, 60_000).await.unwrap();
        assert_eq!(taken[0].id, held[0].id);
        assert!(
            !q.finish(&held[0].id, "D", JobState::Done, 0, "")
                .await
                .unwrap()
        );
        // Several outcomes in one statement: each answered for itself, in order.
        q.enqueue(&jobs("c", 1)).await.unwrap();
        let other = q.claim("E", 1, 60_000).await.unwrap();
        let outcome = |id: &str, state, error: &str| store::Outcome {
            id: id.to_string(),
            state,
            due_ms: 0,
            error: error.to_string(),
        };
        let held_by_e = q
            .finish_all(
                "E",
                &[
                    outcome(&other[0].id, JobState::Dead, "gone"),
                    outcome("no-such-job", JobState::Done, ""),
                    outcome(&taken[0].id, JobState::Done, ""),
                ],
            )
            .await
            .unwrap();
        assert_eq!(held_by_e, [true, false, true]);
        let dead = q.get(&other[0].id).await.unwrap().unwrap();
        assert_eq!(
            (dead.state, dead.last_error.as_str()),
            (JobState::Dead, "gone")
        );
        assert_eq!(q.prune_done(store::now_ms() + 1).await.unwrap(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_queue_workers_in_parallel_do_each_job_once() {
    let dir = TempDir::new("queue-parallel");
    for url in backend_urls(&dir).await {
        let first = open(&url).await;
        first.queue().enqueue(&jobs("p", 400)).await.unwrap();
        // Two stores on one database (as two processes), two workers on each.
        let second = open(&url).await;
        let mut tasks = Vec::new();
        for (n, s) in [&first, &first, &second, &second].into_iter().enumerate() {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = s.queue().claim(&format!("w{n}"), 7, 60_000).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    for j in got {
                        assert!(
                            s.queue()
                                .finish(&j.id, &format!("w{n}"), store::JobState::Done, 0, "")
                                .await
                                .unwrap()
                        );
                        mine.push(j.id);
                    }
                }
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!((count, all.len()), (400, 400), "{url}: each job once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_queue_claims_read_only_due_jobs_however_many_are_done() {
    let dir = TempDir::new("queue-done");
    for url in backend_urls(&dir).await {
        let store = open(&url).await;
        let q = store.queue();
        q.enqueue(&jobs("done", 100_000)).await.unwrap();
        // All finished (set directly: finishing them one by one is not what is measured).
        match store.pool() {
            store::Pool::Sqlite(p) => {
                sqlx::query("UPDATE work_queue SET state = 'done'")
                    .execute(p)
                    .await
                    .unwrap();
                sqlx::query("ANALYZE").execute(p).await.unwrap();
            }
            store::Pool::Postgres(p) => {
                sqlx::query("UPDATE work_queue SET state = 'done'")
                    .execute(p)
                    .await
                    .unwrap();
                sqlx::query("ANALYZE work_queue").execute(p).await.unwrap();
            }
        }
        q.enqueue(&jobs("due", 3)).await.unwrap();
        let started = std::time::Instant::now();
        let got = q.claim("A", 10, 60_000).await.unwrap();
        let took = started.elapsed();
        assert_eq!(got.len(), 3, "{url}");
        assert!(got.iter().all(|j| j.id.starts_with("due-")));
        // The claim's plan reads the (state, due) index, not the table.
        let plan: Vec<String> = match store.pool() {
            store::Pool::Sqlite(p) => {
                use sqlx::Row;
                sqlx::query(
                    "EXPLAIN QUERY PLAN SELECT id FROM work_queue WHERE (state = 'pending' AND due_ms <= 1) OR (state = 'leased' AND lease_until_ms < 1) ORDER BY due_ms, id LIMIT 10",
                )
                .fetch_all(p)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(3))
                .collect()
            }
            store::Pool::Postgres(p) => sqlx::query_scalar::<_, String>(
                "EXPLAIN SELECT id FROM work_queue WHERE (state = 'pending' AND due_ms <= 1) OR (state = 'leased' AND lease_until_ms < 1) ORDER BY due_ms, id LIMIT 10",
            )
            .fetch_all(p)
            .await
            .unwrap(),
        };
        let plan = plan.join("\n");
        assert!(
            plan.contains("USING INDEX work_queue_") || plan.contains("Index Scan on work_queue_"),
            "{url}: {plan}"
        );
        assert!(
            !plan.contains("Seq Scan on work_queue") && !plan.contains("SCAN work_queue\n"),
            "{url}: {plan}"
        );
        eprintln!("{url}: a claim beside 100000 done jobs took {took:?}");
    }
}

/// SQLite's group commit in the real write path: every write waits for a flush of the WAL
/// (at least one, never more than one per write) and is there afterwards. How many share a
/// flush depends on timing (under load each may flush alone); the sharing itself is
/// group_commit.rs's unit test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sqlite_writes_share_flushes_and_all_land() {
    let dir = TempDir::new("store-group-commit");
    let store = open(&format!("sqlite://{}", dir.path("g.db"))).await;
    let before = store.flushes();
    let mut tasks = Vec::new();
    for i in 0..48 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.queue()
                .enqueue(&jobs(&format!("g{i}-"), 1))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let flushes = store.flushes() - before;
    assert!(flushes >= 1, "a write is answered only after a flush");
    assert!(flushes <= 48, "{flushes} flushes for 48 writes");
    assert_eq!(store.queue().stats().await.unwrap().pending, 48);
    eprintln!("48 concurrent writes, {flushes} flushes");
}

/// The handshake log answers the events after a sequence number (oldest first) and the newest
/// few (the web view's table), on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_log_answers_the_newest_events() {
    let dir = TempDir::new("store-handshakes");
    for url in backend_urls(&dir).await {
        let store = open(&url).await;
        let events: Vec<store::HandshakeEvent> = (0..40)
            .map(|i| store::HandshakeEvent {
                at_ms: i,
                user: format!("user{i}"),
                ..Default::default()
            })
            .collect();
        store.handshakes().append(&events, 1000).await.unwrap();
        let latest = store.handshakes().latest(25).await.unwrap();
        let users: Vec<&str> = latest.iter().map(|e| e.user.as_str()).collect();
        assert_eq!(users.len(), 25, "{url}");
        assert_eq!((users[0], users[24]), ("user15", "user39"), "{url}");
        let after = store.handshakes().after(0, 5).await.unwrap();
        assert_eq!(after[0].user, "user0", "{url}");
    }
}

/// The batched replay record: of many concurrent uses of one assertion, across two recorders
/// (two processes' worth) on the same database, exactly one is the first; distinct assertions
/// are each first once; a use past its forget time may be taken again; on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batched_replay_record_lets_each_assertion_be_used_once() {
    let dir = TempDir::new("store-replay-batch");
    for url in backend_urls(&dir).await {
        let (a, b) = (open(&url).await, open(&url).await);
        let recorders = [
            store::ReplayRecorder::start(a.clone()),
            store::ReplayRecorder::start(b.clone()),
        ];
        let now = 1_000_000;
        let mut tasks = Vec::new();
        for i in 0..200 {
            let r = recorders[i % 2].clone();
            // Ten assertions, each tried twenty times at once.
            let digest = format!("{:064x}", i % 10);
            tasks.push(tokio::spawn(async move {
                (
                    digest.clone(),
                    r.first_use(digest, now + 600, now).await.unwrap(),
                )
            }));
        }
        let mut firsts = std::collections::HashMap::<String, usize>::new();
        for t in tasks {
            let (digest, first) = t.await.unwrap();
            *firsts.entry(digest).or_default() += usize::from(first);
        }
        assert_eq!(firsts.len(), 10, "{url}");
        assert!(firsts.values().all(|&n| n == 1), "{url}: {firsts:?}");
        assert_eq!(a.used_assertions().count().await.unwrap(), 10, "{url}");
        // Still used before its forget time, from a recorder on a store opened afresh (a
        // restart); free again after it.
        let c = open(&url).await;
        let again = store::ReplayRecorder::start(c.clone());
        let d = format!("{:064x}", 3);
        assert!(
            !again
                .first_use(d.clone(), now + 1200, now + 599)
                .await
                .unwrap()
        );
        assert!(again.first_use(d, now + 1200, now + 601).await.unwrap());
        for s in [a, b, c] {
            s.close().await;
        }
    }
}

/// Device code sign-ins in the store, on both backends: a user code names one pending
/// authorization; polls closer than the interval are refused; an approval is redeemed by one
/// poll only (of many at once, from two stores on the same database); a denied or expired one
/// is never redeemed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_authorizations_are_redeemed_once() {
    use store::{DeviceAuthorization, DevicePoll};
    let dir = TempDir::new("store-device");
    for url in backend_urls(&dir).await {
        let (a, b) = (open(&url).await, open(&url).await);
        let now = 2_000_000;
        let row = |code: &str| DeviceAuthorization {
            user_code: code.into(),
            tenant: "t".into(),
            client_id: "c".into(),
            request: "{}".into(),
            state: "pending".into(),
            user_id: String::new(),
            expires: now + 900,
            last_poll: 0,
        };
        let devices = a.device_authorizations();
        assert!(devices.create(&row("AAAA"), "hash-a").await.unwrap());
        assert!(
            !devices.create(&row("AAAA"), "hash-other").await.unwrap(),
            "{url}: a taken code"
        );
        assert!(devices.create(&row("BBBB"), "hash-b").await.unwrap());
        assert!(
            matches!(devices.poll("hash-a", now, 4).await.unwrap(), DevicePoll::Waiting(w) if w.state == "pending")
        );
        assert_eq!(
            devices.poll("hash-a", now + 1, 4).await.unwrap(),
            DevicePoll::TooSoon,
            "{url}"
        );
        assert_eq!(
            devices.poll("nothing", now, 4).await.unwrap(),
            DevicePoll::Unknown
        );
        assert!(devices.pending("AAAA", now).await.unwrap().is_some());
        assert!(devices.decide("AAAA", true, "user-1", now).await.unwrap());
        assert!(
            !devices.decide("AAAA", true, "user-2", now).await.unwrap(),
            "{url}: decided once"
        );
        assert!(devices.pending("AAAA", now).await.unwrap().is_none());
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move {
                s.device_authorizations()
                    .poll("hash-a", now + 10, 4)
                    .await
                    .unwrap()
            }));
        }
        let mut redeemed = 0;
        for t in tasks {
            if let DevicePoll::Redeemed(r) = t.await.unwrap() {
                assert_eq!(r.user_id, "user-1");
                redeemed += 1;
            }
        }
        assert_eq!(redeemed, 1, "{url}");
        assert!(devices.decide("BBBB", false, "", now).await.unwrap());
        assert!(
            matches!(devices.poll("hash-b", now + 10, 4).await.unwrap(), DevicePoll::Waiting(w) if w.state == "denied")
        );
        assert_eq!(
            devices.poll("hash-b", now + 901, 4).await.unwrap(),
            DevicePoll::Unknown,
            "{url}: expired"
        );
        assert_eq!(devices.prune(now + 901).await.unwrap(), 2, "{url}");
    }
}
