//! `hybrid up`: all three roles in one process, each on its own SQLite store under the data
//! folder, bootstrapped on first start: tenant contoso.com (with the partner's signing key on
//! 00000004-…), organization Contoso, users alice and bob with mailboxes and SIP addresses, and
//! the partner configured to reach them. The runbook's own steps are left to the admin (or to
//! `hybrid demo`).

use crate::error::CliError;
use crate::paths::{DataDir, write_private};
use crate::serve::{Role, Started, refused, start_role};
use clap::Args;

#[derive(Args)]
pub struct UpArgs {
    /// Port of the cloud role; on-premises listens on +2 and the partner on +4 (0: free ports).
    #[arg(long, default_value_t = 8441)]
    base_port: u16,
    /// Serve plain HTTP instead of HTTPS from the data folder's development CA (DIR/ca.pem),
    /// for loopback experiments.
    #[arg(long)]
    insecure_http: bool,
    /// At first start, the partner as which service: `sfb` (Skype for Business Online,
    /// 00000004-…) or `teams` (also Teams Scheduler and Cloud Voicemail, its key registered
    /// on their principals too).
    #[arg(long, value_parser = ["sfb", "teams"], default_value = "sfb")]
    edition: String,
    /// Seconds between synchronizations of the on-premises users to the tenant (Hybrid Modern
    /// Authentication's directory; Entra Connect's cycle is 30 minutes); 0 turns it off. The
    /// first runs once the roles are up.
    #[arg(long, default_value_t = 1800)]
    directory_sync: u64,
}

pub const DOMAIN: &str = "contoso.com";
/// The admin's client certificate and key that `hybrid up` registers on 00000004-…, under
/// DIR/cloud/.
pub const ADMIN_CLIENT_CERT: &str = "admin-client.pem";
pub const ADMIN_CLIENT_KEY: &str = "admin-client-key.pem";
pub const EWS_URL: &str = "https://mail.contoso.com/EWS/Exchange.asmx";
pub const USERS: &[(&str, &str)] = &[("alice", "Alice Smith"), ("bob", "Bob Jones")];

pub fn run(args: UpArgs, data: &DataDir) -> Result<(), CliError> {
    crate::serve::init_tracing();
    let tls = if args.insecure_http {
        None
    } else {
        let names = crate::devca::server_names(([127, 0, 0, 1], 0).into(), None);
        let mut files = Vec::new();
        for role in [Role::Cloud, Role::Onprem, Role::Partner] {
            files.push(
                crate::devca::ensure_server_certificate(data, role.name(), &names)
                    .map_err(crate::devca::explain)?,
            );
        }
        Some(files)
    };
    // Before the runtime starts any thread: the roles' calls to one another trust the CA.
    crate::devca::trust_in_this_process(data)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| refused(crate::error::Code::RuntimeFailed, e.to_string()))?;
    let result = runtime.block_on(up(args, data, tls));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

