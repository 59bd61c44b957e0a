//! `hybrid doctor`: the whole trust checked end to end, as an admin would check it by hand with
//! Get-AuthConfig, Get-ExchangeCertificate, Get-AuthServer, Get-PartnerApplication,
//! Get-ManagementRoleAssignment and Get-MgServicePrincipal, and each finding with the commands
//! that fix it. The facts are read through the roles' admin APIs ([`gather`]); the judgement is a
//! pure function of them ([`checks`]), so that every finding is testable without servers.

mod checks;
mod gather;
pub(crate) use gather::{onprem_client, tenant_client};

use checks::Severity;

use crate::error::CliError;
use crate::output::Output;
use crate::paths::DataDir;
use clap::Args;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Args)]
pub struct DoctorArgs {
    /// Judge dates as of this time (RFC 3339) instead of now: "will the trust still hold then?"
    #[arg(long)]
    at: Option<String>,
    /// Warn about a certificate or key that expires within this many days.
    #[arg(long, default_value_t = 30)]
    within_days: i64,
    /// The tenant (id) to check against, when more than one is known under DIR/cloud/tenants.
    #[arg(long)]
    tenant: Option<String>,
}

pub fn run(args: DoctorArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let at = match &args.at {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|e| CliError::Usage(format!("--at {s}: not an RFC 3339 time ({e})")))?,
        None => OffsetDateTime::now_utc(),
    };
    let facts = gather::gather(data, args.tenant.as_deref(), at, args.within_days)?;
    let report = checks::diagnose(&facts);
    print(&report, out);
    let errors = report
        .iter()
        .flat_map(|c| &c.findings)
        .filter(|f| f.severity == Severity::Error)
        .count();
    if errors == 0 {
        Ok(())
    } else {
        Err(CliError::Refused {
            code: "TrustFindings".into(),
            message: format!("{errors} finding(s) break the trust; each is listed with its fix"),
        })
    }
}

fn print(report: &[checks::Check], out: &Output) {
    if out.json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    for c in report {
        if c.findings.is_empty() {
            println!("OK     {}", c.name);
        }
        for f in &c.findings {
            let tag = match f.severity {
                Severity::Error => "ERROR",
                Severity::Warning => "WARN ",
            };
            println!("{tag}  {}: [{}] {}", c.name, f.code, f.message);
            for (i, line) in f.fix.iter().enumerate() {
                let lead = if i == 0 { "fix:" } else { "    " };
                println!("       {lead} {line}");
            }
        }
    }
}
