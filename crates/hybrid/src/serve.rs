//! `hybrid serve ROLE`: runs one role's server on its own store.

use crate::error::CliError;
use crate::paths::{DataDir, write_private};
use clap::{Args, ValueEnum};
use std::net::SocketAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// The cloud directory and token service (Entra ACS's role).
    Cloud,
    /// The on-premises organization (Exchange Server's role).
    Onprem,
    /// The partner service (Skype for Business Online's role).
    Partner,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Cloud => "cloud",
            Role::Onprem => "onprem",
            Role::Partner => "partner",
        }
    }
    pub fn default_listen(self) -> SocketAddr {
        match self {
            Role::Cloud => "127.0.0.1:8441".parse().expect("a valid address"),
            Role::Onprem => "127.0.0.1:8443".parse().expect("a valid address"),
            Role::Partner => "127.0.0.1:8445".parse().expect("a valid address"),
        }
    }
}

#[derive(Args)]
pub struct ServeArgs {
    /// Which role to run.
    role: Role,
    /// Address to listen on (port 0 picks a free port). Default: the role's 127.0.0.1 port.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Store URL (sqlite://PATH or postgres://…). Default: sqlite under DIR/<role>/.
    #[arg(long, env = "HYBRID_STORE")]
    store: Option<String>,
    /// The URL clients use to reach this server (it names the token endpoint in metadata).
    /// Default: http://<listen address>.
    #[arg(long)]
    public_url: Option<String>,
    /// Serve HTTPS with this PEM certificate (chain) ... Default: a certificate the data
    /// folder's development CA (DIR/ca.pem) issues for this role.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// ... and this private key (PKCS#8 or PKCS#1 PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Serve plain HTTP instead of HTTPS, for loopback experiments.
    #[arg(long, conflicts_with = "tls_cert")]
    insecure_http: bool,
    /// Listen on a non-loopback address without TLS. Tokens and credentials would cross the
    /// network in the clear; only for isolated test networks.
    #[arg(long)]
    allow_insecure_remote: bool,
    /// On premises: a host (`host` or `host:port`) EWS push notifications may be posted to,
    /// besides loopback; repeat it, or separate hosts with commas. A subscription to any other
    /// host is accepted and ends at its first notification, unsent.
    #[arg(
        long = "ews-push-allow",
        env = "HYBRID_EWS_PUSH_ALLOW",
        value_delimiter = ',',
        value_name = "HOST"
    )]
    ews_push_allow: Vec<String>,
    /// On premises: renew the auth certificate unattended, in both organizations (the steps of
    /// `hybrid auth-cert renew`, with the admin credentials under the data folder), checking
    /// every this many seconds; each step is recorded as an event (`hybrid auth-cert status`).
    #[arg(long, value_name = "SECONDS")]
    auth_cert_renewal: Option<u64>,
    /// With --auth-cert-renewal: stage a new certificate this many days before the current one ends.
    #[arg(long, default_value_t = 60, requires = "auth_cert_renewal")]
    auth_cert_days_before: i64,
    /// With --auth-cert-renewal: keep the previous certificate trusted this many days.
    #[arg(long, default_value_t = 2, requires = "auth_cert_renewal")]
    auth_cert_overlap_days: i64,
    /// On premises: synchronize the organization's users to the tenant (Hybrid Modern
    /// Authentication's directory, Entra Connect's part) every this many seconds, with the
    /// tenant administrator's credential under the data folder.
    #[arg(long, value_name = "SECONDS")]
    directory_sync: Option<u64>,
}