/// `tls`: each role's certificate chain and key files (cloud, on-premises, partner), or None
/// for plain HTTP.
async fn up(
    args: UpArgs,
    data: &DataDir,
    tls: Option<Vec<(std::path::PathBuf, std::path::PathBuf)>>,
) -> Result<(), CliError> {
    let stop = crate::serve::shutdown();
    // A `ready` left by a run that was killed would tell waiting tools too early.
    let _ = std::fs::remove_file(data.root.join("ready"));
    let port = |offset: u16| {
        if args.base_port == 0 {
            0
        } else {
            args.base_port + offset
        }
    };
    // Where the roles were last served, to point what names them at where they are now.
    let before: Vec<(Role, String)> = [Role::Cloud, Role::Onprem, Role::Partner]
        .into_iter()
        .filter_map(|r| data.server_url(r.name(), None).ok().map(|u| (r, u)))
        .collect();
    let mut started: Vec<Started> = Vec::new();
    let mut acceptors = Vec::new();
    for (i, (role, offset)) in [(Role::Cloud, 0), (Role::Onprem, 2), (Role::Partner, 4)]
        .into_iter()
        .enumerate()
    {
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port(offset)));
        let files = tls.as_ref().map(|t| t[i].clone());
        let push_allow = crate::serve::push_allow_from_env();
        started
            .push(start_role(role, data, None, listen, None, files.is_some(), &push_allow).await?);
        // Local admin verbs trust the role's certificate chain from here.
        let recorded = data.role(role.name()).join("server.crt");
        match &files {
            Some((chain, key)) => {
                acceptors.push(Some(crate::tls::acceptor(chain, key)?));
                std::fs::copy(chain, &recorded).map_err(|e| CliError::io(&recorded, e))?;
            }
            None => {
                acceptors.push(None);
                let _ = std::fs::remove_file(&recorded);
            }
        }
    }
    let urls: Vec<(Role, String)> = started
        .iter()
        .map(|s| (s.role, s.public_url.clone()))
        .collect();
    let mut guards = Vec::new();
    let mut tasks = Vec::new();
    for (s, acceptor) in started.into_iter().zip(acceptors) {
        let Started {
            app,
            guard,
            listener,
            ..
        } = s;
        guards.push(guard);
        tasks.push(tokio::spawn(async move {
            let limits = crate::listen::Limits::default();
            crate::listen::serve(listener, acceptor, app, limits, std::future::pending()).await;
        }));
    }
    let url = |r: Role| {
        urls.iter()
            .find(|(x, _)| *x == r)
            .map(|(_, u)| u.clone())
            .unwrap_or_default()
    };
    let fresh = !data.role("cloud").join("tenants").exists();
    if fresh {
        bootstrap(
            data,
            &url(Role::Cloud),
            &url(Role::Onprem),
            &url(Role::Partner),
            &args.edition,
        )
        .await?;
    } else {
        let was = |r: Role| {
            before
                .iter()
                .find(|(x, _)| *x == r)
                .map(|(_, u)| u.as_str())
        };
        reconnect(
            data,
            was(Role::Cloud),
            &url(Role::Cloud),
            was(Role::Onprem),
            &url(Role::Onprem),
        )
        .await?;
    }
    println!(
        "hybrid is up{}:",
        if fresh {
            " (bootstrapped: tenant contoso.com, organization Contoso, users alice and bob)"
        } else {
            ""
        }
    );
    for (r, u) in &urls {
        println!("  {:<8} {u}", r.name());
    }
    if tls.is_some() {
        println!(
            "  HTTPS from the development CA {}: give it to your clients (curl --cacert, REQUESTS_CA_BUNDLE)",
            data.root.join(crate::devca::CA_FILE).display()
        );
    }
    println!(
        "  credentials under {}: cloud/operator.credential, cloud/tenants/*.credential, onprem/admin.credential, partner/operator.credential",
        data.root.display()
    );
    if args.directory_sync > 0 {
        crate::hma::sync_continuously(data, std::time::Duration::from_secs(args.directory_sync));
    }
    write_private(&data.root.join("ready"), "up\n")?;
    stop.await;
    let _ = std::fs::remove_file(data.root.join("ready"));
    for t in tasks {
        t.abort();
    }
    drop(guards);
    Ok(())
}

