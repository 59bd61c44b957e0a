//! `hybrid doctor`: the whole trust checked end to end, as an admin would check it by hand with
//! Get-AuthConfig, Get-ExchangeCertificate, Get-AuthServer, Get-PartnerApplication,
//! Get-ManagementRoleAssignment and Get-MgServicePrincipal, and each finding with the commands
//! that fix it. The facts are read through the roles' admin APIs ([`gather`]); the judgement is a
//! pure function of them ([`checks`]), so that every finding is testable without servers.

mod checks;
mod files;
mod gather;
mod hma;
pub(crate) use checks::{iso, parse_date};
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
    let report = Report::of(diagnose(
        data,
        args.tenant.as_deref(),
        at,
        args.within_days,
    )?);
    print(&report, out);
    if report.errors == 0 {
        Ok(())
    } else {
        Err(CliError::Refused {
            code: crate::error::Code::TrustFindings,
            message: format!(
                "{} finding(s) break the trust; each is listed with its fix",
                report.errors
            ),
        })
    }
}

/// The whole report as `hybrid doctor --json` prints it: an overall status, the counts, and
/// each check under a stable id with its findings.
#[derive(serde::Serialize)]
pub struct Report {
    /// "Error" when anything breaks the trust, "Warning" when something will or may, else "OK".
    pub status: &'static str,
    pub errors: usize,
    pub warnings: usize,
    pub checks: Vec<checks::Check>,
}

impl Report {
    fn of(checks: Vec<checks::Check>) -> Report {
        let count = |sev: Severity| {
            checks
                .iter()
                .flat_map(|c| &c.findings)
                .filter(|f| f.severity == sev)
                .count()
        };
        let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
        let status = match (errors, warnings) {
            (0, 0) => "OK",
            (0, _) => "Warning",
            _ => "Error",
        };
        Report {
            status,
            errors,
            warnings,
            checks,
        }
    }
}

/// The doctor's findings as the web view draws them.
pub fn findings(data: &DataDir) -> Result<onprem::model::report::Findings, CliError> {
    use onprem::model::report::{CheckFindings, FindingLine, Findings};
    let report = Report::of(diagnose(data, None, OffsetDateTime::now_utc(), 30)?);
    let line = |f: &checks::Finding| FindingLine {
        code: f.code.to_string(),
        severity: match f.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        }
        .to_string(),
        message: f.message.clone(),
        fix: f.fix.clone(),
    };
    Ok(Findings {
        status: report.status.to_string(),
        errors: report.errors,
        warnings: report.warnings,
        checks: report
            .checks
            .iter()
            .map(|c| CheckFindings {
                name: c.name.to_string(),
                findings: c.findings.iter().map(line).collect(),
            })
            .collect(),
    })
}

/// The facts read and judged, each fix written with the data folder in use. A server that
/// does not answer is a finding of its own (with the command that starts it); the checks
/// that need it are then reported as not made.
fn diagnose(
    data: &DataDir,
    tenant: Option<&str>,
    at: OffsetDateTime,
    within_days: i64,
) -> Result<Vec<checks::Check>, CliError> {
    let mut report = match gather::gather(data, tenant, at, within_days) {
        Ok(facts) => checks::diagnose(&facts),
        Err(CliError::Refused {
            code: crate::error::Code::ServerNotFound,
            ..
        }) => {
            // The doctor reads every role from the data folder; it takes no --server.
            return Err(CliError::Refused {
                code: crate::error::Code::ServerNotFound,
                message: format!(
                    "no servers are recorded under {} (start the roles with `hybrid --data {} up`, or name the folder they use with --data DIR)",
                    data.root.display(),
                    data.root.display()
                ),
            });
        }
        Err(CliError::Refused {
            code: crate::error::Code::ServerUnreachable,
            message,
        }) => gather::unreachable(data, &message),
        Err(e) => return Err(e),
    };
    report.push(files::check(data));
    // The fixes are printed to be run as they stand: with the data folder in use.
    for f in report.iter_mut().flat_map(|c| c.findings.iter_mut()) {
        for line in f.fix.iter_mut() {
            *line = with_data(line, data);
        }
    }
    Ok(report)
}

/// `hybrid …` as `hybrid --data DIR …` when DIR is not the default folder.
fn with_data(line: &str, data: &DataDir) -> String {
    let root = data.root.display().to_string();
    match line.strip_prefix("hybrid ") {
        Some(rest) if data.root != std::path::Path::new("hybrid-data") => {
            let quoted = if root.contains([' ', '\'', '"']) {
                format!("\"{}\"", root.replace('"', "\\\""))
            } else {
                root
            };
            format!("hybrid --data {quoted} {rest}")
        }
        _ => line.to_string(),
    }
}

fn print(report: &Report, out: &Output) {
    if out.json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        );
        return;
    }
    for c in &report.checks {
        if c.findings.is_empty() {
            println!("OK     {}", c.name);
        }
        for f in &c.findings {
            let tag = match f.severity {
                Severity::Error => "ERROR",
                Severity::Warning => "WARN ",
            };
            println!("{tag}  {}: [{}] {}", c.name, f.code, f.message);
            if !f.breaks.is_empty() {
                let flows: Vec<&str> = f.breaks.iter().map(|b| b.title()).collect();
                println!("       stops: {}", flows.join("; "));
            }
            for (i, line) in f.fix.iter().enumerate() {
                let lead = if i == 0 { "fix:" } else { "    " };
                println!("       {lead} {line}");
            }
        }
    }
    println!(
        "\n{}: {} error(s), {} warning(s)",
        report.status, report.errors, report.warnings
    );
}
