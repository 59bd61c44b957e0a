//! `hybrid`: servers, admin verbs and tools for the hybrid S2S OAuth trust.

mod cert_cmd;
mod error;
mod output;
mod token_cmd;

use clap::{Parser, Subcommand};
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode, explain and check S2S tokens.
    #[command(subcommand)]
    Token(token_cmd::TokenCommand),
    /// Create and read certificates.
    #[command(subcommand)]
    Cert(cert_cmd::CertCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = output::Output { json: cli.json };
    let result = match cli.command {
        Command::Token(c) => token_cmd::run(c, &out),
        Command::Cert(c) => cert_cmd::run(c, &out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hybrid: error[{}]: {}", e.code(), e);
            ExitCode::from(e.exit_status())
        }
    }
}