/// A data folder served again on other ports (a new `--base-port`, free ports, a kept demo
/// folder): what names the cloud and on-premises servers by address follows them, as an admin
/// would update it after moving a server. The partner's token endpoint and EWS URL, and each
/// AuthServer whose metadata URL named the cloud's old address (Set-AuthServer
/// -AuthMetadataUrl, which reads the document again there). What names a server by another
/// address is the admin's and is left as it is.
async fn reconnect(
    data: &DataDir,
    cloud_was: Option<&str>,
    cloud: &str,
    onprem_was: Option<&str>,
    onprem: &str,
) -> Result<(), CliError> {
    let moved = |was: Option<&str>, now: &str| was.filter(|w| *w != now).map(str::to_string);
    let (cloud_was, onprem_was) = (moved(cloud_was, cloud), moved(onprem_was, onprem));
    if cloud_was.is_none() && onprem_was.is_none() {
        return Ok(());
    }
    let follow = |v: &str| {
        let mut v = v.to_string();
        for (was, now) in [(&cloud_was, cloud), (&onprem_was, onprem)] {
            if let Some(w) = was
                && let Some(rest) = v.strip_prefix(w.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                v = format!("{now}{rest}");
            }
        }
        v
    };
    let failed = |e: admin::AdminError| refused(crate::error::Code::BootstrapFailed, e.to_string());
    let partner = admin::PartnerAdmin::new(
        &data.server_url("partner", None)?,
        &credential(data, "partner", "operator.credential")?,
    );
    // A partner never configured has nothing that names the others.
    if let Ok(mut settings) = partner.settings().await {
        let before = settings.clone();
        settings.token_endpoint = follow(&settings.token_endpoint);
        settings.ews_url = follow(&settings.ews_url);
        settings.autodiscover_url = settings.autodiscover_url.as_deref().map(follow);
        if settings != before {
            partner.set_settings(&settings).await.map_err(failed)?;
        }
    }
    let Ok(org_admin) = credential(data, "onprem", "admin.credential") else {
        return Ok(());
    };
    let onprem = admin::OnPremAdmin::new(onprem, &org_admin);
    let servers: Vec<onprem::model::AuthServer> = onprem
        .run("Get-AuthServer", admin::Parameters::new())
        .await
        .map_err(failed)?;
    for a in servers {
        let now = follow(&a.auth_metadata_url);
        if now != a.auth_metadata_url {
            let p = admin::Parameters::new()
                .with("Identity", &a.name)
                .with("AuthMetadataUrl", now);
            onprem.invoke("Set-AuthServer", p).await.map_err(failed)?;
        }
    }
    Ok(())
}

fn credential(data: &DataDir, role: &str, file: &str) -> Result<String, CliError> {
    crate::paths::read_credential(&data.role(role).join(file))
}

async fn bootstrap(
    data: &DataDir,
    cloud: &str,
    onprem: &str,
    partner: &str,
    edition: &str,
) -> Result<(), CliError> {
    // A client certificate for the admin's own EWS checks (`hybrid token request` uses it by
    // default), registered beside the partner's key; its private key stays in the data folder.
    let admin_client = crypto::CertificateRequest {
        common_name: "Hybrid admin EWS client".into(),
        ..Default::default()
    }
    .self_signed()
    .map_err(|e| refused(crate::error::Code::BootstrapFailed, e.to_string()))?;
    let cloud_dir = data.role("cloud");
    write_private(
        &cloud_dir.join(ADMIN_CLIENT_KEY),
        &admin_client.key.to_pkcs8_pem(),
    )?;
    std::fs::write(
        cloud_dir.join(ADMIN_CLIENT_CERT),
        admin_client.certificate.to_pem(),
    )
    .map_err(|e| CliError::io(&cloud_dir.join(ADMIN_CLIENT_CERT), e))?;
    let (cloud_op, onprem_op, partner_op) = (
        credential(data, "cloud", "operator.credential")?,
        credential(data, "onprem", "operator.credential")?,
        credential(data, "partner", "operator.credential")?,
    );
    let plan = admin::TrustPlan {
        cloud,
        cloud_operator: &cloud_op,
        onprem: Some(onprem),
        organization: admin::OrganizationSource::Create {
            operator: &onprem_op,
            name: "Contoso",
        },
        partner: admin::PartnerKey::Server {
            url: partner,
            operator: &partner_op,
        },
        domain: DOMAIN,
        ews_url: EWS_URL,
        users: USERS,
        runbook: false,
        edition: if edition == "teams" {
            admin::Edition::Teams
        } else {
            admin::Edition::SkypeForBusiness
        },
        extra_keys: vec![cloud::model::KeyCredential::verify(
            &admin_client.certificate.to_base64(),
            Some("Hybrid admin EWS client"),
        )],
    };
    let trust = admin::Trust::establish(plan)
        .await
        .map_err(|e| refused(crate::error::Code::BootstrapFailed, e.to_string()))?;
    write_private(
        &data
            .role("cloud")
            .join("tenants")
            .join(format!("{}.credential", trust.tenant_id)),
        &format!("{}\n", trust.tenant_admin),
    )?;
    write_private(
        &data.role("onprem").join("admin.credential"),
        &format!("{}\n", trust.org_admin),
    )?;
    Ok(())
}