pub fn run(mut args: ServeArgs, data: &DataDir) -> Result<(), CliError> {
    init_tracing();
    if args.tls_cert.is_none() && !args.insecure_http {
        let listen = args.listen.unwrap_or_else(|| args.role.default_listen());
        let names = crate::devca::server_names(listen, args.public_url.as_deref());
        let (cert, key) = crate::devca::ensure_server_certificate(data, args.role.name(), &names)
            .map_err(crate::devca::explain)?;
        args.tls_cert = Some(cert);
        args.tls_key = Some(key);
    }
    // Before the runtime starts any thread: calls to the other roles trust the CA.
    crate::devca::trust_in_this_process(data)?;
    if let Some(every) = args.auth_cert_renewal {
        if args.role != Role::Onprem {
            return Err(CliError::Usage(
                "--auth-cert-renewal is for `hybrid serve onprem`".into(),
            ));
        }
        crate::auth_cert::schedule(
            data.clone(),
            std::time::Duration::from_secs(every.max(1)),
            args.auth_cert_days_before,
            args.auth_cert_overlap_days,
        );
    }
    if let Some(every) = args.directory_sync {
        if args.role != Role::Onprem {
            return Err(CliError::Usage(
                "--directory-sync is for `hybrid serve onprem`".into(),
            ));
        }
        crate::hma::sync_continuously(data, std::time::Duration::from_secs(every.max(1)));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Refused {
            code: crate::error::Code::RuntimeFailed,
            message: e.to_string(),
        })?;
    let result = runtime.block_on(serve(args, data));
    // Background work (flushers, queue workers, listeners) gets a moment, not a veto.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// Logs to stderr, filtered by `HYBRID_LOG` (default `info`); one JSON object a line when
/// `HYBRID_LOG_FORMAT=json` (for log shippers), else text.
pub fn init_tracing() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("HYBRID_LOG").unwrap_or_else(|_| "info".into());
    if std::env::var("HYBRID_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub fn refused(code: crate::error::Code, message: impl Into<String>) -> CliError {
    CliError::Refused {
        code,
        message: message.into(),
    }
}

/// The push destinations `hybrid up` and `hybrid demo` allow: HYBRID_EWS_PUSH_ALLOW, as
/// `serve --ews-push-allow` reads it.
pub fn push_allow_from_env() -> Vec<String> {
    std::env::var("HYBRID_EWS_PUSH_ALLOW")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect()
}

/// A role's server, bound and ready to be served.
pub struct Started {
    pub role: Role,
    pub app: axum::Router,
    /// The role's server object: it owns background tasks, so it lives as long as the listener.
    pub guard: Box<dyn std::any::Any + Send>,
    pub listener: tokio::net::TcpListener,
    pub public_url: String,
    pub store: store::Store,
    /// Told when the server stops accepting: long-lived answers (EWS streaming
    /// notifications) end at once, with their closing message, rather than hold the stop.
    pub on_stop: Box<dyn FnOnce() + Send>,
}

/// Opens the role's store, makes its operator credential on first start, builds its server and
/// binds its listener; records the URL under DIR/<role>/server.url.
pub async fn start_role(
    role_kind: Role,
    data: &DataDir,
    store_url: Option<String>,
    listen: SocketAddr,
    public_url: Option<String>,
    tls: bool,
    push_allow: &[String],
) -> Result<Started, CliError> {
    let role = role_kind.name();
    let dir = data.role(role);
    crate::paths::create_private_dir(&dir)?;
    // `hybrid up` and `hybrid demo` take each role's store from HYBRID_STORE_<ROLE>
    // (HYBRID_STORE_CLOUD, _ONPREM, _PARTNER) when set, e.g. to run them on PostgreSQL.
    let store_url = store_url
        .or_else(|| {
            std::env::var(format!("HYBRID_STORE_{}", role.to_ascii_uppercase()))
                .ok()
                .filter(|u| !u.is_empty())
        })
        .unwrap_or_else(|| store::StoreUrl::default_for(&data.root, role).to_string());
    let store = store::Store::open(&store_url, store::StoreOptions::default())
        .await
        .map_err(|e| refused(crate::error::Code::from_wire(e.code()), e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| refused(crate::error::Code::ListenFailed, format!("{listen}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| refused(crate::error::Code::ListenFailed, e.to_string()))?;
    let scheme = if tls { "https" } else { "http" };
    let public_url = public_url
        .unwrap_or_else(|| format!("{scheme}://{bound}"))
        .trim_end_matches('/')
        .to_string();
    let operator_file = dir.join("operator.credential");
    let made = match role_kind {
        Role::Cloud => cloud::directory::ensure_operator_credential(&store)
            .await
            .map_err(|e| refused(crate::error::Code::from_wire(e.code()), e.to_string()))?,
        Role::Onprem => onprem::ensure_operator_credential(&store)
            .await
            .map_err(|e| refused(crate::error::Code::from_wire(e.code()), e.to_string()))?,
        Role::Partner => partner::ensure_operator_credential(&store)
            .await
            .map_err(|e| refused(crate::error::Code::from_wire(&e.code()), e.to_string()))?,
    };
    if let Some(credential) = made {
        write_private(&operator_file, &format!("{credential}\n"))?;
        tracing::info!("operator credential written to {}", operator_file.display());
    } else if !operator_file.exists() {
        tracing::warn!(
            "the operator credential was made earlier and is not at {}",
            operator_file.display()
        );
    }
    let mut on_stop: Box<dyn FnOnce() + Send> = Box::new(|| {});
    let (app, guard): (axum::Router, Box<dyn std::any::Any + Send>) = match role_kind {
        Role::Cloud => {
            let config = cloud::CloudConfig {
                public_url: public_url.clone(),
                sts: Default::default(),
            };
            let server = cloud::CloudServer::start(store.clone(), config)
                .await
                .map_err(|e| refused(crate::error::Code::from_wire(e.code()), e.to_string()))?;
            (server.router(), Box::new(server))
        }
        Role::Onprem => {
            let mut config = onprem::OnPremConfig::new(&public_url);
            config.push_destinations = push_allow.to_vec();
            config.trust_report = Some(crate::report::hook(data.clone()));
            let server = onprem::OnPremServer::start(store.clone(), config)
                .await
                .map_err(|e| refused(crate::error::Code::from_wire(e.code()), e.to_string()))?;
            let events = server.state.events.clone();
            on_stop = Box::new(move || events.close());
            (server.router(), Box::new(server))
        }
        Role::Partner => {
            // The first retry's delay (doubling up to a minute): HYBRID_WORK_RETRY_BASE_MS.
            let retry_base_ms = std::env::var("HYBRID_WORK_RETRY_BASE_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|v: &i64| *v >= 10)
                .unwrap_or(500);
            let server = partner::PartnerServer::start(store.clone(), retry_base_ms)
                .await
                .map_err(|e| refused(crate::error::Code::from_wire(&e.code()), e.to_string()))?;
            let cer = dir.join("signing.cer");
            std::fs::write(&cer, server.certificate().der()).map_err(|e| CliError::io(&cer, e))?;
            (server.router(), Box::new(server))
        }
    };
    write_private(&data.server_url_file(role), &format!("{public_url}\n"))?;
    Ok(Started {
        role: role_kind,
        app,
        guard,
        listener,
        public_url,
        store,
        on_stop,
    })
}

async fn serve(args: ServeArgs, data: &DataDir) -> Result<(), CliError> {
    let listen = args.listen.unwrap_or_else(|| args.role.default_listen());
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(crate::tls::acceptor(c, k)?),
        _ => None,
    };
    if tls.is_none() && !listen.ip().is_loopback() && !args.allow_insecure_remote {
        return Err(refused(
            crate::error::Code::InsecureListenerRefused,
            format!(
                "{listen} is not a loopback address and TLS is not configured; pass --allow-insecure-remote to accept that risk"
            ),
        ));
    }
    let stop = shutdown();
    let started = start_role(
        args.role,
        data,
        args.store.clone(),
        listen,
        args.public_url.clone(),
        tls.is_some(),
        &args.ews_push_allow,
    )
    .await?;
    let dir = data.role(args.role.name());
    // Local admin verbs trust the server's own certificate from here.
    let ca_file = dir.join("server.crt");
    match &args.tls_cert {
        Some(c) => {
            std::fs::copy(c, &ca_file).map_err(|e| CliError::io(&ca_file, e))?;
        }
        None => {
            let _ = std::fs::remove_file(&ca_file);
        }
    }
    println!(
        "hybrid {} listening on {} (store {}, data {})",
        args.role.name(),
        started.public_url,
        started.store.url(),
        dir.display()
    );
    let Started {
        app,
        guard,
        listener,
        store,
        on_stop,
        ..
    } = started;
    // The first signal stops accepting; requests in flight get IN_FLIGHT_GRACE to finish.
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        stop.await;
        on_stop();
        let _ = stopping.send(());
    };
    let deadline = async move {
        if stopped.await.is_ok() {
            tokio::time::sleep(IN_FLIGHT_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let serving =
        crate::listen::serve(listener, tls, app, crate::listen::Limits::default(), signal);
    tokio::select! {
        () = serving => {},
        _ = deadline => tracing::warn!("requests still in flight after {IN_FLIGHT_GRACE:?}; stopping without them"),
    }
    drop(guard);
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How long requests in flight may take to finish after the first signal.
pub const IN_FLIGHT_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The stop signals, listened to from the moment this is made (so that a signal arriving
/// while the server starts is not lost, nor handled by the default action).
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            let term = async {
                match self.term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            let int = async {
                match self.int.as_mut() {
                    Some(i) => {
                        i.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! { _ = term => {}, _ = int => {} }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Resolves at the first SIGTERM or Ctrl-C after the call; a second one ends the process at
/// once. The signals are listened to from the call on, before the returned future is awaited.
pub fn shutdown() -> impl std::future::Future<Output = ()> + Send {
    let mut signals = Signals::new();
    async move {
        signals.next().await;
        tracing::info!("shutting down");
        tokio::spawn(async move {
            signals.next().await;
            eprintln!("hybrid: a second signal: exiting now");
            std::process::exit(130);
        });
    }
}
