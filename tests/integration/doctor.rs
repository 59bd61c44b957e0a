//! The admin's diagnostics against the three real servers of `hybrid up`: `hybrid doctor` (each
//! finding provoked, found, and fixed by running the very commands it prints),
//! `hybrid test-oauth-connectivity` and `hybrid trace`.

use hybrid_tests::{TempDir, hybrid_bin};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};

const SKYPE: &str = "00000004-0000-0ff1-ce00-000000000000";
const EXCHANGE: &str = "00000002-0000-0ff1-ce00-000000000000";

struct Up(Child);
impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn up(dir: &Path) -> Up {
    up_with(dir, &[])
}

/// `hybrid up` with more options, e.g. `--edition teams`.
fn up_with(dir: &Path, extra: &[&str]) -> Up {
    let child = Command::new(hybrid_bin())
        .arg("--data")
        .arg(dir.join("data"))
        .args(["up", "--base-port", "0"])
        .args(extra)
        .env("HYBRID_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hybrid up starts");
    let up = Up(child);
    for _ in 0..600 {
        if dir.join("data").join("ready").exists() {
            return up;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("hybrid up did not get ready");
}

/// Runs `hybrid --data DIR/data ARGS` in DIR (where the fixes' relative paths land).
fn h(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(hybrid_bin())
        .current_dir(dir)
        .arg("--data")
        .arg(dir.join("data"))
        .args(args)
        .output()
        .expect("hybrid runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (success, out, err) = h(dir, args);
    assert!(success, "hybrid {args:?} failed:\n{err}{out}");
    out
}

/// The doctor's findings: (check name, finding) for every finding, and whether it exited 0.
fn doctor(dir: &Path, extra: &[&str]) -> (bool, Vec<Value>) {
    let mut args = vec!["doctor", "--json"];
    args.extend_from_slice(extra);
    let (success, out, err) = h(dir, &args);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}{out}"));
    let findings = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().cloned().unwrap_or_default())
        .collect();
    (success, findings)
}

fn codes(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// Splits a printed command line as a shell would (double quotes only).
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut any) = (vec![], String::new(), false, false);
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Runs every `hybrid …` line of the findings' fixes, as printed (no placeholder to fill).
fn apply_fixes(dir: &Path, findings: &[Value]) {
    let mut done = std::collections::HashSet::new();
    for f in findings {
        for line in f["fix"].as_array().unwrap() {
            let line = line.as_str().unwrap().to_string();
            assert!(!line.contains('<'), "a placeholder in a fix: {line}");
            if !line.starts_with("hybrid ") || !done.insert(line.clone()) {
                continue;
            }
            // Verbatim: the line names the data folder itself.
            assert!(line.starts_with("hybrid --data "), "{line}");
            let w = words(&line);
            let o = Command::new(hybrid_bin())
                .current_dir(dir)
                .args(&w[1..])
                .output()
                .expect("hybrid runs");
            assert!(
                o.status.success(),
                "{line} failed:\n{}{}",
                String::from_utf8_lossy(&o.stderr),
                String::from_utf8_lossy(&o.stdout)
            );
        }
    }
}

/// Nothing to report but, in the seed runbook's shared mode (the auth certificate on
/// 00000002-…), the CVE-2025-53786 exposure warning.
fn assert_clean(dir: &Path) {
    let (success, findings) = doctor(dir, &[]);
    let shared_mode =
        |f: &Value| f["code"] == "SharedServicePrincipalExposure" && f["severity"] == "Warning";
    assert!(success && findings.iter().all(shared_mode), "{findings:#?}");
}

/// Nothing at all to report.
fn assert_spotless(dir: &Path) {
    let (success, findings) = doctor(dir, &[]);
    assert!(success && findings.is_empty(), "{findings:#?}");
}

/// Runs the doctor's fixes, as printed, until it has nothing to report: moving to the
/// dedicated application takes two rounds (the application, then the Entra AuthServer that
/// names it).
fn fix_until_spotless(dir: &Path) {
    for _ in 0..3 {
        let (_, findings) = doctor(dir, &[]);
        if findings.is_empty() {
            return;
        }
        apply_fixes(dir, &findings);
    }
    assert_spotless(dir);
}

/// Provokes a finding with `provoke`, expects `code` from the doctor, applies its fixes and
/// expects a clean bill again.
fn provoke_and_fix(dir: &Path, provoke: &[&str], code: &str) {
    ok(dir, provoke);
    let (success, findings) = doctor(dir, &[]);
    assert!(!success, "{provoke:?} should break the trust");
    assert!(
        codes(&findings).contains(&code.to_string()),
        "{code} not in {findings:#?}"
    );
    apply_fixes(dir, &findings);
    assert_clean(dir);
}

fn tenant_of(dir: &Path) -> String {
    std::fs::read_dir(dir.join("data/cloud/tenants"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .to_str()
        .unwrap()
        .trim_end_matches(".credential")
        .to_string()
}

fn steps_2_and_3(dir: &Path) {
    let script = "$user = New-MailUser -Name SfBOnline-ApplicationAccount -ExternalEmailAddress SfBOnline-ApplicationAccount@contoso.com\n\
        Set-MailUser -Identity $user.Identity -HiddenFromAddressListsEnabled $True\n\
        New-ManagementRoleAssignment -Role UserApplication -User $user.Identity\n\
        New-ManagementRoleAssignment -Role ArchiveApplication -User $user.Identity\n";
    std::fs::write(dir.join("steps.ps1"), script).unwrap();
    ok(dir, &["onprem", "run", "steps.ps1"]);
}

#[test]
fn doctor_finds_each_broken_part_of_the_trust_and_its_fixes_repair_it() {
    let tmp = TempDir::new("doctor");
    let dir = tmp.0.as_path();
    let _up = up(dir);

    // A fresh organization: nothing of the runbook done yet.
    steps_2_and_3(dir);
    let (success, findings) = doctor(dir, &[]);
    assert!(!success);
    let found = codes(&findings);
    for code in [
        "AuthServerMissing",
        "UploadedKeyNotCurrent",
        "SpnMissing",
        "PartnerApplicationMissing",
    ] {
        assert!(found.contains(&code.to_string()), "{code} not in {found:?}");
    }
    // The printed fixes are the runbook: running them leaves nothing to find but the seed
    // runbook's shared mode, reported as the CVE-2025-53786 exposure with its fix.
    apply_fixes(dir, &findings);
    assert_clean(dir);
    let (success, findings) = doctor(dir, &[]);
    assert!(success, "a warning does not break the trust");
    assert_eq!(
        codes(&findings),
        vec!["SharedServicePrincipalExposure".to_string()]
    );
    // Its fix moves the certificate to a dedicated application and names it on the
    // AuthServer; the next asks for the Entra AuthServer on premises gets its tokens through;
    // then there is nothing at all to report. The rest runs in this mode.
    apply_fixes(dir, &findings);
    let (success, findings) = doctor(dir, &[]);
    assert!(
        !success && codes(&findings) == ["EntraAuthServerMissing"],
        "{findings:#?}"
    );
    fix_until_spotless(dir);

    // The partner application, its linked account's roles, the SPN, the realm and the current
    // certificate are provoked in `each_finding_stops_the_flows_it_names_and_no_other`.
    let tenant = tenant_of(dir);
    provoke_and_fix(
        dir,
        &[
            "onprem",
            "set-partner-application",
            "--identity",
            "SfBOnline",
            "--use-auth-server",
            "false",
            "--realm",
            &tenant,
        ],
        "PartnerApplicationNotUsingAuthServer",
    );
    // Expired: the same trust judged after the certificate's NotAfter.
    let (success, findings) = doctor(dir, &["--at", "2040-01-01T00:00:00Z"]);
    assert!(!success);
    let expired = findings
        .iter()
        .find(|f| f["code"] == "AuthCertificateExpired")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(codes(&findings).contains(&"UploadedKeyExpired".to_string()));
    // Its fix, run now as printed: a new certificate, current, uploaded where the old one was.
    assert_eq!(
        expired["fix"].as_array().unwrap().len(),
        1,
        "one command: {expired}"
    );
    let before: Value =
        serde_json::from_str(&ok(dir, &["onprem", "get-auth-config", "--json"])).unwrap();
    apply_fixes(dir, std::slice::from_ref(expired));
    let config: Value =
        serde_json::from_str(&ok(dir, &["onprem", "get-auth-config", "--json"])).unwrap();
    assert_ne!(
        config["CurrentCertificateThumbprint"],
        before["CurrentCertificateThumbprint"]
    );
    assert_clean(dir);

    // Still the dedicated mode, with nothing to report.
    assert_spotless(dir);

    // A tenant that limits application certificates to a year: Exchange's five-year auth
    // certificate, uploaded before the policy, will be refused at its renewal (a warning with
    // its fix); a five-year certificate is refused on the application now.
    let policy = ok(
        dir,
        &[
            "cloud",
            "set-app-management-policy",
            "--is-enabled",
            "true",
            "--asymmetric-key-lifetime",
            "P365D",
            "--json",
        ],
    );
    assert!(policy.contains("asymmetricKeyLifetime"), "{policy}");
    let long = tmp_cert(dir, 5 * 365);
    let (refused, _, err) = h(
        dir,
        &[
            "cloud",
            "configure-hybrid-application",
            "--mode",
            "update-certificate",
            "--certificate",
            &long,
        ],
    );
    assert!(
        !refused && err.contains("Key credential lifetime exceeds"),
        "{err}"
    );
    let (success, findings) = doctor(dir, &[]);
    let lifetime = findings
        .iter()
        .find(|f| f["code"] == "KeyLifetimeOverTenantPolicy")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(success && lifetime["severity"] == "Warning", "{lifetime}");
    apply_fixes(dir, &findings);
    // Renewed for a year on every principal that trusts it, and nothing to report.
    assert_spotless(dir);
    let config: Value =
        serde_json::from_str(&ok(dir, &["onprem", "get-auth-config", "--json"])).unwrap();
    let config = config.as_array().map(|a| a[0].clone()).unwrap_or(config);
    let current = config["CurrentCertificateThumbprint"]
        .as_str()
        .unwrap()
        .to_string();
    let cert: Value = serde_json::from_str(&ok(
        dir,
        &[
            "onprem",
            "get-exchange-certificate",
            "--thumbprint",
            &current,
            "--json",
        ],
    ))
    .unwrap();
    let cert = cert.as_array().map(|a| a[0].clone()).unwrap_or(cert);
    let days = |k: &str| {
        time::OffsetDateTime::parse(
            cert[k].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert_eq!((days("NotAfter") - days("NotBefore")).whole_days(), 365);
    ok(
        dir,
        &[
            "cloud",
            "set-app-management-policy",
            "--is-enabled",
            "false",
        ],
    );
    let servers: Value =
        serde_json::from_str(&ok(dir, &["onprem", "get-auth-server", "--json"])).unwrap();
    let named = servers.as_array().map(|a| a[0].clone()).unwrap_or(servers);
    assert!(
        named["ApplicationIdentifier"]
            .as_str()
            .is_some_and(|a| a.len() == 36),
        "{named}"
    );
    // The success checks still hold in the dedicated mode: presence (on-premises to the
    // partner) is trusted through 00000004-…, not through 00000002-….
    let sp: Value = serde_json::from_str(&ok(
        dir,
        &[
            "cloud",
            "get-service-principal",
            "--service-principal-id",
            EXCHANGE,
            "--property",
            "KeyCredentials",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(sp["keyCredentials"], serde_json::json!([]));
}

/// A certificate valid for `days` from now, as a DER file in `dir` (made by the CLI).
fn tmp_cert(dir: &Path, days: i64) -> String {
    let out = dir.join(format!("long-{days}.cer"));
    let key = dir.join(format!("long-{days}.key"));
    ok(
        dir,
        &[
            "cert",
            "new",
            "--subject",
            "too long",
            "--validity-days",
            &days.to_string(),
            "--out",
            out.to_str().unwrap(),
            "--key-out",
            key.to_str().unwrap(),
        ],
    );
    out.to_str().unwrap().to_string()
}

/// `hybrid up` with the runbook done: steps 2 and 3, then the doctor's fixes for the rest.
fn configured(dir: &Path) -> Up {
    let up = up(dir);
    steps_2_and_3(dir);
    let (_, findings) = doctor(dir, &[]);
    apply_fixes(dir, &findings);
    assert_clean(dir);
    up
}

/// The trace once it holds an event that `until` accepts (events are stored in batches, off
/// the request path).
fn trace(dir: &Path, extra: &[&str], until: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut args = vec!["trace", "--json"];
    args.extend_from_slice(extra);
    for _ in 0..50 {
        let events: Vec<Value> = ok(dir, &args)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if events.iter().any(&until) {
            return events;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no such event in the trace");
}

#[test]
fn test_oauth_connectivity_and_trace_show_the_handshake_and_why_it_fails() {
    let tmp = TempDir::new("connectivity");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    let test = [
        "test-oauth-connectivity",
        "--service",
        "EWS",
        "--mailbox",
        "alice@contoso.com",
    ];

    let (success, out, err) = h(dir, &test);
    assert!(success, "{err}{out}");
    for line in [
        "Checking EWS API Call Under Oauth",
        "challenge from '",
        "received: Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\"",
        "the target trusts the token service of realm",
        "nameid=00000004-0000-0ff1-ce00-000000000000@",
        "ResponseCode NoError",
        "ResultType  : Success",
        "IsValid     : True",
        "ObjectState : New",
    ] {
        assert!(out.contains(line), "{line:?} not in\n{out}");
    }
    assert!(!out.contains("eyJ"), "a token was printed:\n{out}");
    let events = trace(dir, &[], |e| e["outcome"] == "accepted");
    let accepted = events.last().unwrap();
    assert_eq!(accepted["outcome"], "accepted");
    assert_eq!(accepted["user"], "alice@contoso.com");
    assert!(accepted["nameid"].as_str().unwrap().starts_with(SKYPE));
    let seq = accepted["seq"].as_i64().unwrap().to_string();

    // The partner application disabled: the test fails, and says why; the trace has the code.
    ok(
        dir,
        &[
            "onprem",
            "set-partner-application",
            "--identity",
            "SfBOnline",
            "--enabled",
            "false",
            "--confirm:false",
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(1500)); // the trust reloads on change
    let (success, out, err) = h(dir, &test);
    assert!(
        !success && err.contains("OAuthConnectivityFailed"),
        "{err}{out}"
    );
    assert!(
        out.contains("ResultType  : Error") && out.contains("x-ms-diagnostics: 2000006;"),
        "{out}"
    );
    let failures = trace(dir, &["--after", &seq, "--failures"], |e| {
        e["errorCode"] == 7001 && e["outcome"] == "rejected"
    });
    assert!(failures.iter().all(|e| e["outcome"] != "accepted"));
    // The human trace names the error.
    let text = ok(dir, &["trace", "--after", &seq, "--failures"]);
    assert!(text.contains("error=7001 "), "{text}");

    ok(
        dir,
        &[
            "onprem",
            "set-partner-application",
            "--identity",
            "SfBOnline",
            "--enabled",
            "true",
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // `trace --follow` prints new events as they happen.
    let mut follow = Command::new(hybrid_bin())
        .arg("--data")
        .arg(dir.join("data"))
        .args(["trace", "--follow", "--json", "--after", &seq])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = follow.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The partner application is enabled again: this call, made while following, is accepted.
    assert!(h(dir, &test).0);
    let mut seen = vec![];
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
        let e: Value = serde_json::from_str(&line).unwrap();
        let accepted = e["outcome"] == "accepted";
        seen.push(e);
        if accepted {
            break;
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    // First what was there (the rejections after `seq`), then the new call as it happened.
    assert!(seen.iter().any(|e| e["errorCode"] == 7001), "{seen:#?}");
    assert_eq!(seen.last().unwrap()["outcome"], "accepted", "{seen:#?}");

    // A mailbox that does not exist, and a service this test does not run.
    let (success, out, _) = h(
        dir,
        &["test-oauth-connectivity", "--mailbox", "nobody@contoso.com"],
    );
    assert!(
        !success && out.contains("error_category=\"invalid_user\""),
        "{out}"
    );
    let (success, _, err) = h(
        dir,
        &[
            "test-oauth-connectivity",
            "--service",
            "AutoD",
            "--mailbox",
            "alice@contoso.com",
        ],
    );
    assert!(!success && err.contains("BadRequest"), "{err}");
}

fn presence(dir: &Path) -> Result<String, String> {
    let (success, out, err) = h(
        dir,
        &[
            "onprem",
            "get-user-presence",
            "--identity",
            "alice@contoso.com",
            "--json",
        ],
    );
    if success {
        let v: Value = serde_json::from_str(&out).unwrap();
        Ok(v["availability"].as_str().unwrap().to_string())
    } else {
        Err(err)
    }
}

fn new_auth_certificate(dir: &Path) -> String {
    let cert: Value = serde_json::from_str(&ok(
        dir,
        &[
            "onprem",
            "new-exchange-certificate",
            "--subject-name",
            "CN=Microsoft Exchange Server Auth Certificate",
            "--services",
            "SMTP",
            "--json",
        ],
    ))
    .unwrap();
    cert["Thumbprint"].as_str().unwrap().to_string()
}

fn upload(dir: &Path, thumbprint: &str) {
    let file = format!("{thumbprint}.cer");
    ok(
        dir,
        &[
            "onprem",
            "export-exchange-certificate",
            "--thumbprint",
            thumbprint,
            "--file-name",
            &file,
        ],
    );
    for app in [SKYPE, EXCHANGE] {
        ok(
            dir,
            &[
                "cloud",
                "add-service-principal-key",
                "--service-principal-id",
                app,
                "--key-file",
                &file,
            ],
        );
    }
}

#[test]
fn presence_is_trusted_only_through_the_keys_on_00000004() {
    let tmp = TempDir::new("presence");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    assert_eq!(presence(dir).unwrap(), "Available");
    ok(
        dir,
        &[
            "partner",
            "set-presence",
            "--user",
            "alice@contoso.com",
            "--availability",
            "Busy",
        ],
    );
    assert_eq!(presence(dir).unwrap(), "Busy");

    // A new auth certificate made current without uploading it: the partner does not know it.
    let thumb = new_auth_certificate(dir);
    ok(
        dir,
        &[
            "onprem",
            "set-auth-config",
            "--certificate-thumbprint",
            &thumb,
        ],
    );
    let err = presence(dir).unwrap_err();
    assert!(
        err.contains("PartnerRefused") && err.contains("NoCertificateFound"),
        "{err}"
    );
    // Uploaded to 00000004-…: trusted, once the partner reads its keys again (a token naming an
    // unknown key makes it read them, at most every two seconds).
    upload(dir, &thumb);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(presence(dir).unwrap(), "Busy");

    // The partner traced its side: the refusal (10001) and the acceptance, issuer 00000002-….
    let partner = trace(dir, &["--role", "partner"], |e| e["outcome"] == "accepted");
    assert!(
        partner
            .iter()
            .any(|e| e["errorCode"] == 10001 && e["outcome"] == "rejected"),
        "{partner:#?}"
    );
    assert!(
        partner
            .iter()
            .all(|e| e["issuer"].as_str().unwrap().starts_with(EXCHANGE))
    );
    assert!(
        partner
            .iter()
            .all(|e| e["user"] == "alice@contoso.com" && e["direction"] == "inbound")
    );

    // Both directions are traced on premises.
    let events = trace(dir, &[], |e| {
        e["direction"] == "outbound" && e["outcome"] == "rejected"
    });
    let out: Vec<&Value> = events
        .iter()
        .filter(|e| e["direction"] == "outbound")
        .collect();
    assert!(out.iter().any(|e| e["outcome"] == "accepted"
        && e["issuer"].as_str().unwrap().starts_with(EXCHANGE)
        && e["audience"].as_str().unwrap().starts_with(SKYPE)));
}

#[test]
fn certificate_rollovers_under_traffic_fail_no_request() {
    let tmp = TempDir::new("rollover");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // On-premises to partner (signed with the auth certificate), and partner to on-premises
    // (ACS tokens signed with the token service's key).
    let loops = traffic_loops(dir, &stop);
    std::thread::sleep(std::time::Duration::from_millis(500));

    // The auth certificate: staged, uploaded, published.
    let thumb = new_auth_certificate(dir);
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    ok(
        dir,
        &[
            "onprem",
            "set-auth-config",
            "--new-certificate-thumbprint",
            &thumb,
            "--new-certificate-effective-date",
            &soon,
        ],
    );
    upload(dir, &thumb);
    std::thread::sleep(std::time::Duration::from_millis(500));
    ok(
        dir,
        &[
            "onprem",
            "set-auth-config",
            "--publish-certificate",
            "--force",
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // The token service's signing key.
    let operator = std::fs::read_to_string(dir.join("data/cloud/operator.credential")).unwrap();
    std::fs::write(dir.join("operator.credential"), operator).unwrap();
    ok(
        dir,
        &[
            "cloud",
            "--credential-file",
            "operator.credential",
            "rotate-signing-key",
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for (name, t) in loops {
        let (ok, failed) = t.join().unwrap();
        assert!(
            failed.is_empty(),
            "{name}: {} of {} requests failed: {:#?}",
            failed.len(),
            ok + failed.len(),
            failed
        );
        assert!(ok > 5, "{name}: only {ok} requests");
    }
    let config: Value =
        serde_json::from_str(&ok(dir, &["onprem", "get-auth-config", "--json"])).unwrap();
    assert_eq!(config["CurrentCertificateThumbprint"], thumb.as_str());
}

#[test]
fn the_partner_finds_each_users_ews_by_autodiscover() {
    let tmp = TempDir::new("autodiscover");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    let onprem = std::fs::read_to_string(dir.join("data/onprem/server.url")).unwrap();
    let cloud = std::fs::read_to_string(dir.join("data/cloud/server.url")).unwrap();
    let tenant = tenant_of(dir);
    let autodiscover = format!("{}/autodiscover/autodiscover.svc", onprem.trim());
    let endpoint = format!("{}/{tenant}/tokens/OAuth/2", cloud.trim());
    let resource = format!("{EXCHANGE}/mail.contoso.com@contoso.com");
    let configure = |setting: &str| {
        h(
            dir,
            &[
                "partner",
                "configure",
                "--tenant",
                &tenant,
                "--token-endpoint",
                &endpoint,
                "--autodiscover-url",
                &autodiscover,
                "--ews-url-setting",
                setting,
                "--resource",
                &resource,
            ],
        )
    };
    // ExternalEwsUrl (https://mail.contoso.com/…) does not resolve here: the call fails and
    // says so; InternalEwsUrl is this server.
    assert!(configure("ExternalEwsUrl").0);
    let (success, out, _) = h(
        dir,
        &["test-oauth-connectivity", "--mailbox", "alice@contoso.com"],
    );
    assert!(
        !success
            && out.contains("[Autodiscover] ExternalEwsUrl at")
            && out.contains("https://mail.contoso.com/EWS/Exchange.asmx"),
        "{out}"
    );
    assert!(configure("InternalEwsUrl").0);
    let (success, out, err) = h(
        dir,
        &["test-oauth-connectivity", "--mailbox", "alice@contoso.com"],
    );
    assert!(success, "{err}{out}");
    assert!(
        out.contains(&format!(
            "[Autodiscover] InternalEwsUrl at {autodiscover}: {}/EWS/Exchange.asmx",
            onprem.trim()
        )),
        "{out}"
    );

    // The features use it: a greeting set and read back through the Autodiscovered URL.
    let wav = dir.join("greeting.wav");
    std::fs::write(&wav, b"RIFF\x24\x00\x00\x00WAVEfmt ").unwrap();
    ok(
        dir,
        &[
            "partner",
            "set-greeting",
            "--user",
            "alice@contoso.com",
            "--file",
            wav.to_str().unwrap(),
        ],
    );
    ok(
        dir,
        &[
            "partner",
            "get-greeting",
            "--user",
            "alice@contoso.com",
            "--out",
            "back.wav",
        ],
    );
    assert_eq!(
        std::fs::read(dir.join("back.wav")).unwrap(),
        std::fs::read(&wav).unwrap()
    );

    // Neither a URL nor Autodiscover: refused.
    let (success, _, err) = h(
        dir,
        &[
            "partner",
            "configure",
            "--tenant",
            &tenant,
            "--token-endpoint",
            &endpoint,
            "--resource",
            &resource,
        ],
    );
    assert!(!success && err.contains("--ews-url"), "{err}");
}

#[test]
fn the_partners_signing_certificate_rolls_over_under_traffic() {
    let tmp = TempDir::new("partner-rollover");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Each test asks the token service anew, with an assertion signed by the current key.
    let traffic = {
        let (dir, stop) = (dir.to_path_buf(), stop.clone());
        std::thread::spawn(move || {
            let (mut ok, mut failed) = (0, vec![]);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match h(
                    &dir,
                    &["test-oauth-connectivity", "--mailbox", "alice@contoso.com"],
                ) {
                    (true, _, _) => ok += 1,
                    (false, out, err) => failed.push(format!("{err}{out}")),
                }
            }
            (ok, failed)
        })
    };
    let next: Value = serde_json::from_str(&ok(
        dir,
        &[
            "partner",
            "new-signing-cert",
            "--path",
            "next.cer",
            "--json",
        ],
    ))
    .unwrap();
    let thumb = next["thumbprint"].as_str().unwrap();
    // Not registered yet: publishing is refused, and nothing breaks.
    let (success, _, err) = h(dir, &["partner", "publish-signing-cert"]);
    assert!(
        !success && err.contains("NextCertificateNotRegistered"),
        "{err}"
    );
    ok(
        dir,
        &[
            "cloud",
            "add-service-principal-key",
            "--service-principal-id",
            SKYPE,
            "--key-file",
            "next.cer",
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    ok(dir, &["partner", "publish-signing-cert"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (done, failed) = traffic.join().unwrap();
    assert!(
        failed.is_empty(),
        "{} of {} failed: {failed:#?}",
        failed.len(),
        done + failed.len()
    );
    assert!(done > 3, "only {done} requests");
    let current: Value = serde_json::from_str(&ok(
        dir,
        &[
            "partner",
            "export-signing-cert",
            "--path",
            "now.cer",
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(current["thumbprint"], thumb);
    // The doctor checks the new one against the directory.
    assert_clean(dir);
}

/// A request loop's thread: it answers (successes, failures).
type Loop = std::thread::JoinHandle<(usize, Vec<String>)>;

/// Presence (on-premises to the partner, signed with the auth certificate) and EWS (the
/// partner to on-premises) requested in a loop until `stop`; (successes, failures).
fn traffic_loops(
    dir: &Path,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<(&'static str, Loop)> {
    let loops: [(&'static str, &[&str]); 2] = [
        (
            "presence",
            &[
                "onprem",
                "get-user-presence",
                "--identity",
                "alice@contoso.com",
            ],
        ),
        (
            "EWS",
            &["test-oauth-connectivity", "--mailbox", "alice@contoso.com"],
        ),
    ];
    loops
        .into_iter()
        .map(|(name, args)| {
            let (dir, stop) = (dir.to_path_buf(), stop.clone());
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            let t = std::thread::spawn(move || {
                let (mut ok, mut failed) = (0, vec![]);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let a: Vec<&str> = args.iter().map(String::as_str).collect();
                    match h(&dir, &a) {
                        (true, _, _) => ok += 1,
                        (false, out, err) => failed.push(format!("{err}{out}")),
                    }
                }
                (ok, failed)
            });
            (name, t)
        })
        .collect()
}

fn auth_cert(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["auth-cert"];
    all.extend_from_slice(args);
    all.push("--json");
    serde_json::from_str(&ok(dir, &all)).unwrap()
}

/// `hybrid auth-cert renew` with the clock moved past the current certificate's end: a new one
/// staged, uploaded to every principal that trusts the current one, published, and after the
/// overlap the previous one cleared on both sides; no request fails meanwhile.
fn renewal_under_traffic(dir: &Path, expect_uploaded: &[&str]) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loops = traffic_loops(dir, &stop);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before = auth_cert(dir, &["status"]);
    let current = &before["certificates"][0];
    assert_eq!(current["role"], "Current");
    let old = current["thumbprint"].as_str().unwrap().to_string();
    let uploaded: Vec<&str> = current["uploadedTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    for want in expect_uploaded {
        assert!(uploaded.iter().any(|u| u.contains(want)), "{before}");
    }
    // Years left: nothing is due.
    assert_eq!(
        auth_cert(dir, &["renew", "--dry-run"])["steps"],
        serde_json::json!([])
    );
    let end = time::OffsetDateTime::parse(
        current["notAfter"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let at = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let past_expiry = at(end + time::Duration::days(1));
    let plan = auth_cert(dir, &["renew", "--at", &past_expiry, "--dry-run"]);
    assert!(
        plan["steps"][0]
            .as_str()
            .unwrap()
            .starts_with("create a new auth certificate"),
        "{plan}"
    );
    let unchanged = auth_cert(dir, &["status"]);
    assert_eq!(
        unchanged["certificates"][0]["thumbprint"],
        old.as_str(),
        "a dry run changes nothing"
    );
    // The rotation, all that is due at once.
    let done = auth_cert(dir, &["renew", "--at", &past_expiry]);
    let steps: Vec<&str> = done["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        steps[0].starts_with("create") && steps[0].contains("stage it"),
        "{steps:?}"
    );
    assert_eq!(
        steps.iter().filter(|s| s.starts_with("upload")).count(),
        2,
        "{steps:?}"
    );
    assert!(steps.last().unwrap().starts_with("publish it"), "{steps:?}");
    let after = auth_cert(dir, &["status", "--at", &past_expiry]);
    let new = after["certificates"][0]["thumbprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new, old);
    assert_eq!(
        after["certificates"][0]["uploadedTo"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{after}"
    );
    assert_eq!(after["certificates"][1]["role"], "Previous");
    assert_eq!(after["certificates"][1]["thumbprint"], old.as_str());
    // Within the overlap the previous one stays; after it, it goes on both sides.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(
        auth_cert(dir, &["renew", "--at", &past_expiry])["steps"],
        serde_json::json!([])
    );
    let later = at(end + time::Duration::days(4));
    let cleared = auth_cert(dir, &["renew", "--at", &later]);
    assert!(
        cleared["steps"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("clear the previous certificate {old}")),
        "{cleared}"
    );
    let last = auth_cert(dir, &["status", "--at", &later]);
    assert_eq!(last["certificates"].as_array().unwrap().len(), 1, "{last}");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for (name, t) in loops {
        let (ok, failed) = t.join().unwrap();
        assert!(
            failed.is_empty(),
            "{name}: {} of {} requests failed: {:#?}",
            failed.len(),
            ok + failed.len(),
            failed
        );
        assert!(ok > 3, "{name}: only {ok} requests");
    }
    assert_clean(dir);
}

#[test]
fn auth_cert_renew_rotates_both_sides_under_traffic_in_either_mode() {
    let tmp = TempDir::new("renew-shared");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    renewal_under_traffic(dir, &[SKYPE, EXCHANGE]);
    drop(_up);
    // The dedicated mode: the certificate on the hybrid application instead of 00000002-….
    let tmp = TempDir::new("renew-dedicated");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    fix_until_spotless(dir);
    renewal_under_traffic(dir, &[SKYPE, "dedicated"]);
    assert_spotless(dir);
}

#[test]
fn serve_onprem_renews_the_auth_certificate_unattended_and_records_each_step() {
    let tmp = TempDir::new("renew-scheduled");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    let data = dir.join("data");
    let old = auth_cert(dir, &["status"])["certificates"][0]["thumbprint"]
        .as_str()
        .unwrap()
        .to_string();
    // A second on-premises process on the same store, renewing as if the end were near (it
    // records its own URL; the first one's is put back after).
    let url_file = data.join("onprem").join("server.url");
    let first = std::fs::read_to_string(&url_file).unwrap();
    let renewing = hybrid_tests::ServeProcess::start_with(
        data.to_str().unwrap(),
        "onprem",
        &[
            "--auth-cert-renewal",
            "1",
            "--auth-cert-days-before",
            "100000",
        ],
    );
    let events = data.join("onprem").join("auth-cert-renewal.log");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&events)
        .unwrap_or_default()
        .contains("publish it")
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no renewal: {}",
            std::fs::read_to_string(&events).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let status = auth_cert(dir, &["status"]);
    drop(renewing);
    std::fs::write(&url_file, first).unwrap();
    let current = status["certificates"][0]["thumbprint"].as_str().unwrap();
    assert_ne!(current, old, "{status}");
    assert_eq!(status["certificates"][1]["thumbprint"], old.as_str());
    let recorded: Vec<String> = status["renewalEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["outcome"].as_str().unwrap(),
                e["event"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        recorded
            .iter()
            .any(|e| e.starts_with("done create a new auth certificate")),
        "{recorded:?}"
    );
    assert_eq!(
        recorded
            .iter()
            .filter(|e| e.starts_with("done upload"))
            .count(),
        2,
        "{recorded:?}"
    );
    assert!(
        recorded.iter().any(|e| e.starts_with("done publish it")),
        "{recorded:?}"
    );
    assert_clean(dir);
}

#[test]
fn one_line_gets_an_ews_token_for_alice_from_what_the_data_folder_knows() {
    let tmp = TempDir::new("token-one-line");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    let token = ok(
        dir,
        &["token", "request", "--user-smtp", "alice@contoso.com"],
    );
    let token = token.trim().to_string();
    let onprem = std::fs::read_to_string(dir.join("data/onprem/server.url")).unwrap();
    let body = partner::ewsclient::get_folder("inbox", None).to_xml();
    let answer = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let r = hybrid_tests::trusting_client(&dir.join("data"))
            .post(format!("{}/EWS/Exchange.asmx", onprem.trim()))
            .bearer_auth(&token)
            .header("content-type", "text/xml; charset=utf-8")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    });
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert!(answer.1.contains("NoError"), "{}", answer.1);
    // The private key it signs with is the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("data/cloud/admin-client-key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}

/// A newcomer with the README alone: `hybrid up` on a data folder of their own, then whatever
/// `hybrid doctor` prints, run as printed, until it has nothing that breaks the trust. Every
/// runbook step is among the fixes (step 2's application account first); no step is done by
/// the test itself.
#[test]
fn a_newcomer_is_guided_by_doctor_from_a_fresh_up_to_a_clean_trust() {
    let tmp = TempDir::new("newcomer");
    let dir = tmp.0.as_path();
    let _up = up(dir);
    let mut seen = Vec::new();
    for _ in 0..8 {
        let (success, findings) = doctor(dir, &[]);
        if success {
            break;
        }
        seen.extend(codes(&findings));
        apply_fixes(dir, &findings);
    }
    for step in [
        "ApplicationAccountMissing",
        "AuthServerMissing",
        "PartnerApplicationMissing",
    ] {
        assert!(seen.iter().any(|c| c == step), "{step} not in {seen:?}");
    }
    assert_clean(dir);
    // The shared mode's warning, fixed as printed, moves the certificate to the dedicated
    // application. The doctor is not green until on premises can get that application's
    // tokens: Test-OAuthConnectivity on premises fails (exit 1) until the Entra AuthServer the
    // doctor asks for exists and names the application.
    let (_, findings) = doctor(dir, &[]);
    apply_fixes(dir, &findings);
    let onprem_url = std::fs::read_to_string(dir.join("data/onprem/server.url")).unwrap();
    let target = format!("{}/EWS/Exchange.asmx", onprem_url.trim());
    let toc = [
        "onprem",
        "test-oauth-connectivity",
        "--service",
        "EWS",
        "--target-uri",
        &target,
        "--mailbox",
        "alice@contoso.com",
    ];
    let (success, findings) = doctor(dir, &[]);
    assert!(
        !success,
        "the doctor is green while Test-OAuthConnectivity fails"
    );
    assert_eq!(
        codes(&findings),
        ["EntraAuthServerMissing"],
        "{findings:#?}"
    );
    let (worked, out, err) = h(dir, &toc);
    assert!(!worked, "{out}{err}");
    apply_fixes(dir, &findings);
    std::thread::sleep(std::time::Duration::from_millis(1500)); // the trust reloads on change
    let (worked, out, err) = h(dir, &toc);
    assert!(worked && out.contains("Success"), "{out}{err}");
    assert_spotless(dir);
    // A second tenant known here: the doctor checks the one the organization trusts.
    ok(dir, &["cloud", "new-tenant", "--domain", "fabrikam.com"]);
    assert_spotless(dir);
}

/// The Teams edition, when the partner runs it: the doctor asks for its partner applications
/// (the legacy one alone is refused), the current certificate on the Teams principals, and a
/// TeamsSchedulerRole cut down to GetDelegate; each fix runs as printed.
#[test]
fn doctor_checks_the_teams_edition_and_its_fixes_repair_it() {
    let tmp = TempDir::new("doctor-teams");
    let dir = tmp.0.as_path();
    let _up = up_with(dir, &["--edition", "teams"]);
    // The SfB steps (the legacy application stays), then the doctor's fixes for step 1 and 5.
    steps_2_and_3(dir);
    let (_, findings) = doctor(dir, &[]);
    let found = codes(&findings);
    for code in [
        "TeamsPartnerApplicationMissing",
        "TeamsPrincipalCertificateMissing",
    ] {
        assert!(found.contains(&code.to_string()), "{code} not in {found:?}");
    }
    apply_fixes(dir, &findings);
    let (_, findings) = doctor(dir, &[]);
    let found = codes(&findings);
    // The role made from UserApplication still holds every entry until it is cut down.
    assert!(
        found.contains(&"TeamsSchedulerRoleTooBroad".to_string()),
        "{found:?}"
    );
    apply_fixes(dir, &findings);
    // The same round moved the certificate to the dedicated application (the shared mode's
    // fix); the next names it on an Entra AuthServer.
    fix_until_spotless(dir);
    let entries = ok(
        dir,
        &[
            "onprem",
            "get-management-role-entry",
            "--identity",
            "TeamsSchedulerRole\\*",
            "--json",
        ],
    );
    let v: Value = serde_json::from_str(&entries).unwrap();
    assert_eq!(v["Name"], "GetDelegate", "{v}");
    // A renewal keeps the Teams principals trusting the certificate.
    let renewed = ok(
        dir,
        &["auth-cert", "renew", "--force", "--validity-days", "400"],
    );
    assert!(
        renewed.contains("Teams Scheduler") && renewed.contains("Cloud Voicemail"),
        "{renewed}"
    );
    assert_clean(dir);
}

/// Stopped servers are findings of their own, each with the command that starts it where it
/// was; the doctor still reports (exit 1, an overall status), and once the printed command has
/// started the on-premises server again, only the others are named.
#[test]
fn stopped_servers_are_findings_with_the_command_that_starts_them() {
    let tmp = TempDir::new("doctor-stopped");
    let dir = tmp.0.as_path();
    drop(up(dir));
    let (success, out, err) = h(dir, &["doctor", "--json"]);
    assert!(!success, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}{out}"));
    assert_eq!(report["status"], "Error");
    let servers = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "servers")
        .cloned()
        .unwrap_or_else(|| panic!("{report:#}"));
    let unreachable: Vec<&Value> = servers["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "ServerUnreachable")
        .collect();
    assert_eq!(unreachable.len(), 3, "{servers:#}");
    let onprem_fix = unreachable
        .iter()
        .map(|f| f["fix"][0].as_str().unwrap().to_string())
        .find(|l| l.contains(" serve onprem "))
        .unwrap();
    assert!(
        onprem_fix.starts_with("hybrid --data ") && onprem_fix.contains("--listen 127.0.0.1:"),
        "{onprem_fix}"
    );
    // The printed command, run as printed, starts the server where it was.
    let words: Vec<String> = onprem_fix
        .split_whitespace()
        .skip(1)
        .map(String::from)
        .collect();
    let child = Command::new(hybrid_bin())
        .args(&words)
        .env("HYBRID_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _onprem = Up(child);
    let mut named = Vec::new();
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let (_, out, _) = h(dir, &["doctor", "--json"]);
        let report: Value = serde_json::from_str(&out).unwrap_or_default();
        named = report["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["findings"].as_array().cloned().unwrap_or_default())
            .filter(|f| f["code"] == "ServerUnreachable")
            .map(|f| f["message"].as_str().unwrap_or("").to_string())
            .collect();
        if named.len() == 2 {
            break;
        }
    }
    assert_eq!(named.len(), 2, "{named:#?}");
    assert!(
        named.iter().all(|m| !m.contains("onprem server")),
        "{named:#?}"
    );
}

/// The flows the trust carries, each run for real: which fail now.
struct Flows {
    /// A certificate and key registered on 00000002-… as Exchange Online's own (the cloud
    /// service's first-party credential, which the tenant does not see in Microsoft's cloud).
    exchange_online: (String, String),
}

impl Flows {
    fn new(dir: &Path) -> Flows {
        let cert = dir.join("exchange-online.cer");
        let key = dir.join("exchange-online.key");
        let (c, k) = (cert.to_str().unwrap(), key.to_str().unwrap());
        ok(
            dir,
            &[
                "cert",
                "new",
                "--subject",
                "Exchange Online",
                "--out",
                c,
                "--key-out",
                k,
            ],
        );
        let flows = Flows {
            exchange_online: (c.to_string(), k.to_string()),
        };
        flows.register(dir);
        flows
    }

    /// The names of the flows that fail, as the doctor names them.
    fn failing(&self, dir: &Path) -> Vec<String> {
        let mut failing = vec![];
        if !partner_to_on_premises(dir) {
            failing.push("PartnerToOnPremises".to_string());
        }
        if presence(dir).is_err() {
            failing.push("OnPremisesToPartner".into());
        }
        if !self.free_busy(dir) {
            failing.push("FreeBusy".into());
        }
        if !on_premises_to_cloud(dir) {
            failing.push("OnPremisesToCloud".into());
        }
        failing
    }

    /// Exchange Online reads alice's free/busy as bob, through the "Exchange Online" partner
    /// application: an ACS token for 00000002-…, then GetUserAvailability at on-premises EWS.
    fn free_busy(&self, dir: &Path) -> bool {
        let (got, token, _) = h(
            dir,
            &[
                "token",
                "request",
                "--client",
                EXCHANGE,
                "--cert",
                &self.exchange_online.0,
                "--key",
                &self.exchange_online.1,
                "--user-smtp",
                "bob@contoso.com",
            ],
        );
        if !got {
            return false;
        }
        let onprem = std::fs::read_to_string(dir.join("data/onprem/server.url")).unwrap();
        let now = time::OffsetDateTime::now_utc();
        let iso = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let body = partner::ewsclient::free_busy(
            "alice@contoso.com",
            &iso(now),
            &iso(now + time::Duration::hours(8)),
        )
        .to_xml();
        let (status, text) = tokio::runtime::Runtime::new().unwrap().block_on(async {
            let r = hybrid_tests::trusting_client(&dir.join("data"))
                .post(format!("{}/EWS/Exchange.asmx", onprem.trim()))
                .bearer_auth(token.trim())
                .header("content-type", "text/xml; charset=utf-8")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        });
        status == 200 && text.contains("NoError") && text.contains("FreeBusyView")
    }

    /// Registers Exchange Online's key on 00000002-… (again after the move to the dedicated
    /// application, which clears that principal's keys).
    fn register(&self, dir: &Path) {
        let sp = ok(
            dir,
            &[
                "cloud",
                "get-service-principal",
                "--service-principal-id",
                EXCHANGE,
                "--json",
            ],
        );
        if !sp.contains("CN=Exchange Online") {
            ok(
                dir,
                &[
                    "cloud",
                    "add-service-principal-key",
                    "--service-principal-id",
                    EXCHANGE,
                    "--key-file",
                    &self.exchange_online.0,
                ],
            );
        }
    }
}

/// The partner's calls: Test-OAuthConnectivity from its side, and an archived conversation
/// (ArchiveApplication's part) that reaches Purges on its first attempt.
fn partner_to_on_premises(dir: &Path) -> bool {
    let (tested, _, _) = h(
        dir,
        &["test-oauth-connectivity", "--mailbox", "alice@contoso.com"],
    );
    let held = ok(
        dir,
        &[
            "partner",
            "hold-conversation",
            "--participant",
            "alice@contoso.com",
            "--participant",
            "bob@contoso.com",
            "--message",
            "alice@contoso.com: is the trust up?",
            "--json",
        ],
    );
    let ids: Value = serde_json::from_str(&held).unwrap();
    let id = ids["workIds"][0].as_str().unwrap().to_string();
    for _ in 0..100 {
        let work: Value =
            serde_json::from_str(&ok(dir, &["partner", "get-work", "--id", &id, "--json"]))
                .unwrap();
        if work["status"] == "done" {
            return tested;
        }
        if work["attempts"].as_i64().unwrap_or(0) >= 1 && work["lastError"] != "" {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the archive job {id} was not tried");
}

/// On-premises Test-OAuthConnectivity against its own EWS.
fn on_premises_to_cloud(dir: &Path) -> bool {
    let onprem = std::fs::read_to_string(dir.join("data/onprem/server.url")).unwrap();
    let target = format!("{}/EWS/Exchange.asmx", onprem.trim());
    let (worked, out, _) = h(
        dir,
        &[
            "onprem",
            "test-oauth-connectivity",
            "--service",
            "EWS",
            "--target-uri",
            &target,
            "--mailbox",
            "alice@contoso.com",
        ],
    );
    if !worked {
        eprintln!("on-premises Test-OAuthConnectivity:\n{out}");
    }
    worked
}

/// The servers take a change in: the on-premises trust reloads within a second and a half,
/// the partner reads 00000004-…'s keys again at most every two seconds.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(2200));
}

/// Breaks one part of the trust with `provoke`, expects `code` among the doctor's findings and
/// exactly the flows the findings name to fail (none when they are warnings), runs the printed
/// fixes and expects every flow to work again.
fn breaks_what_it_says(dir: &Path, flows: &Flows, provoke: &[&str], code: &str) {
    ok(dir, provoke);
    settle();
    let (success, findings) = doctor(dir, &[]);
    assert!(
        codes(&findings).contains(&code.to_string()),
        "{code} not in {findings:#?}"
    );
    let mut stated: Vec<String> = findings
        .iter()
        .flat_map(|f| f["breaks"].as_array().unwrap().clone())
        .map(|b| b.as_str().unwrap().to_string())
        .collect();
    stated.sort();
    stated.dedup();
    let mut failing = flows.failing(dir);
    failing.sort();
    assert_eq!(stated, failing, "{code}: the doctor said {findings:#?}");
    assert_eq!(success, stated.is_empty(), "{code}: exit status");
    for f in &findings {
        let errs = !f["breaks"].as_array().unwrap().is_empty();
        assert_eq!(f["severity"] == "Error", errs, "{f}");
    }
    // The shared mode's own warning is left for the dedicated half of the test.
    let provoked: Vec<Value> = findings
        .into_iter()
        .filter(|f| f["code"] != "SharedServicePrincipalExposure")
        .collect();
    apply_fixes(dir, &provoked);
    settle();
    assert_eq!(
        flows.failing(dir),
        Vec::<String>::new(),
        "after fixing {code}"
    );
    let (success, left) = doctor(dir, &[]);
    assert!(
        success
            && left
                .iter()
                .all(|f| f["code"] == "SharedServicePrincipalExposure"),
        "after fixing {code}: {left:#?}"
    );
}

/// Each finding says which flows it stops, and exactly those stop: the partner's calls to
/// EWS (Test-OAuthConnectivity and an archived conversation), presence, Exchange Online's
/// free/busy and on premises' own application tokens, in the shared mode and then in the
/// dedicated one; a finding that stops none is a warning.
#[test]
fn each_finding_stops_the_flows_it_names_and_no_other() {
    let tmp = TempDir::new("doctor-flows");
    let dir = tmp.0.as_path();
    let _up = configured(dir);
    let flows = Flows::new(dir);
    assert_eq!(flows.failing(dir), Vec::<String>::new());
    let shared: [(&[&str], &str); 6] = [
        (
            &[
                "onprem",
                "set-partner-application",
                "--identity",
                "SfBOnline",
                "--enabled",
                "false",
                "--confirm:false",
            ],
            "PartnerApplicationDisabled",
        ),
        (
            &[
                "onprem",
                "remove-management-role-assignment",
                "--identity",
                "ArchiveApplication-SfBOnline-ApplicationAccount",
                "--confirm:false",
            ],
            "LinkedAccountMissingRole",
        ),
        (
            &[
                "onprem",
                "set-partner-application",
                "--identity",
                "Exchange Online",
                "--enabled",
                "false",
                "--confirm:false",
            ],
            "ExchangeOnlinePartnerApplicationDisabled",
        ),
        (
            &[
                "onprem",
                "set-auth-server",
                "--identity",
                "WindowsAzureACS",
                "--enabled",
                "false",
                "--confirm:false",
            ],
            "AuthServerDisabled",
        ),
        (
            &[
                "cloud",
                "set-service-principal-names",
                "--service-principal-id",
                EXCHANGE,
                "--service-principal-names",
                EXCHANGE,
            ],
            "SpnMissing",
        ),
        (
            &["onprem", "set-auth-config", "--realm", "fabrikam.com"],
            "RealmMismatch",
        ),
    ];
    for (provoke, code) in shared {
        breaks_what_it_says(dir, &flows, provoke, code);
    }
    // A new auth certificate made current on premises only: the partner and (through
    // 00000002-…) on premises' own assertions no longer verify.
    let thumb = new_auth_certificate(dir);
    let current = [
        "onprem",
        "set-auth-config",
        "--certificate-thumbprint",
        &thumb,
    ];
    breaks_what_it_says(dir, &flows, &current, "UploadedKeyNotCurrent");

    // The dedicated mode: on premises' tokens are the application's, through the Entra
    // AuthServer; Exchange Online's free/busy no longer shares them.
    fix_until_spotless(dir);
    flows.register(dir);
    assert_eq!(flows.failing(dir), Vec::<String>::new());
    let evosts = format!("EvoSts - {}", tenant_of(dir));
    let entra = [
        "onprem",
        "set-auth-server",
        "--identity",
        &evosts,
        "--enabled",
        "false",
        "--confirm:false",
    ];
    breaks_what_it_says(dir, &flows, &entra, "EntraAuthServerDisabled");
    let exchange_online = [
        "onprem",
        "set-partner-application",
        "--identity",
        "Exchange Online",
        "--enabled",
        "false",
        "--confirm:false",
    ];
    breaks_what_it_says(
        dir,
        &flows,
        &exchange_online,
        "ExchangeOnlinePartnerApplicationDisabled",
    );
    let thumb = new_auth_certificate(dir);
    let current = [
        "onprem",
        "set-auth-config",
        "--certificate-thumbprint",
        &thumb,
    ];
    breaks_what_it_says(dir, &flows, &current, "HybridApplicationCertificateMissing");
    // The partner service's own signing key removed from 00000004-….
    let key_id = partner_key_id(dir);
    let unregister = [
        "cloud",
        "remove-service-principal-key",
        "--service-principal-id",
        SKYPE,
        "--key-id",
        &key_id,
    ];
    breaks_what_it_says(dir, &flows, &unregister, "PartnerKeyNotRegistered");
}

/// The key id of the partner's signing certificate on 00000004-… (registered at bootstrap).
fn partner_key_id(dir: &Path) -> String {
    let sp: Value = serde_json::from_str(&ok(
        dir,
        &[
            "cloud",
            "get-service-principal",
            "--service-principal-id",
            SKYPE,
            "--json",
        ],
    ))
    .unwrap();
    sp["keyCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["displayName"].as_str().unwrap().contains("partner"))
        .expect("the partner's key is registered at bootstrap")["keyId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The `sh` blocks of the README's "The runbook by hand", in order.
fn runbook_by_hand_blocks() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let start = readme.find("## The runbook by hand").expect("the section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    section
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

/// The newcomer's path: `hybrid up` in a directory of their own, then the README's "runbook by
/// hand" blocks run as written (bash, stopping at the first failing command): the first ends
/// with a doctor that exits 0, the second shows each success check.
#[test]
fn the_readme_runbook_by_hand_runs_as_written() {
    let tmp = TempDir::new("readme-runbook");
    let dir = tmp.0.as_path();
    let child = Command::new(hybrid_bin())
        .current_dir(dir)
        .args(["up", "--base-port", "0"])
        .env("HYBRID_LOG", "warn")
        .env_remove("HYBRID_DATA")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _up = Up(child);
    for _ in 0..600 {
        if dir.join("hybrid-data/ready").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The user's own WAV file.
    let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00".to_vec();
    wav.extend_from_slice(b"hello from alice");
    std::fs::write(dir.join("greeting.wav"), wav).unwrap();
    let bin_dir = hybrid_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let blocks = runbook_by_hand_blocks();
    assert_eq!(blocks.len(), 2, "{blocks:#?}");
    let mut outputs = vec![];
    for (i, block) in blocks.iter().enumerate() {
        let o = Command::new("bash")
            .current_dir(dir)
            .args(["-e", "-o", "pipefail", "-c", block])
            .env("PATH", &path)
            .env_remove("HYBRID_DATA")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "block {} failed:\n{}\n{out}",
            i + 1,
            String::from_utf8_lossy(&o.stderr)
        );
        outputs.push(out);
    }
    // The runbook's result: nothing left but the shared mode's warning.
    assert!(
        outputs[0].contains("Warning: 0 error(s), 1 warning(s)"),
        "{}",
        outputs[0]
    );
    let checks = &outputs[1];
    for seen in [
        "ItemsInFolder : 1",
        "FolderPath       : /Conversation History",
        "ItemClass        : IPM.Note.Microsoft.Conversation",
        "FolderPath       : /Recoverable Items/Purges",
        "SourceFolder     : PurgedItems",
        "alice@contoso.com hi",
        "ResultType  : Success",
        "accepted",
    ] {
        assert!(checks.contains(seen), "{seen:?} not in\n{checks}");
    }
}

/// A kept demo folder served again by `hybrid up` on other ports: what named the old ports
/// (the partner's token endpoint and EWS URL, the AuthServer's metadata URL) follows, and the
/// doctor and every flow are as the demo left them.
#[test]
fn a_kept_demo_folder_served_again_elsewhere_is_clean() {
    let o = Command::new(hybrid_bin())
        .args(["demo", "--keep"])
        .env("HYBRID_LOG", "warn")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{out}");
    let kept = out
        .lines()
        .find_map(|l| l.strip_prefix("kept "))
        .expect("the kept folder is named")
        .trim()
        .to_string();
    let tmp = TempDir(std::path::PathBuf::from(&kept));
    let dir = tmp.0.as_path();
    let before = std::fs::read_to_string(dir.join("data/cloud/server.url")).unwrap();
    // The demo's `hybrid up` was stopped, not shut down: its `ready` is still there.
    let _ = std::fs::remove_file(dir.join("data/ready"));
    let _up = up(dir);
    let after = std::fs::read_to_string(dir.join("data/cloud/server.url")).unwrap();
    assert_ne!(before, after, "served on other ports");
    assert_clean(dir);
    settle();
    assert!(partner_to_on_premises(dir));
    assert!(presence(dir).is_ok());
    assert!(on_premises_to_cloud(dir));
}
