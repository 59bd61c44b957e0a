//! The CLI's contract: exit statuses, refusals with stable codes, files it writes.

use hybrid_tests::{TempDir, hybrid};
use serde_json::Value;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout_json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(hybrid(&["cert", "frobnicate"], None).status.code(), Some(2));
    assert_eq!(
        hybrid(&["token", "validate", "x"], None).status.code(),
        Some(2),
        "--host is required"
    );
    let o = hybrid(&["token", "inspect"], Some("   "));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[Usage]"));
}

#[test]
fn cert_new_writes_a_private_key_only_the_owner_reads_and_never_overwrites() {
    let dir = TempDir::new("cert");
    let cert = dir.path("OAuthCert.cer");
    let o = hybrid(&["cert", "new", "--out", &cert, "--json"], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shown = stdout_json(&o);
    assert_eq!(shown["KeySize"], 2048);
    let der = std::fs::read(&cert).unwrap();
    assert_eq!(der[0], 0x30, "a .cer is written as DER");
    let key = dir.path("OAuthCert-key.pem");
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("PRIVATE KEY"),
        "the key is never printed"
    );
    let again = hybrid(&["cert", "new", "--out", &cert], None);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        std::fs::read(&cert).unwrap(),
        der,
        "the existing certificate is untouched"
    );
}

#[test]
fn refusals_have_stable_codes() {
    let dir = TempDir::new("refuse");
    let o = hybrid(
        &[
            "cert",
            "new",
            "--key-size",
            "1024",
            "--out",
            &dir.path("c.pem"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error[CryptoKeyTooSmall]"),
        "{}",
        stderr(&o)
    );
    assert!(
        !std::path::Path::new(&dir.path("c.pem")).exists(),
        "nothing written on refusal"
    );
    std::fs::write(dir.path("junk.cer"), b"\x30\x82junk").unwrap();
    let o = hybrid(&["cert", "show", &dir.path("junk.cer")], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[CryptoInvalidCertificate]"));
    let o = hybrid(&["cert", "show", &dir.path("missing.cer")], None);
    assert!(stderr(&o).contains("error[Io]"));
}

#[test]
fn inspect_reads_a_pasted_authorization_header_and_validate_explains_rejections() {
    let dir = TempDir::new("tokens");
    let (cert, key) = (dir.path("p.pem"), dir.path("p-key.pem"));
    assert!(
        hybrid(&["cert", "new", "--out", &cert], None)
            .status
            .success()
    );
    let o = hybrid(
        &[
            "token",
            "new",
            "--cert",
            &cert,
            "--key",
            &key,
            "--issuer",
            "00000004-0000-0ff1-ce00-000000000000@contoso.com",
            "--audience",
            "00000002-0000-0ff1-ce00-000000000000/mail.contoso.com@contoso.com",
            "--user-upn",
            "alice@contoso.com",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let token = String::from_utf8(o.stdout).unwrap().trim().to_string();

    let pasted = format!("Authorization: Bearer {token}\n");
    let o = hybrid(
        &["token", "inspect", "--cert", &cert, "--json"],
        Some(&pasted),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let i = stdout_json(&o);
    assert_eq!(i["profile"], "S2SAppActAs");
    assert_eq!(i["actor"]["signature"]["valid"], true);

    let o = hybrid(
        &[
            "token",
            "validate",
            &token,
            "--trust-cert",
            &cert,
            "--host",
            "mail.contoso.com",
            "--at",
            "1",
            "--json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let r = stdout_json(&o);
    assert_eq!(r["Error"], "TokenExpired");
    assert_eq!(r["HttpStatus"], 401);
    assert_eq!(
        r["x-ms-diagnostics"],
        "2000002;reason=\"The token has expired.\";error_category=\"token_expired\""
    );
    assert!(stderr(&o).contains("error[TokenExpired]"));
}
