use crate::error::CliError;
use crate::output::{Output, ps_bool};
use clap::{Args, Subcommand};
use crypto::{AUTH_CERTIFICATE_SUBJECT, Certificate, CertificateRequest};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

#[derive(Subcommand)]
pub enum CertCommand {
    /// Create a self-signed RSA certificate and its private key, like Exchange's
    /// "Microsoft Exchange Server Auth Certificate".
    New(NewArgs),
    /// Show a certificate file (DER or PEM): thumbprint, x5t, subject, issuer, validity, key size.
    Show {
        /// The certificate file.
        file: PathBuf,
    },
}

#[derive(Args)]
pub struct NewArgs {
    /// Subject common name.
    #[arg(long, default_value = AUTH_CERTIFICATE_SUBJECT)]
    subject: String,
    /// RSA key size in bits: 2048, 3072 or 4096.
    #[arg(long, default_value_t = 2048)]
    key_size: usize,
    /// Validity in days from now (default: five years).
    #[arg(long, default_value_t = 5 * 365 + 1)]
    validity_days: i64,
    /// DNS subject alternative name (repeatable).
    #[arg(long = "dns-name")]
    dns_names: Vec<String>,
    /// Certificate file to write; `.cer` or `.der` means DER, anything else PEM.
    #[arg(long, default_value = "auth-cert.pem")]
    out: PathBuf,
    /// Private key file to write (PKCS#8 PEM, mode 0600). Default: next to the certificate.
    #[arg(long)]
    key_out: Option<PathBuf>,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

pub fn run(cmd: CertCommand, out: &Output) -> Result<(), CliError> {
    match cmd {
        CertCommand::New(args) => new(args, out),
        CertCommand::Show { file } => {
            show(&read_certificate(&file)?, out);
            Ok(())
        }
    }
}

fn new(args: NewArgs, out: &Output) -> Result<(), CliError> {
    if args.validity_days <= 0 {
        return Err(CliError::Usage("--validity-days must be positive".into()));
    }
    let key_out = args
        .key_out
        .clone()
        .unwrap_or_else(|| default_key_path(&args.out));
    for p in [&args.out, &key_out] {
        if p.exists() && !args.force {
            return Err(CliError::Usage(format!(
                "{} exists; pass --force to replace it",
                p.display()
            )));
        }
    }
    let made = CertificateRequest {
        common_name: args.subject,
        key_bits: args.key_size,
        validity: Duration::days(args.validity_days),
        dns_names: args.dns_names,
        ..Default::default()
    }
    .self_signed()?;
    let der_out = matches!(
        args.out.extension().and_then(|e| e.to_str()),
        Some("cer" | "der" | "crt_der")
    );
    let cert_bytes = if der_out {
        made.certificate.der().to_vec()
    } else {
        made.certificate.to_pem().into_bytes()
    };
    write_file(&key_out, made.key.to_pkcs8_pem().as_bytes(), true)?;
    write_file(&args.out, &cert_bytes, false)?;
    if !out.json {
        eprintln!("wrote {} and {}", args.out.display(), key_out.display());
    }
    show(&made.certificate, out);
    Ok(())
}

fn default_key_path(cert: &Path) -> PathBuf {
    let stem = cert
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("auth-cert");
    cert.with_file_name(format!("{stem}-key.pem"))
}

/// Writes a file; private keys are created readable by the owner only.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), CliError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| CliError::io(path, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| CliError::io(path, e))
}

fn iso(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A certificate file, DER or PEM; a file that is neither is refused naming it and the forms
/// that are read.
pub fn read_certificate(path: &std::path::Path) -> Result<Certificate, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io(path, e))?;
    Certificate::from_der_or_pem(&bytes).map_err(|e| CliError::Refused {
        code: crate::error::Code::from_wire(e.code()),
        message: format!(
            "{} is not an X.509 certificate: a DER file (.cer) or PEM (-----BEGIN CERTIFICATE-----) is expected ({e})",
            path.display()
        ),
    })
}

/// Warns (on stderr) that `c`, about to be uploaded, is not valid now: the directory takes it,
/// but nothing signed with it will be accepted.
pub fn warn_if_not_valid(c: &Certificate, path: &std::path::Path) {
    match status(c) {
        "Expired" => eprintln!(
            "warning: {} expired on {}; the directory accepts it, but no token signed with it will be accepted",
            path.display(),
            iso(c.not_after())
        ),
        "NotYetValid" => eprintln!(
            "warning: {} is not valid before {}; tokens signed with it are refused until then",
            path.display(),
            iso(c.not_before())
        ),
        _ => {}
    }
}

fn status(c: &Certificate) -> &'static str {
    let now = OffsetDateTime::now_utc();
    if now < c.not_before() {
        "NotYetValid"
    } else if now > c.not_after() {
        "Expired"
    } else {
        "Valid"
    }
}

/// `hybrid cert show --json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CertificateShown {
    pub thumbprint: String,
    pub x5t: String,
    pub subject: String,
    pub issuer: String,
    pub serial_number: String,
    pub not_before: String,
    pub not_after: String,
    pub key_algorithm: String,
    pub key_size: u64,
    pub is_self_signed: bool,
    pub status: String,
    #[serde(rename = "UsableForS2S")]
    pub usable_for_s2s: bool,
}

pub fn show(c: &Certificate, out: &Output) {
    let rows = [
        ("Thumbprint", c.thumbprint().to_string()),
        ("X5t", c.x5t().to_string()),
        ("Subject", c.subject().to_string()),
        ("Issuer", c.issuer().to_string()),
        ("SerialNumber", c.serial_number().to_string()),
        ("NotBefore", iso(c.not_before())),
        ("NotAfter", iso(c.not_after())),
        ("KeyAlgorithm", c.key_algorithm().to_string()),
        ("KeySize", c.key_bits().to_string()),
        ("IsSelfSigned", ps_bool(c.is_self_signed())),
        ("Status", status(c).to_string()),
        (
            "UsableForS2S",
            match (c.public_key(), status(c)) {
                (Ok(_), "Valid") => "True".to_string(),
                (Ok(_), st) => format!("False ({st})"),
                (Err(e), _) => format!("False ({e})"),
            },
        ),
    ];
    let shown = CertificateShown {
        thumbprint: c.thumbprint().to_string(),
        x5t: c.x5t().to_string(),
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        serial_number: c.serial_number().to_string(),
        not_before: iso(c.not_before()),
        not_after: iso(c.not_after()),
        key_algorithm: c.key_algorithm().to_string(),
        key_size: c.key_bits() as u64,
        is_self_signed: c.is_self_signed(),
        status: status(c).to_string(),
        usable_for_s2s: c.public_key().is_ok() && status(c) == "Valid",
    };
    out.record(&rows, &shown);
}
