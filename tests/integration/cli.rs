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
    assert!(
        stderr(&o).contains("junk.cer is not an X.509 certificate: a DER file (.cer) or PEM"),
        "{}",
        stderr(&o)
    );
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

const RUNBOOK_STEPS_2_AND_3: &str = r#"# Step 2: a mail user for the Skype for Business Online partner application
$user = New-MailUser -Name SfBOnline-ApplicationAccount -ExternalEmailAddress SfBOnline-ApplicationAccount@contoso.com -DomainController dc01.contoso.com
Set-MailUser -Identity $user.Identity -HiddenFromAddressListsEnabled $True -DomainController dc01.contoso.com
New-ManagementRoleAssignment -Role UserApplication -User $user.Identity -DomainController dc01.contoso.com
New-ManagementRoleAssignment -Role ArchiveApplication -User $user.Identity -DomainController dc01.contoso.com
# Step 3
New-PartnerApplication -Name SfBOnline -ApplicationIdentifier 00000004-0000-0ff1-ce00-000000000000 -Enabled $True -LinkedAccount $user.Identity
"#;

#[test]
fn onprem_run_takes_the_runbook_as_pasted_and_stops_at_a_bad_line() {
    let dir = TempDir::new("cli-onprem");
    let data = dir.path("data");
    let _server = hybrid_tests::ServeProcess::start(&data, "onprem");
    let o = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "new-organization",
            "--name",
            "Contoso",
            "--domain",
            "contoso.com",
            "--ews-url",
            "https://mail.contoso.com/EWS/Exchange.asmx",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = hybrid(
        &["--data", &data, "onprem", "run", "-"],
        Some(RUNBOOK_STEPS_2_AND_3),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("UserApplication-SfBOnline-ApplicationAccount")
            && out.contains("ArchiveApplication-SfBOnline-ApplicationAccount")
    );
    let o = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "get-partner-application",
            "--identity",
            "SfBOnline",
            "--json",
        ],
        None,
    );
    let app = stdout_json(&o);
    assert_eq!(
        app["LinkedAccount"],
        "contoso.com/Users/SfBOnline-ApplicationAccount"
    );
    assert_eq!(app["UseAuthServer"], true);
    let o = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "get-mail-user",
            "--identity",
            "SfBOnline-ApplicationAccount",
            "--json",
        ],
        None,
    );
    assert_eq!(stdout_json(&o)["HiddenFromAddressListsEnabled"], true);

    // An unknown cmdlet on line 3: refused before anything runs, with its line number.
    let bad = "New-Mailbox -Name Bob -Alias bob\n# two\nFormat-Disk C:\nNew-Mailbox -Name Carol -Alias carol\n";
    let o = hybrid(&["--data", &data, "onprem", "run", "-"], Some(bad));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("line 3")
            && stderr(&o).contains("CommandNotFoundException")
            && stderr(&o).contains("nothing was run"),
        "{}",
        stderr(&o)
    );
    let o = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "get-mailbox",
            "--identity",
            "bob",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "nothing ran");
    // A failing line stops the script: nothing after it runs.
    let failing = "New-Mailbox -Name Bob -Alias bob\nSet-Mailbox -Identity nobody -DisplayName x\nNew-Mailbox -Name Carol -Alias carol\n";
    let o = hybrid(&["--data", &data, "onprem", "run", "-"], Some(failing));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("line 2")
            && stderr(&o).contains("ManagementObjectNotFoundException")
            && stderr(&o).contains("the lines before it ran, nothing after it"),
        "{}",
        stderr(&o)
    );
    // A forgotten value is named as such, before anything is sent.
    let o = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "new-management-role-assignment",
            "--role",
            "--user",
            "x",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("Missing an argument for parameter 'Role'. Specify a parameter of type 'System.String' and try again."),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        hybrid(
            &[
                "--data",
                &data,
                "onprem",
                "get-mailbox",
                "--identity",
                "bob"
            ],
            None
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        hybrid(
            &[
                "--data",
                &data,
                "onprem",
                "get-mailbox",
                "--identity",
                "carol"
            ],
            None
        )
        .status
        .code(),
        Some(1)
    );

    // Step 4: the current auth certificate as DER, folders created.
    let path = dir.path("OAuthConfig/OAuthCert.cer");
    let o = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "export-auth-cert",
            "--path",
            &path,
            "--json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let der = std::fs::read(&path).unwrap();
    let cert = crypto::Certificate::from_der(&der).unwrap();
    let cfg = stdout_json(&hybrid(
        &["--data", &data, "onprem", "get-auth-config", "--json"],
        None,
    ));
    assert_eq!(cfg["CurrentCertificateThumbprint"], cert.thumbprint());
    // Usage errors.
    assert_eq!(
        hybrid(&["--data", &data, "onprem", "frobnicate-things"], None)
            .status
            .code(),
        Some(2)
    );
    let help = hybrid(&["onprem", "--help"], None);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--domain-controller is accepted"));
}

