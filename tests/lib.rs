//! Helpers for Hybrid's integration tests: the built binary, temporary folders.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The `hybrid` binary of the same build as this test (target/<profile>/hybrid).
pub fn hybrid_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>/deps");
    let bin = dir.join(format!("hybrid{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p hybrid` (scripts/test does)",
        bin.display()
    );
    bin
}

/// Runs `hybrid ARGS`, feeding `stdin`.
pub fn hybrid(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(hybrid_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hybrid runs");
    let input = stdin.unwrap_or("").to_string();
    let mut pipe = child.stdin.take().expect("stdin");
    std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    child.wait_with_output().expect("hybrid exits")
}

/// A fresh temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!("hybrid-test-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The PostgreSQL server the tests may use: `HYBRID_TEST_POSTGRES_URL` (scripts/test starts a
/// throwaway cluster and sets it). `None` when unset, unless `HYBRID_REQUIRE_POSTGRES` is set,
/// in which case a missing server fails the test instead of skipping its PostgreSQL half.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("HYBRID_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var_os("HYBRID_REQUIRE_POSTGRES").is_some() => {
            panic!("HYBRID_REQUIRE_POSTGRES is set but HYBRID_TEST_POSTGRES_URL is not")
        }
        _ => {
            eprintln!(
                "PostgreSQL half skipped: HYBRID_TEST_POSTGRES_URL is not set (scripts/test sets it)"
            );
            None
        }
    }
}

/// Creates a fresh, empty database on the test server and returns its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("hybrid_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    url_with_database(admin_url, &name)
}

fn url_with_database(admin_url: &str, db: &str) -> String {
    // postgres://user@host:port/dbname?params -> same with dbname replaced
    let (base, query) = admin_url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((admin_url, None));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..path_start], db);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A cloud role served on an ephemeral loopback port, as `hybrid serve cloud` runs it.
pub struct CloudUnderTest {
    pub url: String,
    pub store: store::Store,
    pub server: cloud::CloudServer,
    pub operator: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CloudUnderTest {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CloudUnderTest {
    pub async fn start(store_url: &str) -> CloudUnderTest {
        let store = store::Store::open(store_url, store::StoreOptions::default())
            .await
            .expect("store opens");
        // A second server on the same store gets no new credential: the first one holds it.
        let operator = cloud::directory::ensure_operator_credential(&store)
            .await
            .expect("operator credential")
            .unwrap_or_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let config = cloud::CloudConfig {
            public_url: url.clone(),
            sts: Default::default(),
        };
        let server = cloud::CloudServer::start(store.clone(), config)
            .await
            .expect("cloud starts");
        let app = server.router();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        CloudUnderTest {
            url,
            store,
            server,
            operator,
            task,
        }
    }
}
