//! `hybrid`: servers, admin verbs and tools for the hybrid S2S OAuth trust.

mod auth_cert;
mod cert_cmd;
mod client;
mod cloud_cmd;
mod connectivity;
mod demo;
mod devca;
mod doctor;
mod ems;
mod error;
mod hma;
mod hybrid_app;
mod listen;
mod onprem_cmd;
mod opt;
mod output;
mod partner_cmd;
mod paths;
mod report;
mod serve;
mod tls;
mod token_cmd;
mod trace;
mod up;

use clap::{Parser, Subcommand};

/// Every role is a many-threaded server that allocates per request (HTTP, JSON, XML); mimalloc's
/// per-thread free lists cost less there than glibc's arenas (measured in docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

/// Hybrid: the server-to-server OAuth trust between an on-premises messaging server
/// (Exchange-style), a cloud partner service (Skype for Business Online-style) and the cloud
/// directory and token service that brokers it (in the role of Microsoft Entra ACS).
#[derive(Parser)]
#[command(name = "hybrid", version, propagate_version = true)]
struct Cli {
    /// Print machine-readable JSON instead of a listing.
    #[arg(long, global = true)]
    json: bool,
    /// The data folder: each role keeps its store, server URL and admin credentials under
    /// DIR/<role>/.
    #[arg(
        long,
        global = true,
        env = "HYBRID_DATA",
        default_value = "hybrid-data"
    )]
    data: std::path::PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one role's server: cloud (directory and token service), onprem (the organization) or
    /// partner (the Skype for Business Online-style service).
    Serve(serve::ServeArgs),
    /// All three roles in one process, bootstrapped on first start (tenant contoso.com,
    /// organization Contoso, users alice and bob).
    Up(up::UpArgs),
    /// The whole runbook on a fresh data folder, with its success checks (PASS/FAIL) and the
    /// OAuth handshake as the on-premises server saw it. Exit status 0 only if every check passes.
    Demo {
        /// Keep the demo's data folder instead of removing it.
        #[arg(long)]
        keep: bool,
        /// `shared`: the runbook as written (the auth certificate on 00000002-…); `dedicated`:
        /// as Microsoft runs it since 2025, the certificate on a dedicated Exchange hybrid
        /// application named on the AuthServer (CVE-2025-53786).
        #[arg(long, value_enum, default_value = "shared")]
        trust: demo::TrustMode,
        /// `sfb`: the runbook for Skype for Business Online; `teams`: the 2025 text for
        /// Microsoft Teams services (TeamsScheduler, CloudVoicemail and the legacy application).
        #[arg(long, value_enum, default_value = "sfb")]
        edition: demo::Edition,
        /// The roles' ports: cloud at this one, on premises at +2, the partner at +4, as
        /// `hybrid up --base-port`; 0 (the default) takes free ports.
        #[arg(long, default_value_t = 0)]
        base_port: u16,
        /// After the runbook, Microsoft's Hybrid Modern Authentication procedure; then alice
        /// signs in at the cloud as Outlook does and reads her inbox with her own token.
        #[arg(long)]
        hma: bool,
    },
    /// The cloud directory's admin verbs (tenants, service principals, key credentials, SPNs).
    Cloud(opt::cloud::CloudArgs),
    /// The on-premises organization's cmdlets (recipients, RBAC, certificates, AuthConfig,
    /// AuthServers, partner applications), and `run` for Exchange Management Shell lines.
    Onprem(opt::onprem::OnPremArgs),
    /// The partner service's verbs (users, conversations, voicemail greetings, presence, its
    /// settings and signing certificate).
    Partner(opt::partner::PartnerArgs),
    /// Check the whole trust end to end (certificates, uploaded keys and their dates, SPNs,
    /// realms, metadata, the partner application and its linked account's roles, clocks) and
    /// print the commands that fix each finding. Exit status 1 when a finding breaks the trust.
    Doctor(doctor::DoctorArgs),
    /// The OAuth handshakes the on-premises server decided: issuer, audience, nameid, user,
    /// outcome and error for every S2S request (token digests, never tokens).
    Trace(trace::TraceArgs),
    /// Exchange's Test-OAuthConnectivity, run by the partner service: the EWS challenge, an ACS
    /// actor token for the EWS host, and a GetFolder of the mailbox's inbox under it.
    #[command(name = "test-oauth-connectivity")]
    TestOAuthConnectivity(connectivity::TestOAuthConnectivityArgs),
    /// Decode, explain and check S2S tokens.
    #[command(subcommand)]
    Token(token_cmd::TokenCommand),
    /// Create and read certificates.
    #[command(subcommand)]
    Cert(cert_cmd::CertCommand),
    /// The on-premises auth certificate across both organizations: `status` (days left, current,
    /// next and previous, where each is uploaded) and `renew` (stage, upload, publish, clear the
    /// previous one: each step when it is due; `--dry-run` prints the plan).
    AuthCert(auth_cert::AuthCertArgs),
    /// Print a shell completion script: `hybrid completions bash > /etc/bash_completion.d/hybrid`
    /// (or zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = output::Output { json: cli.json };
    let data = paths::DataDir {
        root: cli.data.clone(),
    };
    // Calls to this folder's roles trust its development CA (a no-op without one). Done here,
    // before any thread exists: it sets the process's root certificate bundle.
    if let Err(e) = devca::trust_in_this_process(&data) {
        eprintln!("hybrid: warning: {e}");
    }
    // A command that prints for a pipeline ends quietly when the reader goes away
    // (`hybrid completions bash | head`), as other Unix tools do. Servers and the demo keep
    // Rust's default of ignoring the signal: a client that leaves is not their end.
    #[cfg(unix)]
    if !matches!(
        cli.command,
        Command::Serve(_) | Command::Up(_) | Command::Demo { .. }
    ) {
        // SAFETY: called before any thread is started; restores the default disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let result = match cli.command {
        Command::Serve(a) => serve::run(a, &data),
        Command::Up(a) => up::run(a, &data),
        Command::Demo {
            keep,
            trust,
            edition,
            base_port,
            hma,
        } => demo::run(keep, trust, edition, base_port, hma),
        Command::Cloud(a) => cloud_cmd::run(a, &data, &out),
        Command::Onprem(a) => onprem_cmd::run(a, &data, &out),
        Command::Partner(a) => partner_cmd::run(a, &data, &out),
        Command::Doctor(a) => doctor::run(a, &data, &out),
        Command::Trace(a) => trace::run(a, &data, &out),
        Command::TestOAuthConnectivity(a) => connectivity::run(a, &data, &out),
        Command::Token(c) => token_cmd::run(c, &data, &out),
        Command::Cert(c) => cert_cmd::run(c, &out),
        Command::AuthCert(a) => auth_cert::run(a, &data, &out),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "hybrid", &mut std::io::stdout());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hybrid: error[{}]: {}", e.code(), e);
            ExitCode::from(e.exit_status())
        }
    }
}