#[test]
fn serve_over_tls_and_refuse_cleartext_off_loopback() {
    let dir = TempDir::new("cli-tls");
    let (cert, key) = (dir.path("tls.pem"), dir.path("tls-key.pem"));
    let made = hybrid(
        &[
            "cert",
            "new",
            "--subject",
            "localhost",
            "--dns-name",
            "localhost",
            "--dns-name",
            "127.0.0.1",
            "--out",
            &cert,
        ],
        None,
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let data = dir.path("data");
    let server = hybrid_tests::ServeProcess::start_with(
        &data,
        "cloud",
        &["--tls-cert", &cert, "--tls-key", &key],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let o = hybrid(
        &[
            "--data",
            &data,
            "cloud",
            "new-tenant",
            "--domain",
            "contoso.com",
            "--json",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "admin verbs trust the server's own certificate: {}",
        stderr(&o)
    );
    assert_eq!(stdout_json(&o)["verifiedDomains"][0]["name"], "contoso.com");
    let insecure = hybrid(
        &[
            "--data",
            &dir.path("other"),
            "serve",
            "cloud",
            "--listen",
            "0.0.0.0:0",
            "--insecure-http",
        ],
        None,
    );
    assert_eq!(insecure.status.code(), Some(1));
    assert!(
        stderr(&insecure).contains("InsecureListenerRefused"),
        "{}",
        stderr(&insecure)
    );
    let mismatched = hybrid(
        &[
            "--data",
            &dir.path("third"),
            "serve",
            "cloud",
            "--tls-cert",
            &cert,
            "--tls-key",
            &dir.path("nope.pem"),
        ],
        None,
    );
    assert_eq!(mismatched.status.code(), Some(1));
}

/// A base port whose +0, +2 and +4 are free on loopback now.
fn free_base_port() -> u16 {
    for _ in 0..200 {
        let base = 20_000 + (std::process::id() as u16 % 20_000) + (rand_u16() % 20_000);
        let free = [0u16, 2, 4].iter().all(|o| {
            base.checked_add(*o)
                .is_some_and(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
        });
        if free {
            return base;
        }
    }
    panic!("no free base port");
}

fn rand_u16() -> u16 {
    (uuid::Uuid::new_v4().as_u128() & 0xffff) as u16
}

#[test]
fn demo_runs_the_whole_runbook_and_every_check_passes() {
    let base = free_base_port();
    let o = hybrid(&["demo", "--base-port", &base.to_string()], None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}\n{}", stderr(&o));
    for port in [base, base + 2, base + 4] {
        assert!(
            text.contains(&format!("127.0.0.1:{port}")),
            "--base-port {base}: {text}"
        );
    }
    assert!(!text.contains("FAIL"), "{text}");
    let passes = text.lines().filter(|l| l.starts_with("PASS")).count();
    assert!(passes >= 30, "only {passes} checks ran:\n{text}");
    for needle in [
        "Step 4",
        "Step 5",
        "Step 6",
        "Success check 1",
        "Success check 4",
        "All checks passed.",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    // The runbook as written leaves the shared mode, which the doctor reports (a warning).
    assert!(text.contains("[SharedServicePrincipalExposure]"), "{text}");
}

/// The Teams edition (2025): its shell lines run verbatim through `hybrid onprem run`, the
/// certificate on its three principals, and the three applications' calls in the trace.
#[test]
fn demo_in_the_teams_edition_runs_its_lines_verbatim_and_passes_every_check() {
    let o = hybrid(&["demo", "--edition", "teams"], None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}\n{}", stderr(&o));
    assert!(!text.contains("FAIL"), "{text}");
    for line in [
        "$user = New-MailUser -Name TeamsScheduler -ApplicationAccount -ExternalEmailAddress TeamsScheduler-ApplicationAccount@contoso.com",
        "New-ManagementRole -Name TeamsSchedulerRole -Parent UserApplication",
        r#"Get-ManagementRoleEntry "TeamsSchedulerRole\*" | where Name -ne GetDelegate | Remove-ManagementRoleEntry -Confirm:$false"#,
        "New-ManagementRoleAssignment -Role TeamsSchedulerRole -User $user",
        "New-PartnerApplication -Name TeamsScheduler -ApplicationIdentifier 7557eb47-c689-4224-abcf-aef9bd7573df -Enabled $true -LinkedAccount $user",
        "New-PartnerApplication -Name CloudVoicemail -ApplicationIdentifier db7de2b5-2149-435e-8043-e080dd50afae -Enabled $true",
        "PASS  run steps 2 to 4",
        "PASS  TeamsSchedulerRole allows GetDelegate and nothing else",
        "PASS  Cloud Voicemail's key has the certificate's NotBefore and NotAfter",
        "PASS  Teams Scheduler's key has the certificate's NotBefore and NotAfter",
        "PASS  Teams Scheduler called as itself",
        "PASS  Cloud Voicemail called as itself",
        "All checks passed.",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    for nameid in [
        "nameid=7557eb47-c689-4224-abcf-aef9bd7573df@",
        "nameid=db7de2b5-2149-435e-8043-e080dd50afae@",
        "nameid=00000004-0000-0ff1-ce00-000000000000@",
    ] {
        assert!(text.contains(nameid), "{nameid} not in the trace:\n{text}");
    }
}

#[test]
fn demo_in_the_dedicated_mode_passes_every_check_with_nothing_for_the_doctor() {
    let o = hybrid(&["demo", "--trust", "dedicated"], None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}\n{}", stderr(&o));
    assert!(!text.contains("FAIL"), "{text}");
    for needle in [
        "the dedicated Exchange hybrid application",
        "holds no on-premises certificate any more",
        "names the application (-ApplicationIdentifier, -DomainName)",
        "Success check 4",
        "in the dedicated mode hybrid doctor has nothing at all to report",
        "All checks passed.",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    assert!(!text.contains("WARN"), "{text}");
}

#[test]
fn demo_with_hybrid_modern_authentication_signs_alice_in_and_reads_her_inbox() {
    let o = hybrid(&["demo", "--hma"], None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}\n{}", stderr(&o));
    assert!(!text.contains("FAIL"), "{text}");
    for needle in [
        "alice and bob are users of the tenant, with their on-premises SIDs",
        "its OpenID configuration",
        "the code is redeemed for a v1 token for the on-premises host, naming alice's SID",
        "EWS takes alice's own token: FindItem in her inbox succeeds",
        "and a refresh token came with it (offline_access)",
        "All checks passed.",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

#[test]
fn configure_hybrid_application_moves_the_auth_certificate_to_a_dedicated_application() {
    let dir = TempDir::new("cli-hybrid-app");
    let data = dir.path("data");
    let _cloud = hybrid_tests::ServeProcess::start(&data, "cloud");
    let cloud = |args: &[&str]| {
        let mut all = vec!["--data", data.as_str(), "cloud"];
        all.extend_from_slice(args);
        all.push("--json");
        let o = hybrid(&all, None);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        stdout_json(&o)
    };
    cloud(&["new-tenant", "--domain", "contoso.com"]);
    let (auth, next) = (dir.path("auth.pem"), dir.path("next.pem"));
    for (file, subject) in [
        (&auth, "Microsoft Exchange Server Auth Certificate"),
        (&next, "next auth"),
    ] {
        let made = hybrid(&["cert", "new", "--subject", subject, "--out", file], None);
        assert!(made.status.success(), "{}", stderr(&made));
    }
    let thumb = |f: &str| {
        crypto::Certificate::from_der_or_pem(&std::fs::read(f).unwrap())
            .unwrap()
            .thumbprint()
            .to_string()
    };
    // The shared mode, as the runbook's step 1 leaves it: the certificate on 00000002.
    cloud(&[
        "add-service-principal-key",
        "--service-principal-id",
        "00000002-0000-0ff1-ce00-000000000000",
        "--key-file",
        &auth,
    ]);
    let full = cloud(&[
        "configure-hybrid-application",
        "--mode",
        "full",
        "--certificate",
        &auth,
    ]);
    let app_id = full["ApplicationId"].as_str().unwrap().to_string();
    assert_eq!(full["DisplayName"], "ExchangeServerApp");
    assert_eq!(full["AdminConsent"], "full_access_as_app");
    assert_eq!(full["KeyCredentials"], thumb(&auth));
    assert_eq!(full["RemovedFromFirstParty"], thumb(&auth));
    // No organization recorded here: the on-premises step is printed to be done there.
    let step = full["AuthServer"].as_str().unwrap();
    assert!(
        step.starts_with("to do on premises: hybrid onprem run 'Set-AuthServer")
            && step.contains(&format!(
                "-ApplicationIdentifier {app_id} -DomainName contoso.com"
            )),
        "{step}"
    );
    let shared = cloud(&[
        "get-service-principal",
        "--service-principal-id",
        "00000002-0000-0ff1-ce00-000000000000",
        "--property",
        "KeyCredentials",
    ]);
    assert_eq!(
        shared["keyCredentials"],
        serde_json::Value::Array(vec![]),
        "{shared}"
    );
    // Again: the same application, its key once, nothing left to remove.
    let again = cloud(&[
        "configure-hybrid-application",
        "--mode",
        "full",
        "--certificate",
        &auth,
    ]);
    assert_eq!(again["ApplicationId"], app_id.as_str());
    assert_eq!(again["KeyCredentials"], thumb(&auth));
    assert_eq!(again["RemovedFromFirstParty"], "");
    // The next certificate joins the current one on the application.
    let updated = cloud(&[
        "configure-hybrid-application",
        "--mode",
        "update-certificate",
        "--certificate",
        &auth,
        "--certificate",
        &next,
    ]);
    assert_eq!(
        updated["KeyCredentials"],
        format!("{}, {}", thumb(&auth), thumb(&next))
    );
    assert!(updated.get("RemovedFromFirstParty").is_none());
    // Reset clears whatever is on the shared principal.
    cloud(&[
        "add-service-principal-key",
        "--service-principal-id",
        "00000002-0000-0ff1-ce00-000000000000",
        "--key-file",
        &next,
    ]);
    let reset = cloud(&[
        "configure-hybrid-application",
        "--mode",
        "reset-first-party-keys",
    ]);
    assert_eq!(reset["RemovedFromFirstParty"], thumb(&next));
    // Without a certificate, full and update are usage errors.
    let o = hybrid(
        &[
            "--data",
            &data,
            "cloud",
            "configure-hybrid-application",
            "--mode",
            "full",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn global_options_work_before_and_after_a_cmdlet_verb_and_each_cmdlet_has_help() {
    let dir = TempDir::new("cli-globals");
    let data = dir.path("data");
    let _onprem = hybrid_tests::ServeProcess::start(&data, "onprem");
    let org = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "new-organization",
            "--name",
            "Contoso",
            "--domain",
            "contoso.com",
            "--ews-url",
            "https://mail.contoso.com/EWS/Exchange.asmx",
        ],
        None,
    );
    assert!(org.status.success(), "{}", stderr(&org));
    let run = |args: &[&str]| {
        let o = hybrid(args, None);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        stdout_json(&o)
    };
    // --data and --json before the verb, after it, and mixed.
    let before = run(&["--data", &data, "--json", "onprem", "get-auth-config"]);
    let after = run(&["onprem", "get-auth-config", "--data", &data, "--json"]);
    let mixed = run(&["--json", "onprem", "get-auth-config", "--data", &data]);
    assert_eq!(
        before["CurrentCertificateThumbprint"]
            .as_str()
            .map(str::len),
        Some(40)
    );
    assert_eq!(before, after);
    assert_eq!(before, mixed);
    // --server and --credential-file, with a data folder that knows neither.
    let url = std::fs::read_to_string(format!("{data}/onprem/server.url")).unwrap();
    let cred = format!("{data}/onprem/admin.credential");
    let elsewhere = dir.path("elsewhere");
    let explicit = run(&[
        "onprem",
        "get-auth-config",
        "--server",
        url.trim(),
        "--credential-file",
        &cred,
        "--data",
        &elsewhere,
        "--json",
    ]);
    assert_eq!(explicit, before);
    let explicit_before = run(&[
        "--data",
        &elsewhere,
        "onprem",
        "--server",
        url.trim(),
        "--credential-file",
        &cred,
        "get-auth-config",
        "--json",
    ]);
    assert_eq!(explicit_before, before);
    // A value forgotten after a global option is a usage error, not a cmdlet parameter.
    let o = hybrid(&["onprem", "get-auth-config", "--data"], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // Get-Help for a cmdlet: its parameters, their types, which are mandatory.
    let help = hybrid(&["onprem", "new-partner-application", "--help"], None);
    assert!(help.status.success(), "{}", stderr(&help));
    let text = String::from_utf8_lossy(&help.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("--application-identifier "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("<text>") && line.ends_with("mandatory"),
        "{line}"
    );
    assert!(
        text.contains("--enabled true|false") && text.contains("--trust-any-ssl-certificate"),
        "{text}"
    );
    // A line per parameter that says what it means, and an example.
    assert!(
        text.contains("      The application account whose roles decide what the partner may call"),
        "{text}"
    );
    assert!(
        text.contains(
            "Example (a line of `hybrid onprem run`):\n  New-PartnerApplication -Name SfBOnline"
        ),
        "{text}"
    );
    // Did you mean: a verb, and a parameter the server does not know.
    let typo = hybrid(&["--data", &data, "onprem", "get-auth-confg"], None);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("did you mean get-auth-config?"),
        "{}",
        stderr(&typo)
    );
    let param = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "get-auth-server",
            "--identiti",
            "x",
        ],
        None,
    );
    assert!(
        stderr(&param).contains("did you mean --identity?"),
        "{}",
        stderr(&param)
    );
}

#[test]
fn json_log_lines_when_asked_for() {
    let dir = TempDir::new("cli-json-log");
    let data = dir.path("data");
    let log = std::fs::File::create(dir.path("cloud.log")).unwrap();
    let mut child = std::process::Command::new(hybrid_tests::hybrid_bin())
        .args(["--data", &data, "serve", "cloud", "--listen", "127.0.0.1:0"])
        .env("HYBRID_LOG_FORMAT", "json")
        .env("HYBRID_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let url_file = std::path::Path::new(&data).join("cloud/server.url");
    for _ in 0..400 {
        if url_file.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(dir.path("cloud.log")).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "no log lines");
    for l in &lines {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(
            v["level"].is_string() && v["fields"]["message"].is_string(),
            "{l}"
        );
    }
    assert!(text.contains("store opened"), "{text}");
}

#[test]
fn shell_completions_name_the_verbs() {
    for shell in ["bash", "zsh", "fish"] {
        let o = hybrid(&["completions", shell], None);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        for verb in [
            "onprem",
            "auth-cert",
            "configure-hybrid-application",
            "doctor",
        ] {
            assert!(text.contains(verb), "{shell} completion lacks {verb}");
        }
    }
    let o = hybrid(&["completions", "tcsh"], None);
    assert_eq!(o.status.code(), Some(2));
}

/// `hybrid up` on a fresh data folder serves HTTPS on all three roles from a development CA it
/// makes there: curl trusts the roles with `--cacert DIR/ca.pem` and refuses them without it;
/// admin verbs trust it on their own (a long one shows progress on a terminal only); the CA's
/// key is the owner's only; a restart keeps it.
#[test]
fn https_by_default_from_a_development_ca() {
    let dir = TempDir::new("cli-https");
    let data = dir.path("data");
    let start = || up(&data);
    let up = start();
    let ca = std::path::Path::new(&data).join("ca.pem");
    let ca_text = std::fs::read_to_string(&ca).expect("DIR/ca.pem");
    for role in ["cloud", "onprem", "partner"] {
        let url =
            std::fs::read_to_string(std::path::Path::new(&data).join(role).join("server.url"))
                .unwrap()
                .trim()
                .to_string();
        assert!(url.starts_with("https://127.0.0.1:"), "{role}: {url}");
        let curl = |extra: &[&str]| {
            std::process::Command::new("curl")
                .args(["-sS", "--max-time", "10"])
                .args(extra)
                .arg(format!("{url}/health"))
                .output()
                .expect("curl runs")
        };
        let trusted = curl(&["--cacert", ca.to_str().unwrap()]);
        assert!(trusted.status.success(), "{role}: {}", stderr(&trusted));
        assert_eq!(String::from_utf8_lossy(&trusted.stdout), "ok");
        let plain = curl(&[]);
        assert_eq!(
            plain.status.code(),
            Some(60),
            "{role}: verification fails without the CA"
        );
    }
    let mailboxes = hybrid(&["--data", &data, "onprem", "get-mailbox", "--json"], None);
    assert!(mailboxes.status.success(), "{}", stderr(&mailboxes));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(std::path::Path::new(&data).join("ca-key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // The folder's bundle is the system's roots and its CA: a process started by another
    // hybrid process (whose SSL_CERT_FILE is that parent's bundle) starts from the system's.
    let foreign = dir.path("foreign-trust.pem");
    std::fs::write(&foreign, "# FOREIGN-BUNDLE\n").unwrap();
    let bundle = |system: Option<&str>| {
        let mut c = std::process::Command::new(hybrid_tests::hybrid_bin());
        c.args(["--data", &data, "onprem", "get-accepted-domain"])
            .env("SSL_CERT_FILE", &foreign)
            .env_remove("HYBRID_SYSTEM_CERT_FILE");
        if let Some(s) = system {
            c.env("HYBRID_SYSTEM_CERT_FILE", s);
        }
        let o = c.output().expect("hybrid runs");
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read_to_string(std::path::Path::new(&data).join("trust.pem")).unwrap()
    };
    let system = dir.path("system.pem");
    std::fs::write(&system, "# SYSTEM-BUNDLE\n").unwrap();
    let from_parent = bundle(Some(&system));
    assert!(from_parent.starts_with("# SYSTEM-BUNDLE") && !from_parent.contains("FOREIGN"));
    assert!(
        from_parent.ends_with(&ca_text),
        "the folder's CA closes the bundle"
    );
    assert!(
        bundle(None).starts_with("# FOREIGN-BUNDLE"),
        "SSL_CERT_FILE is the system's otherwise"
    );
    // A long operation shows its steps on a terminal (a pseudo-terminal from script(1)) and
    // stays quiet in a pipe.
    let renew = format!(
        "{} --data {data} auth-cert renew --force --validity-days 400",
        hybrid_tests::hybrid_bin().display()
    );
    let tty = std::process::Command::new("script")
        .args(["-qec", &renew, "/dev/null"])
        .output()
        .expect("script runs");
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(tty.status.success(), "{shown}");
    assert!(shown.contains("… create a new auth certificate"), "{shown}");
    let piped = hybrid(
        &[
            "--data",
            &data,
            "auth-cert",
            "renew",
            "--force",
            "--validity-days",
            "400",
        ],
        None,
    );
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert!(!stderr(&piped).contains('…'), "{}", stderr(&piped));
    drop(up);
    let _again = start();
    assert_eq!(
        std::fs::read_to_string(&ca).unwrap(),
        ca_text,
        "a restart keeps the CA"
    );
    // --insecure-http keeps plain HTTP for loopback experiments.
    let plain_dir = dir.path("plain");
    let plain = hybrid_tests::ServeProcess::start(&plain_dir, "cloud");
    assert!(plain.url.starts_with("http://"), "{}", plain.url);
}

struct KillOnDrop(std::process::Child);

/// `hybrid --data DATA up` on free ports, once it is ready; stopped when dropped.
fn up(data: &str) -> KillOnDrop {
    let ready = std::path::Path::new(data).join("ready");
    let _ = std::fs::remove_file(&ready);
    let child = std::process::Command::new(hybrid_tests::hybrid_bin())
        .args(["--data", data, "up", "--base-port", "0"])
        .env("HYBRID_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("hybrid up starts");
    let guard = KillOnDrop(child);
    for _ in 0..600 {
        if ready.exists() {
            return guard;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("hybrid up did not get ready");
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The Teams edition's Graph upload (Update-MgServicePrincipal with the whole keyCredentials
/// list) on the Teams Scheduler's principal, which every tenant holds: unexpired keys kept,
/// expired ones dropped, the certificate added once however often it is run.
#[test]
fn update_service_principal_keys_keeps_unexpired_drops_expired_and_adds_once() {
    let dir = TempDir::new("cli-sp-keys");
    let data = dir.path("data");
    let _up = up(&data);
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let cert = |name: &str, not_before: time::OffsetDateTime, days: i64| {
        let made = crypto::CertificateRequest {
            common_name: name.into(),
            not_before,
            validity: time::Duration::days(days),
            ..Default::default()
        }
        .self_signed()
        .unwrap();
        let path = dir.path(&format!("{name}.cer"));
        std::fs::write(&path, made.certificate.der()).unwrap();
        (path, made.certificate.thumbprint().to_string())
    };
    let (expired, expired_t) = cert("expired", now - time::Duration::days(30), 10);
    let (current, current_t) = cert("current", now, 365);
    let (new, new_t) = cert("new", now, 365);
    let app = "7557eb47-c689-4224-abcf-aef9bd7573df";
    for key in [&expired, &current] {
        let o = hybrid(
            &[
                "--data",
                &data,
                "cloud",
                "add-service-principal-key",
                "--service-principal-id",
                app,
                "--key-file",
                key,
            ],
            None,
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    for _ in 0..2 {
        let o = hybrid(
            &[
                "--data",
                &data,
                "cloud",
                "update-service-principal-keys",
                "--service-principal-id",
                app,
                "--certificate",
                &new,
                "--json",
            ],
            None,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let held: Vec<String> =
            serde_json::from_value(stdout_json(&o)["keyCredentials"].clone()).unwrap();
        assert!(
            held.contains(&current_t) && held.contains(&new_t),
            "{held:?}"
        );
        assert!(
            !held.contains(&expired_t),
            "expired keys are dropped: {held:?}"
        );
        assert_eq!(
            held.iter().filter(|t| **t == new_t).count(),
            1,
            "added once"
        );
    }
    let voicemail = hybrid(
        &[
            "--data",
            &data,
            "cloud",
            "get-service-principal",
            "--service-principal-id",
            "db7de2b5-2149-435e-8043-e080dd50afae",
            "--json",
        ],
        None,
    );
    assert!(voicemail.status.success(), "{}", stderr(&voicemail));
    assert_eq!(stdout_json(&voicemail)["displayName"], "Cloud Voicemail");
}

/// The Teams edition's steps 2 to 4 as its text writes them, run verbatim by `hybrid onprem
/// run`: the application account, the custom role cut down to GetDelegate by a pipeline, its
/// assignment, and the two partner applications (Cloud Voicemail without a linked account).
#[test]
fn onprem_run_takes_the_teams_editions_steps_verbatim() {
    let dir = TempDir::new("cli-teams-steps");
    let data = dir.path("data");
    let _up = up(&data);
    let script = r#"$user = New-MailUser -Name TeamsScheduler -ApplicationAccount -ExternalEmailAddress TeamsScheduler-ApplicationAccount@contoso.com
Set-MailUser -Identity $user.Identity -HiddenFromAddressListsEnabled $True
New-ManagementRole -Name TeamsSchedulerRole -Parent UserApplication
Get-ManagementRoleEntry "TeamsSchedulerRole\*" | where Name -ne GetDelegate | Remove-ManagementRoleEntry -Confirm:$false
New-ManagementRoleAssignment -Role TeamsSchedulerRole -User $user
New-PartnerApplication -Name TeamsScheduler -ApplicationIdentifier 7557eb47-c689-4224-abcf-aef9bd7573df -Enabled $true -LinkedAccount $user
New-PartnerApplication -Name CloudVoicemail -ApplicationIdentifier db7de2b5-2149-435e-8043-e080dd50afae -Enabled $true
"#;
    let o = hybrid(&["--data", &data, "onprem", "run", "-"], Some(script));
    assert!(
        o.status.success(),
        "{}{}",
        stderr(&o),
        String::from_utf8_lossy(&o.stdout)
    );
    let entries = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "get-management-role-entry",
            "--identity",
            "TeamsSchedulerRole\\*",
            "--json",
        ],
        None,
    );
    assert!(entries.status.success(), "{}", stderr(&entries));
    let v = stdout_json(&entries);
    let names: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["Name"].as_str()).collect())
        .unwrap_or_else(|| vec![v["Name"].as_str().unwrap_or("")]);
    assert_eq!(names, ["GetDelegate"]);
    let apps = hybrid(
        &[
            "--data",
            &data,
            "onprem",
            "get-partner-application",
            "--identity",
            "CloudVoicemail",
            "--json",
        ],
        None,
    );
    assert!(apps.status.success(), "{}", stderr(&apps));
}

/// The mode bits of `path` (permission bits only).
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A fresh data folder is its owner's alone from the start: folders 0700; every store (with
/// SQLite's -wal and -shm), key and credential 0600. The doctor says so when one is wider,
/// and its fix, run as printed, narrows it again.
#[test]
fn the_data_folder_is_private_and_the_doctor_notices_when_it_is_not() {
    let dir = TempDir::new("cli-private");
    let data = dir.path("data");
    let _up = up(&data);
    let root = std::path::Path::new(&data);
    assert_eq!(mode_of(root), 0o700, "DIR");
    for role in ["cloud", "onprem", "partner"] {
        let r = root.join(role);
        assert_eq!(mode_of(&r), 0o700, "{role}");
        for name in [
            "store.db",
            "store.db-wal",
            "store.db-shm",
            "operator.credential",
        ] {
            let f = r.join(name);
            assert!(f.exists(), "{}", f.display());
            assert_eq!(mode_of(&f), 0o600, "{}", f.display());
        }
        let key = r.join("tls-key.pem");
        if key.exists() {
            assert_eq!(mode_of(&key), 0o600, "{}", key.display());
        }
    }
    assert_eq!(mode_of(&root.join("ca-key.pem")), 0o600);
    let doctor = || {
        let o = std::process::Command::new(hybrid_tests::hybrid_bin())
            .args(["--data", &data, "doctor", "--json"])
            .output()
            .unwrap();
        let report = stdout_json(&o);
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "data-folder-permissions")
            .cloned()
            .expect("the data folder check")
    };
    assert_eq!(doctor()["findings"], Value::Array(vec![]));
    use std::os::unix::fs::PermissionsExt;
    let db = root.join("onprem").join("store.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let check = doctor();
    let finding = &check["findings"][0];
    assert_eq!(finding["code"], "DataFilesReadableByOthers", "{check}");
    assert!(finding["message"].as_str().unwrap().contains("store.db"));
    let fix = finding["fix"][0].as_str().unwrap();
    let ran = std::process::Command::new("sh")
        .args(["-c", fix])
        .status()
        .unwrap();
    assert!(ran.success(), "{fix}");
    assert_eq!(mode_of(&db), 0o600);
    assert_eq!(doctor()["findings"], Value::Array(vec![]));
}

/// `hybrid --data DATA ARGS` with `stdin`: (exit code, stdout, stderr).
fn h3(data: &str, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut all = vec!["--data", data];
    all.extend_from_slice(args);
    let o = hybrid(&all, stdin);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr(&o),
    )
}

/// The mailboxes' aliases, and a few objects whose change -WhatIf must not make.
fn organization_state(data: &str) -> String {
    let mut state = String::new();
    for verb in [
        "get-mailbox",
        "get-mail-user",
        "get-partner-application",
        "get-auth-server",
        "get-management-role-assignment",
        "get-exchange-certificate",
        "get-auth-config",
    ] {
        let (code, out, err) = h3(data, &["onprem", verb, "--json"], None);
        assert_eq!(code, 0, "{verb}: {err}");
        state.push_str(&out);
    }
    state
}

/// -WhatIf on each cmdlet family, on the command line and in `onprem run` (also in a
/// pipeline): the "What if:" line, and nothing changed.
#[test]
fn what_if_says_what_would_happen_and_changes_nothing() {
    let dir = TempDir::new("cli-whatif");
    let data = dir.path("data");
    let _up = up(&data);
    let before = organization_state(&data);
    let thumbprint = {
        let (_, out, _) = h3(&data, &["onprem", "get-auth-config", "--json"], None);
        let v: Value = serde_json::from_str(&out).unwrap();
        v["CurrentCertificateThumbprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["remove-mailbox", "--identity", "alice", "--what-if"],
            "\"Remove Mailbox\" on target \"".into(),
        ),
        (
            vec![
                "set-mailbox",
                "--identity",
                "bob",
                "--display-name",
                "Robert",
                "--whatif",
            ],
            "\"Set Mailbox\"".into(),
        ),
        (
            vec![
                "new-mail-user",
                "--name",
                "x",
                "--external-email-address",
                "x@fabrikam.com",
                "--what-if",
            ],
            "\"New MailUser\" on target \"x\"".into(),
        ),
        (
            vec![
                "new-management-role-assignment",
                "--role",
                "UserApplication",
                "--user",
                "alice",
                "--what-if",
            ],
            "\"New ManagementRoleAssignment\" on target \"UserApplication\"".into(),
        ),
        (
            vec![
                "set-partner-application",
                "--identity",
                "Exchange Online",
                "--enabled",
                "true",
                "--what-if",
            ],
            "\"Set PartnerApplication\" on target \"Exchange Online\"".into(),
        ),
        (
            vec![
                "new-auth-server",
                "--name",
                "X",
                "--auth-metadata-url",
                "https://127.0.0.1:9/m",
                "--what-if",
            ],
            "\"New AuthServer\" on target \"X\"".into(),
        ),
        (
            vec![
                "remove-exchange-certificate",
                "--thumbprint",
                &thumbprint,
                "--what-if",
            ],
            format!("\"Remove ExchangeCertificate\" on target \"{thumbprint}\""),
        ),
        (
            vec![
                "set-auth-config",
                "--clear-previous-certificate",
                "--what-if",
            ],
            "\"Set AuthConfig\" on target \"AuthConfig\"".into(),
        ),
    ];
    for (args, expected) in &cases {
        let mut a = vec!["onprem"];
        a.extend(args);
        let (code, out, err) = h3(&data, &a, None);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(
            out.contains("What if: Performing the operation ") && out.contains(expected),
            "{args:?}: {out}"
        );
    }
    // -WhatIf still checks what it is given: a misspelled parameter, an object that is not there.
    let (code, _, err) = h3(
        &data,
        &[
            "onprem",
            "remove-mailbox",
            "--identity",
            "nobody",
            "--what-if",
        ],
        None,
    );
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = h3(
        &data,
        &[
            "onprem",
            "set-mailbox",
            "--identity",
            "bob",
            "--dispaly-name",
            "x",
            "--what-if",
        ],
        None,
    );
    assert!(code != 0 && err.contains("ParameterBinding"), "{err}");
    let script = "Set-PartnerApplication -Identity 'Exchange Online' -Enabled $false -WhatIf\nGet-Mailbox alice | Remove-Mailbox -WhatIf\n";
    let (code, out, err) = h3(&data, &["onprem", "run", "-"], Some(script));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("What if: Performing the operation \"Set PartnerApplication\" on target \"Exchange Online\"."), "{out}");
    assert!(
        out.contains("What if: Performing the operation \"Remove Mailbox\" on target \""),
        "{out}"
    );
    assert_eq!(
        organization_state(&data),
        before,
        "-WhatIf changed something"
    );
    // On-premises Test-OAuthConnectivity that ends in Error is a failed command (here: the
    // runbook not done yet, so no token can be had).
    let (code, out, err) = h3(
        &data,
        &[
            "onprem",
            "test-oauth-connectivity",
            "--service",
            "EWS",
            "--target-uri",
            "https://mail.contoso.com",
            "--mailbox",
            "alice@contoso.com",
            "--json",
        ],
        None,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("OAuthConnectivityFailed") && out.contains("\"ResultType\": \"Error\""),
        "{out}{err}"
    );
}

/// High-impact cmdlets (Remove-, and disabling the trust) are asked about on a terminal and,
/// without one, refused unless confirmed in advance, also inside a pipeline.
#[test]
fn high_impact_changes_are_confirmed_first() {
    let dir = TempDir::new("cli-confirm");
    let data = dir.path("data");
    let _up = up(&data);
    let aliases = |data: &str| {
        let (_, out, _) = h3(data, &["onprem", "get-mailbox", "--json"], None);
        let v: Value = serde_json::from_str(&out).unwrap();
        let list = v.as_array().cloned().unwrap_or_else(|| vec![v]);
        let mut a: Vec<String> = list
            .iter()
            .map(|m| m["Alias"].as_str().unwrap().to_string())
            .collect();
        a.sort();
        a
    };
    assert_eq!(aliases(&data), ["alice", "bob"]);
    // No terminal: refused, saying how to confirm; nothing removed.
    for (args, stdin) in [
        (
            vec!["onprem", "remove-mailbox", "--identity", "alice"],
            None,
        ),
        (
            vec![
                "onprem",
                "set-partner-application",
                "--identity",
                "Exchange Online",
                "--enabled",
                "false",
            ],
            None,
        ),
        (
            vec!["onprem", "run", "-"],
            Some("Get-Mailbox alice | Remove-Mailbox\n"),
        ),
    ] {
        let (code, _, err) = h3(&data, &args, stdin);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.contains("ConfirmationRequired") && err.contains("--confirm:false"),
            "{err}"
        );
    }
    assert_eq!(aliases(&data), ["alice", "bob"]);
    // On a terminal (script(1) gives it one): asked; "n" keeps bob, "y" removes him.
    let hybrid_bin = hybrid_tests::hybrid_bin().display().to_string();
    let on_terminal = |answer: &str| {
        let command = format!("{hybrid_bin} --data {data} onprem remove-mailbox --identity bob");
        let mut child = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("script(1) runs");
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let answer = answer.to_string();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            let _ = stdin.write_all(answer.as_bytes());
        });
        let o = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let screen = on_terminal("n\n");
    assert!(
        screen.contains("Are you sure you want to perform this action?")
            && screen.contains("Performing the operation \"Remove Mailbox\" on target \"bob\"."),
        "{screen}"
    );
    assert_eq!(aliases(&data), ["alice", "bob"]);
    on_terminal("y\n");
    assert_eq!(aliases(&data), ["alice"]);
    // Confirmed in advance, as the shell writes it.
    let (code, _, err) = h3(
        &data,
        &[
            "onprem",
            "remove-mailbox",
            "--identity",
            "alice",
            "--confirm:$false",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(aliases(&data).is_empty());
    let (code, _, err) = h3(
        &data,
        &[
            "onprem",
            "set-partner-application",
            "--identity",
            "Exchange Online",
            "--enabled",
            "false",
            "--confirm:false",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
}

/// `onprem run` checks the whole script before it runs any line, and understands what admins
/// paste besides the runbook's own lines.
#[test]
fn onprem_run_checks_the_whole_script_first() {
    let dir = TempDir::new("cli-script-check");
    let data = dir.path("data");
    let _up = up(&data);
    let run = |script: &str| h3(&data, &["onprem", "run", "-"], Some(script));
    let carol_exists = || {
        h3(
            &data,
            &["onprem", "get-mailbox", "--identity", "carol"],
            None,
        )
        .0 == 0
    };
    for (script, code, place) in [
        (
            "New-Mailbox -Name carol\nSet-Mailbox carol -DisplayName Carol\nSet-Mailbox carol -DispalyName C\n",
            "ParameterBindingException",
            "line 3, column 19",
        ),
        (
            "New-Mailbox -Name carol\nSet-MailUser carol -HiddenFromAddressListsEnabled $true -DomainController <DomainControllerFQDN>\n",
            "PlaceholderLeft",
            "line 2, column 75",
        ),
        (
            "New-Mailbox -Name carol\nSet-Mailbox $user.Identity -DisplayName C\n",
            "VariableNotSet",
            "line 2, column 13",
        ),
        (
            "New-Mailbox -Name carol\nGet-Mailboxx carol\n",
            "CommandNotFoundException",
            "line 2, column 1",
        ),
        (
            "New-Mailbox -Name carol\n$thumbprint = (Get-AuthConfig).CurrentCertificateThumbprint\n",
            "ExportScriptNotRun",
            "line 2",
        ),
    ] {
        let (c, _, err) = run(script);
        assert_eq!(c, 1, "{script}: {err}");
        assert!(
            err.contains(code) && err.contains(place) && err.contains("nothing was run"),
            "{script}: {err}"
        );
        assert!(!err.contains("Word("), "{err}");
        assert!(!carol_exists(), "{script}: a line ran");
    }
    let (_, _, err) = run("$x = Get-AuthConfig\n[System.IO.File]::WriteAllBytes($f, $b)\n");
    assert!(err.contains("hybrid onprem export-auth-cert"), "{err}");
    // The read-only forms admins paste.
    let (c, out, err) = run(
        "Get-Mailbox | fl\nGet-Mailbox | ft\nGet-Mailbox | Select-Object Alias, PrimarySmtpAddress | Format-Table\nGet-PartnerApplication | ?{ $_.ApplicationIdentifier -eq '00000002-0000-0ff1-ce00-000000000000' -and $_.Enabled -eq $false } | Select-Object Name\n",
    );
    assert_eq!(c, 0, "{err}");
    assert!(
        out.contains("Alias")
            && out.contains("PrimarySmtpAddress")
            && out.contains("alice@contoso.com"),
        "{out}"
    );
    assert!(out.contains("Exchange Online"), "{out}");
    assert!(out.contains("-----"), "a table: {out}");
}

/// A reader that goes away early ends a printing command quietly: no panic, no message.
#[test]
fn broken_pipes_end_quietly() {
    for args in [vec!["completions", "bash"], vec!["onprem", "--help"]] {
        let command = format!(
            "{} {} | head -c 10 >/dev/null",
            hybrid_tests::hybrid_bin().display(),
            args.join(" ")
        );
        let o = std::process::Command::new("bash")
            .args(["-o", "pipefail", "-c", &command])
            .output()
            .unwrap();
        let err = stderr(&o);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}
