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

/// A store on each backend the tests can reach: SQLite at `DIR/<file>`, and a fresh database on
/// the test PostgreSQL when there is one.
pub async fn store_backends(dir: &TempDir, file: &str) -> Vec<store::Store> {
    let mut urls = vec![format!("sqlite://{}", dir.path(file))];
    if let Some(admin) = postgres_admin_url() {
        urls.push(fresh_postgres_database(&admin).await);
    }
    let mut out = Vec::new();
    for u in urls {
        out.push(
            store::Store::open(&u, store::StoreOptions::default())
                .await
                .unwrap(),
        );
    }
    out
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
        Self::serve(store_url, None).await
    }

    /// Another process of a service whose public address is `public_url` (several processes
    /// behind one address): it answers for that address, wherever it listens.
    pub async fn start_as(store_url: &str, public_url: &str) -> CloudUnderTest {
        Self::serve(store_url, Some(public_url)).await
    }

    async fn serve(store_url: &str, public_url: Option<&str>) -> CloudUnderTest {
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
            public_url: public_url.unwrap_or(&url).to_string(),
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

/// An on-premises role served on an ephemeral loopback port, with its organization created.
pub struct OnPremUnderTest {
    pub url: String,
    pub store: store::Store,
    pub server: onprem::OnPremServer,
    pub operator: String,
    pub admin: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OnPremUnderTest {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OnPremUnderTest {
    /// Starts a server on `store_url`; creates organization Contoso (contoso.com) unless the
    /// store already has one.
    pub async fn start(store_url: &str) -> OnPremUnderTest {
        Self::start_with(store_url, Default::default()).await
    }

    /// As `start`, with a metadata refresh policy.
    pub async fn start_with(
        store_url: &str,
        refresh: onprem::refresh::RefreshPolicy,
    ) -> OnPremUnderTest {
        let store = store::Store::open(store_url, store::StoreOptions::default())
            .await
            .expect("store opens");
        let operator = onprem::ensure_operator_credential(&store)
            .await
            .expect("operator")
            .unwrap_or_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = onprem::OnPremServer::start(
            store.clone(),
            onprem::OnPremConfig {
                public_url: url.clone(),
                refresh,
                trust_report: None,
                push_destinations: Vec::new(),
            },
        )
        .await
        .expect("onprem starts");
        let app = server.router();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let mut admin = String::new();
        if !operator.is_empty() {
            let req = onprem::model::api::NewOrganizationRequest {
                name: "Contoso".into(),
                domain_name: "contoso.com".into(),
                ews_url: "https://mail.contoso.com/EWS/Exchange.asmx".into(),
            };
            admin = admin::OnPremAdmin::new(&url, &operator)
                .new_organization(&req)
                .await
                .expect("the organization is created")
                .admin_credential;
        }
        OnPremUnderTest {
            url,
            store,
            server,
            operator,
            admin,
            task,
        }
    }

    /// Runs a cmdlet: its output, or (HTTP status, error code, message).
    pub async fn cmd(
        &self,
        cmdlet: &str,
        params: serde_json::Value,
    ) -> Result<Vec<serde_json::Value>, (u16, String, String)> {
        let r = reqwest::Client::new()
            .post(format!("{}/admin/cmdlet", self.url))
            .bearer_auth(&self.admin)
            .json(&serde_json::json!({"Cmdlet": cmdlet, "Parameters": params}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: serde_json::Value = r.json().await.unwrap();
        if status == 200 {
            Ok(v["Output"].as_array().cloned().unwrap_or_default())
        } else {
            Err((
                status,
                v["error"]["code"].as_str().unwrap_or("").into(),
                v["error"]["message"].as_str().unwrap_or("").into(),
            ))
        }
    }

    /// Runs a cmdlet that must succeed; its first output object.
    pub async fn ok(&self, cmdlet: &str, params: serde_json::Value) -> serde_json::Value {
        match self.cmd(cmdlet, params.clone()).await {
            Ok(v) => v.into_iter().next().unwrap_or(serde_json::Value::Null),
            Err(e) => panic!("{cmdlet} {params}: {e:?}"),
        }
    }

    /// Runs a cmdlet that must fail with `code`; its message.
    pub async fn refused(&self, cmdlet: &str, params: serde_json::Value, code: &str) -> String {
        match self.cmd(cmdlet, params.clone()).await {
            Err((_, c, m)) if c == code => m,
            other => panic!("{cmdlet} {params}: expected {code}, got {other:?}"),
        }
    }
}

/// `hybrid serve ROLE` as a child process on a free port, stopped when dropped.
pub struct ServeProcess {
    child: std::process::Child,
    pub url: String,
}

impl ServeProcess {
    pub fn start(data: &str, role: &str) -> ServeProcess {
        Self::start_with(data, role, &[])
    }

    /// As `start`, with more `hybrid serve` options.
    pub fn start_with(data: &str, role: &str, extra: &[&str]) -> ServeProcess {
        Self::start_env(data, role, extra, &[])
    }

    /// As `start_with`, with environment variables for the child.
    /// Plain HTTP unless `extra` names a certificate (`--tls-cert`): these tests are about
    /// other things than TLS, which `cli::https_by_default_*` covers.
    pub fn start_env(data: &str, role: &str, extra: &[&str], env: &[(&str, &str)]) -> ServeProcess {
        let plain: &[&str] = if extra.contains(&"--tls-cert") {
            &[]
        } else {
            &["--insecure-http"]
        };
        let child = Command::new(hybrid_bin())
            .args(["--data", data, "serve", role, "--listen", "127.0.0.1:0"])
            .args(plain)
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("hybrid serve starts");
        // From here the child is owned by a ServeProcess, whose Drop kills and waits for it.
        let mut process = ServeProcess {
            child,
            url: String::new(),
        };
        let file = std::path::Path::new(data).join(role).join("server.url");
        for _ in 0..200 {
            if let Ok(u) = std::fs::read_to_string(&file)
                && !u.trim().is_empty()
            {
                process.url = u.trim().to_string();
                return process;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("hybrid serve {role} did not record its URL");
    }
}

impl ServeProcess {
    /// Sends SIGTERM and waits up to `limit` for the process to end: its exit status and how
    /// long it took, or `None` if it was still running at the limit.
    pub fn terminate(
        &mut self,
        limit: std::time::Duration,
    ) -> Option<(std::process::ExitStatus, std::time::Duration)> {
        let started = std::time::Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some((status, started.elapsed()));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A partner role served on an ephemeral loopback port.
pub struct PartnerUnderTest {
    pub url: String,
    pub store: store::Store,
    pub server: partner::PartnerServer,
    pub operator: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PartnerUnderTest {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PartnerUnderTest {
    /// Starts a partner on `store_url`; `operator` is the credential from an earlier start on
    /// the same store, if any.
    pub async fn start(store_url: &str, operator: Option<String>) -> PartnerUnderTest {
        let store = store::Store::open(store_url, store::StoreOptions::default())
            .await
            .expect("store opens");
        let made = partner::ensure_operator_credential(&store)
            .await
            .expect("operator");
        let operator = made.or(operator).unwrap_or_default();
        // A partner that is dropped (as a crash would) frees its claimed work within 2 s.
        let server = partner::PartnerServer::start_with_lease(store.clone(), 50, 2_000)
            .await
            .expect("partner starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = server.router();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        PartnerUnderTest {
            url,
            store,
            server,
            operator,
            task,
        }
    }
}

/// A client assertion as MSAL writes one (RFC 7523: `iss` = `sub` = the client, `aud` = the
/// token endpoint), in RS256 or PS256, with the given header members naming the key.
pub fn entra_client_assertion(
    client: &str,
    alg: &str,
    header: serde_json::Value,
    kp: &crypto::KeyPair,
    endpoint: &str,
) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut h = serde_json::json!({"typ": "JWT", "alg": alg});
    for (k, v) in header.as_object().into_iter().flatten() {
        h[k] = v.clone();
    }
    let claims = serde_json::json!({
        "aud": endpoint, "iss": client, "sub": client,
        "jti": uuid::Uuid::new_v4().to_string(), "nbf": now, "iat": now, "exp": now + 600,
    });
    let part = |v: &serde_json::Value| crypto::base64url(v.to_string().as_bytes());
    let input = format!("{}.{}", part(&h), part(&claims));
    let sig = match alg {
        "PS256" => kp.key.sign_ps256(input.as_bytes()),
        _ => kp.key.sign_rs256(input.as_bytes()),
    };
    format!("{input}.{}", crypto::base64url(&sig))
}

/// An HTTP client that trusts the development CA of the data folder `data` (`DIR/ca.pem`,
/// which `hybrid up` and `hybrid serve` make) besides the system's roots.
pub fn trusting_client(data: &std::path::Path) -> reqwest::Client {
    let pem = std::fs::read(data.join("ca.pem")).expect("the data folder has a development CA");
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM certificate"))
        .build()
        .expect("an HTTP client builds")
}
