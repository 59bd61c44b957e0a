//! `hybrid demo`: the runbook, end to end, on a fresh data folder, with its success checks.
//!
//! It starts `hybrid up` and then does what an administrator does, with the same verbs: step 1
//! (New-AuthServer from the tenant's metadata, the Exchange Online partner application enabled,
//! the auth certificate on 00000002-… and the EWS host as its SPN), steps 2 and 3 exactly as the
//! runbook writes them (through `hybrid onprem run`), step 4 (export the auth certificate), step 5
//! (upload it to 00000004-…), step 6 (read it back: its dates are the certificate's). Then the
//! success checks: a voicemail greeting changed, IM conversations (one on a mobile client, one
//! missed) archived and written to Conversation History, all read back through EWS as an EWS
//! client would; and the handshake as the on-premises server saw it (token digests only).

mod hma;

use crate::cert_cmd::CertificateShown;
use crate::error::CliError;
use base64::Engine;
use cloud::model::{KeyCredential, ServicePrincipal};
use onprem::model::report::Findings;
use onprem::model::{
    AuthServer, AuthServerType, PartnerApplication, Recipient, RoleAssignment, RoleEntry,
    ValidationResult,
};
use partner::admin_types::{ConversationAccepted, Delegates};
use s2s::presence::Presence;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use store::{HandshakeEvent, HandshakePage};

const EXCHANGE: &str = "00000002-0000-0ff1-ce00-000000000000";
const SKYPE: &str = "00000004-0000-0ff1-ce00-000000000000";
const ACS: &str = s2s::ids::ACS_APP_ID;
const DOMAIN: &str = "contoso.com";
const EWS_HOST: &str = "mail.contoso.com";

/// Where the on-premises auth certificate is trusted in the tenant.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TrustMode {
    /// On the shared Office 365 Exchange Online principal, as the runbook writes it.
    Shared,
    /// On a dedicated Exchange hybrid application (2025).
    Dedicated,
}

/// Which text of the runbook.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Edition {
    /// "Configure integration and OAuth between Skype for Business Online and Exchange Server".
    Sfb,
    /// "Configure Integration and OAuth between Microsoft Teams services and Exchange Server"
    /// (2025): TeamsScheduler and CloudVoicemail beside the legacy 00000004-… application.
    Teams,
}

const TEAMS_SCHEDULER: &str = s2s::ids::TEAMS_SCHEDULER_APP_ID;
const CLOUD_VOICEMAIL: &str = s2s::ids::CLOUD_VOICEMAIL_APP_ID;

struct Demo {
    trust: TrustMode,
    edition: Edition,
    exe: PathBuf,
    data: PathBuf,
    work: PathBuf,
    failures: usize,
}

struct Up(Child);
impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Demo {
    /// Runs `hybrid --data DATA ARGS`; (success, stdout, stderr).
    fn h(&self, args: &[&str]) -> (bool, String, String) {
        let o = Command::new(&self.exe)
            .arg("--data")
            .arg(&self.data)
            .args(args)
            .output();
        match o {
            Ok(o) => (
                o.status.success(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            ),
            Err(e) => (false, String::new(), e.to_string()),
        }
    }

    fn check(&mut self, name: &str, ok: bool, detail: &str) -> bool {
        if ok {
            println!("PASS  {name}");
        } else {
            println!("FAIL  {name}");
            for l in detail.lines().take(12) {
                println!("      {l}");
            }
            self.failures += 1;
        }
        ok
    }

    /// Runs a verb as a check; returns its stdout.
    fn step(&mut self, name: &str, args: &[&str]) -> String {
        let (ok, out, err) = self.h(args);
        self.check(name, ok, &format!("{err}{out}"));
        out
    }

    /// What a verb printed with `--json`, read as the servers' own type, and as it came.
    fn read<T: DeserializeOwned + Default>(&mut self, name: &str, args: &[&str]) -> (T, String) {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.step(name, &a);
        (serde_json::from_str(&out).unwrap_or_default(), out)
    }

    /// A listing read as `T`s: the CLI prints one object alone, several as a list.
    fn list<T: DeserializeOwned>(&mut self, name: &str, args: &[&str]) -> (Vec<T>, String) {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum OneOrMany<T> {
            Many(Vec<T>),
            One(T),
        }
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.step(name, &a);
        let found = match serde_json::from_str(&out) {
            Ok(OneOrMany::Many(all)) => all,
            Ok(OneOrMany::One(one)) => vec![one],
            Err(_) => Vec::new(),
        };
        (found, out)
    }

    fn path(&self, name: &str) -> String {
        self.work.join(name).display().to_string()
    }
}

fn url_of(data: &Path, role: &str) -> String {
    std::fs::read_to_string(data.join(role).join("server.url"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

pub fn run(
    keep: bool,
    trust: TrustMode,
    edition: Edition,
    base_port: u16,
    with_hma: bool,
) -> Result<(), CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::Refused {
        code: crate::error::Code::DemoFailed,
        message: e.to_string(),
    })?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let work = std::env::temp_dir().join(format!("hybrid-demo-{}-{stamp}", std::process::id()));
    let data = work.join("data");
    crate::paths::create_private_dir(&data)?;
    let mut d = Demo {
        trust,
        edition,
        exe: exe.clone(),
        data: data.clone(),
        work: work.clone(),
        failures: 0,
    };
    println!(
        "Hybrid demo: the runbook \"{}\"",
        match edition {
            Edition::Sfb =>
                "Configure integration and OAuth between Skype for Business Online and Exchange Server",
            Edition::Teams =>
                "Configure Integration and OAuth between Microsoft Teams services and Exchange Server",
        }
    );
    println!("data folder: {}\n", data.display());
    let up = Command::new(&exe)
        .arg("--data")
        .arg(&data)
        .args(["up", "--base-port", &base_port.to_string(), "--edition"])
        .arg(match edition {
            Edition::Sfb => "sfb",
            Edition::Teams => "teams",
        })
        .env("HYBRID_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Up)
        .map_err(|e| CliError::Refused {
            code: crate::error::Code::DemoFailed,
            message: e.to_string(),
        })?;
    crate::output::progress("starting the three roles (hybrid up) in a fresh data folder");
    let mut ready = false;
    for _ in 0..600 {
        if data.join("ready").exists() {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    println!(
        "== hybrid up: the cloud (Entra ACS's role), on-premises (Exchange's role) and partner (Skype for Business Online's role)"
    );
    if !d.check("the three roles are up and bootstrapped (tenant contoso.com, organization Contoso, alice and bob)", ready, "hybrid up did not get ready") {
        return finish(d, up, keep, &work);
    }
    let cloud = url_of(&data, "cloud");
    let onprem = url_of(&data, "onprem");
    for (r, u) in [
        ("cloud", &cloud),
        ("onprem", &onprem),
        ("partner", &url_of(&data, "partner")),
    ] {
        println!("      {r:<8} {u}");
    }
    let tenant = std::fs::read_dir(data.join("cloud").join("tenants"))
        .ok()
        .and_then(|mut it| it.next())
        .and_then(|e| e.ok())
        .and_then(|e| {
            e.file_name()
                .to_str()
                .map(|s| s.trim_end_matches(".credential").to_string())
        })
        .unwrap_or_default();
    println!("      tenant (realm) {tenant}");
    runbook(&mut d, &cloud, &tenant);
    success_checks(&mut d, &cloud, &onprem, &tenant);
    presence(&mut d);
    calendar(&mut d, &cloud, &onprem, &tenant);
    if d.trust == TrustMode::Dedicated {
        dedicated_connectivity(&mut d, &onprem);
    }
    if with_hma {
        hma::procedure(&mut d, &cloud, &onprem, &tenant);
    }
    doctor(&mut d);
    finish(d, up, keep, &work)
}

fn runbook(d: &mut Demo, cloud: &str, tenant: &str) {
    step_1(d, cloud, tenant);
    steps_2_and_3(d);
    let (cer, shown) = step_4(d);
    if d.edition == Edition::Teams {
        teams_steps_5_to_7(d, &cer, &shown);
        return;
    }
    steps_5_and_6(d, &cer, &shown);
}

/// Step 1, the prerequisite: OAuth between Exchange and the cloud (and, in the dedicated
/// mode, the hybrid application).
fn step_1(d: &mut Demo, cloud: &str, tenant: &str) {
    println!("\n== Step 1 (prerequisite): OAuth between Exchange and the cloud");
    let metadata = format!("{cloud}/{DOMAIN}/metadata/json/1");
    let (a, _): (AuthServer, _) = d.read(
        &format!("New-AuthServer WindowsAzureACS -AuthMetadataUrl {metadata}"),
        &[
            "onprem",
            "new-auth-server",
            "--name",
            "WindowsAzureACS",
            "--auth-metadata-url",
            &metadata,
        ],
    );
    println!(
        "      IssuerIdentifier {}  Realm {}",
        a.issuer_identifier, a.realm
    );
    d.step(
        "enable the Exchange Online partner application",
        &[
            "onprem",
            "set-partner-application",
            "--identity",
            "Exchange Online",
            "--enabled",
            "true",
        ],
    );
    let auth = d.path("auth.cer");
    d.step(
        "export the current auth certificate",
        &["onprem", "export-auth-cert", "--path", &auth],
    );
    d.step(
        &format!("add it to {EXCHANGE}"),
        &[
            "cloud",
            "add-service-principal-key",
            "--service-principal-id",
            EXCHANGE,
            "--type",
            "AsymmetricX509Cert",
            "--usage",
            "Verify",
            "--key-file",
            &auth,
        ],
    );
    d.step(
        &format!("register https://{EWS_HOST}/ as an SPN of {EXCHANGE}"),
        &[
            "cloud",
            "set-service-principal-names",
            "--service-principal-id",
            EXCHANGE,
            "--service-principal-names",
            &format!("https://{EWS_HOST}/"),
        ],
    );

    if d.trust == TrustMode::Dedicated {
        dedicated_application(d, &auth, cloud, tenant);
    }
}

/// Steps 2 and 3 (in the Teams edition, after its own steps 2 to 4): the application account,
/// its roles and the partner application, by the runbook's own lines.
fn steps_2_and_3(d: &mut Demo) {
    if d.edition == Edition::Teams {
        teams_steps_2_to_4(d);
        println!(
            "\n== Step 8: the legacy Skype for Business Online application stays (out-of-office greetings, archiving and conversation history still use it): its steps 2 and 3"
        );
    } else {
        println!("\n== Steps 2 and 3, as the runbook writes them (hybrid onprem run)");
    }
    let script = format!(
        "$user = New-MailUser -Name SfBOnline-ApplicationAccount -ExternalEmailAddress SfBOnline-ApplicationAccount@{DOMAIN} -DomainController dc01.{DOMAIN}\n\
         Set-MailUser -Identity $user.Identity -HiddenFromAddressListsEnabled $True -DomainController dc01.{DOMAIN}\n\
         New-ManagementRoleAssignment -Role UserApplication -User $user.Identity -DomainController dc01.{DOMAIN}\n\
         New-ManagementRoleAssignment -Role ArchiveApplication -User $user.Identity -DomainController dc01.{DOMAIN}\n\
         New-PartnerApplication -Name SfBOnline -ApplicationIdentifier {SKYPE} -Enabled $True -LinkedAccount $user.Identity\n"
    );
    run_lines(d, "steps-2-3.ps1", "run steps 2 and 3", &script);
    let (user, text): (Recipient, _) = d.read(
        "the mail user",
        &[
            "onprem",
            "get-mail-user",
            "--identity",
            "SfBOnline-ApplicationAccount",
        ],
    );
    d.check(
        "it is hidden from address lists",
        user.hidden_from_address_lists_enabled,
        &text,
    );
    let (roles, text): (Vec<RoleAssignment>, _) = d.list(
        "its role assignments",
        &[
            "onprem",
            "get-management-role-assignment",
            "--role-assignee",
            "SfBOnline-ApplicationAccount",
        ],
    );
    let names: Vec<&str> = roles.iter().map(|r| r.role.as_str()).collect();
    d.check(
        "it holds UserApplication and ArchiveApplication",
        names.contains(&"UserApplication") && names.contains(&"ArchiveApplication"),
        &text,
    );
    let (app, text): (PartnerApplication, _) = d.read(
        "partner application SfBOnline",
        &[
            "onprem",
            "get-partner-application",
            "--identity",
            "SfBOnline",
        ],
    );
    d.check(
        "SfBOnline is enabled, for 00000004-…, with its linked account",
        app.enabled
            && app.application_identifier == SKYPE
            && app.linked_account.ends_with("SfBOnline-ApplicationAccount"),
        &text,
    );
}

/// Step 4: the auth certificate exported as OAuthCert.cer; its dates as shown.
fn step_4(d: &mut Demo) -> (String, CertificateShown) {
    println!(
        "\n== Step 4: export the current auth certificate to OAuthConfig\\OAuthCert.cer (DER, no private key)"
    );
    let cer = d.path("OAuthConfig/OAuthCert.cer");
    d.step(
        "export-auth-cert --path OAuthConfig/OAuthCert.cer",
        &["onprem", "export-auth-cert", "--path", &cer],
    );
    let (shown, _): (CertificateShown, _) = d.read("the certificate", &["cert", "show", &cer]);
    println!(
        "      Thumbprint {}  NotBefore {}  NotAfter {}",
        shown.thumbprint, shown.not_before, shown.not_after
    );
    (cer, shown)
}

/// Steps 5 and 6: OAuthCert.cer uploaded to 00000004-…, and its key's dates checked.
fn steps_5_and_6(d: &mut Demo, cer: &str, shown: &CertificateShown) {
    println!(
        "\n== Step 5: upload OAuthCert.cer to Skype for Business Online ({SKYPE}): asymmetric, Verify"
    );
    d.step(
        &format!("add OAuthCert.cer to {SKYPE}"),
        &[
            "cloud",
            "add-service-principal-key",
            "--service-principal-id",
            SKYPE,
            "--type",
            "AsymmetricX509Cert",
            "--usage",
            "Verify",
            "--key-file",
            cer,
        ],
    );

    println!(
        "\n== Step 6: Get-MgServicePrincipal -ServicePrincipalId {SKYPE}: a key with the certificate's dates"
    );
    let (key, text) = uploaded_key(
        d,
        "read the service principal's key credentials",
        SKYPE,
        &shown.thumbprint,
    );
    let key = key.unwrap_or_default();
    let at = |t: &Option<String>| t.clone().unwrap_or_else(|| "-".into());
    println!(
        "      KeyId {}  StartDateTime {}  EndDateTime {}",
        at(&key.key_id),
        at(&key.start_date_time),
        at(&key.end_date_time)
    );
    d.check(
        "StartDateTime is the certificate's NotBefore",
        key.start_date_time.as_deref() == Some(shown.not_before.as_str()),
        &text,
    );
    d.check(
        "EndDateTime is the certificate's NotAfter",
        key.end_date_time.as_deref() == Some(shown.not_after.as_str()),
        &text,
    );
}

/// An act-as token for `smtp` from the real flow: an ACS actor token for the EWS client's own
/// key, wrapped in an outer token for the user.
fn user_token(d: &Demo, cloud: &str, tenant: &str, smtp: &str) -> String {
    let (cert, key) = (d.path("client.pem"), d.path("client-key.pem"));
    let endpoint = format!("{cloud}/{tenant}/tokens/OAuth/2");
    let resource = format!("{EXCHANGE}/{EWS_HOST}@{DOMAIN}");
    let (_, token, _) = d.h(&[
        "token",
        "request",
        "--cert",
        &cert,
        "--key",
        &key,
        "--client",
        SKYPE,
        "--tenant",
        tenant,
        "--token-endpoint",
        &endpoint,
        "--resource",
        &resource,
        "--user-smtp",
        smtp,
    ]);
    token.trim().to_string()
}

/// An EWS request as a client would make it, with an act-as token from the real flow: the
/// answer's messages, and its text to show when a check fails.
fn ews(
    d: &Demo,
    cloud: &str,
    onprem: &str,
    tenant: &str,
    smtp: &str,
    request: &ews::Request,
) -> (Vec<ews::ResponseMessage>, String) {
    let token = user_token(d, cloud, tenant, smtp);
    let text = crate::devca::client(&crate::paths::DataDir {
        root: d.data.clone(),
    })
    .post(format!("{onprem}/EWS/Exchange.asmx"))
    .header("content-type", "text/xml; charset=utf-8")
    .bearer_auth(&token)
    .body(request.to_xml())
    .send()
    .and_then(|r| r.text())
    .unwrap_or_default();
    let messages = ews::Response::parse(&text)
        .map(|r| r.messages)
        .unwrap_or_default();
    (messages, text)
}

/// The items of a FindItem answer.
fn found(messages: &[ews::ResponseMessage]) -> Vec<ews::Item> {
    messages
        .iter()
        .flat_map(|m| match &m.payload {
            ews::Payload::FoundItems(r) => r.entries.clone(),
            _ => Vec::new(),
        })
        .collect()
}

fn find_items(folder: &str) -> ews::Request {
    ews::Request::new(ews::Operation::FindItem(ews::Find {
        shape: ews::Shape::with(&["item:Subject", "item:ItemClass", "item:IsDraft"]),
        paging: Some(ews::IndexedPageView::new(100, 0)),
        calendar_view: None,
        parent_folder_ids: vec![ews::FolderRef::distinguished(folder)],
        ..Default::default()
    }))
}

/// A pull subscription of `smtp`'s Recoverable Items\Purges: its id and watermark.
fn subscribe_to_purges(
    d: &mut Demo,
    cloud: &str,
    onprem: &str,
    tenant: &str,
    smtp: &str,
) -> Option<(String, String)> {
    let request = ews::Request::new(ews::Operation::Subscribe(ews::Subscribe {
        request: ews::SubscriptionRequest::Pull {
            watermark: None,
            timeout: 10,
        },
        all_folders: false,
        folder_ids: vec![ews::FolderRef::distinguished("recoverableitemspurges")],
        event_types: vec![ews::EventType::Created, ews::EventType::Modified],
    }));
    let (messages, text) = ews(d, cloud, onprem, tenant, smtp, &request);
    let subscribed = messages.first().and_then(|m| match &m.payload {
        ews::Payload::Subscribed {
            subscription_id,
            watermark: Some(w),
        } => Some((subscription_id.clone(), w.clone())),
        _ => None,
    });
    d.check(
        "alice's mail client subscribes to notifications of her Recoverable Items\\Purges (pull)",
        subscribed.is_some(),
        &text,
    );
    subscribed
}

/// The client asks for the events since its subscription: the transcript was created in Purges
/// (the partner's CreateItem) and finalised there (UpdateItemInRecoverableItems).
fn notified_of_the_transcript(
    d: &mut Demo,
    cloud: &str,
    onprem: &str,
    tenant: &str,
    smtp: &str,
    subscribed: Option<(String, String)>,
) {
    let Some((subscription_id, watermark)) = subscribed else {
        return;
    };
    let request = ews::Request::new(ews::Operation::GetEvents(ews::GetEvents {
        subscription_id,
        watermark,
    }));
    let (messages, text) = ews(d, cloud, onprem, tenant, smtp, &request);
    let kinds: Vec<ews::EventType> = messages
        .iter()
        .flat_map(|m| match &m.payload {
            ews::Payload::Notification(n) => n.events.iter().map(|e| e.kind).collect(),
            _ => Vec::new(),
        })
        .collect();
    d.check(
        "... and learns of the archived transcript from GetEvents (CreatedEvent, then ModifiedEvent when finalised)",
        kinds.contains(&ews::EventType::Created) && kinds.contains(&ews::EventType::Modified),
        &text,
    );
}

fn success_checks(d: &mut Demo, cloud: &str, onprem: &str, tenant: &str) {
    // The reads below are an EWS client's: its own key on 00000004-…, as a tenant's EWS tool would have.
    let client = d.path("client.pem");
    d.h(&["cert", "new", "--subject", "EWS reader", "--out", &client]);
    d.h(&[
        "cloud",
        "add-service-principal-key",
        "--service-principal-id",
        SKYPE,
        "--key-file",
        &client,
    ]);
    voicemail_greeting(d, cloud, onprem, tenant);
    conversations(d, cloud, onprem, tenant);
    if d.edition == Edition::Teams {
        teams_calendar(d);
    }
    let events = handshake_events(d, onprem);
    explained_token(d, cloud, tenant);
    handshakes_are_oauth(d, tenant, &events);
}

/// Success check 1: the greeting set through the partner is the one an EWS client reads.
fn voicemail_greeting(d: &mut Demo, cloud: &str, onprem: &str, tenant: &str) {
    println!("\n== Success check 1: a cloud voicemail user changes the voicemail greeting");
    let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00".to_vec();
    let greeting = d.path("greeting.wav");
    let _ = std::fs::write(&greeting, &wav);
    let user = format!("alice@{DOMAIN}");
    d.step(
        "set alice's greeting (Um.CustomGreetings.External on her mailbox root)",
        &[
            "partner",
            "set-greeting",
            "--user",
            &user,
            "--file",
            &greeting,
        ],
    );
    wav.extend_from_slice(b"a new greeting");
    let _ = std::fs::write(&greeting, &wav);
    d.step(
        "change it",
        &[
            "partner",
            "set-greeting",
            "--user",
            &user,
            "--file",
            &greeting,
        ],
    );
    let back = d.path("back.wav");
    d.step(
        "read it back through the partner",
        &["partner", "get-greeting", "--user", &user, "--out", &back],
    );
    d.check(
        "it is the new greeting, byte for byte",
        std::fs::read(&back).ok().as_deref() == Some(wav.as_slice()),
        "different bytes",
    );
    let get_greeting = ews::Request::new(ews::Operation::GetUserConfiguration(
        ews::GetUserConfiguration {
            name: ews::UserConfigurationName::new(
                "Um.CustomGreetings.External",
                ews::FolderRef::distinguished("root"),
            ),
            properties: "BinaryData".into(),
        },
    ));
    let (messages, xml) = ews(d, cloud, onprem, tenant, &user, &get_greeting);
    let want = base64::engine::general_purpose::STANDARD.encode(&wav);
    let read = messages.first().and_then(|m| match &m.payload {
        ews::Payload::UserConfiguration(c) => c.binary_data.clone(),
        _ => None,
    });
    d.check(
        "an EWS client reads the same greeting from alice's mailbox",
        read.as_deref() == Some(want.as_str()),
        &xml,
    );
}

/// Success checks 2 and 3: conversation history, and transcripts archived in Purges.
fn conversations(d: &mut Demo, cloud: &str, onprem: &str, tenant: &str) {
    println!(
        "\n== Success checks 2 and 3: IM conversations; Conversation History, and transcripts in Recoverable Items\\Purges"
    );
    let (alice, bob) = (format!("alice@{DOMAIN}"), format!("bob@{DOMAIN}"));
    // alice's mail client subscribes to her Purges folder before the conversation: it will
    // learn of the archived transcript from a notification, not by reading the folder again.
    let subscribed = subscribe_to_purges(d, cloud, onprem, tenant, &alice);
    let (a, _): (ConversationAccepted, _) = d.read(
        "alice and bob hold an IM conversation on a mobile client",
        &[
            "partner",
            "hold-conversation",
            "--participant",
            &alice,
            "--participant",
            &bob,
            "--subject",
            "Lunch?",
            "--message",
            "alice: lunch at noon?",
            "--message",
            "bob: sure",
            "--mobile",
        ],
    );
    let (m, _): (ConversationAccepted, _) = d.read(
        "bob misses a conversation",
        &[
            "partner",
            "hold-conversation",
            "--participant",
            &bob,
            "--subject",
            "Missed: call from alice",
            "--missed",
        ],
    );
    let ids: Vec<String> = [a, m].into_iter().flat_map(|v| v.work_ids).collect();
    let mut done = false;
    for _ in 0..300 {
        done = ids.iter().all(|id| {
            d.h(&["partner", "get-work", "--id", id, "--json"])
                .1
                .contains("\"done\"")
        });
        if done {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    d.check(
        "the partner's queue delivered every piece of work to the on-premises mailboxes",
        done,
        "work still pending",
    );
    let (messages, history) = ews(
        d,
        cloud,
        onprem,
        tenant,
        &bob,
        &find_items("conversationhistory"),
    );
    let classes: Vec<String> = found(&messages)
        .into_iter()
        .filter_map(|i| i.item_class)
        .collect();
    d.check(
        "bob's Conversation History has the conversation (IPM.Note.Microsoft.Conversation)",
        classes
            .iter()
            .any(|c| c == "IPM.Note.Microsoft.Conversation"),
        &history,
    );
    d.check(
        "... and the missed one (IPM.Note.Microsoft.Missed)",
        classes.iter().any(|c| c == "IPM.Note.Microsoft.Missed"),
        &history,
    );
    notified_of_the_transcript(d, cloud, onprem, tenant, &alice, subscribed);
    let (messages, purges) = ews(
        d,
        cloud,
        onprem,
        tenant,
        &alice,
        &find_items("recoverableitemspurges"),
    );
    let transcript = found(&messages)
        .into_iter()
        .find(|i| i.subject.as_deref() == Some("Lunch?"));
    d.check(
        "alice's Recoverable Items\\Purges holds the archived transcript",
        transcript.is_some(),
        &purges,
    );
    d.check(
        "... finalised by UpdateItemInRecoverableItems (no longer a draft)",
        transcript.and_then(|t| t.is_draft) == Some(false),
        &purges,
    );
}

/// Success check 4: the handshakes the on-premises server recorded, printed once each.
fn handshake_events(d: &mut Demo, onprem: &str) -> Vec<HandshakeEvent> {
    println!("\n== Success check 4: the OAuth handshake, as the on-premises server saw it");
    let admin =
        std::fs::read_to_string(d.data.join("onprem").join("admin.credential")).unwrap_or_default();
    let client = crate::devca::client(&crate::paths::DataDir {
        root: d.data.clone(),
    });
    let read = || -> Vec<HandshakeEvent> {
        client
            .get(format!("{onprem}/admin/handshakes?after=0&limit=1000"))
            .bearer_auth(admin.trim())
            .send()
            .and_then(|r| r.json::<HandshakePage>())
            .map(|page| page.events)
            .unwrap_or_default()
    };
    // Events are stored in batches, off the request path: the last call's may take a moment.
    let mut events = read();
    for _ in 0..40 {
        let last_calls_seen = d.edition == Edition::Sfb
            || events.iter().any(|e| e.nameid.starts_with(TEAMS_SCHEDULER));
        if last_calls_seen {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        events = read();
    }
    let mut seen = std::collections::BTreeSet::new();
    for e in &events {
        let line = format!(
            "{:<9} {:<12} iss={} nameid={} user={}",
            e.outcome,
            e.token_kind,
            e.issuer,
            e.nameid,
            if e.user.is_empty() { "-" } else { &e.user }
        );
        if seen.insert(line.clone()) {
            println!("      {line} token={}", e.digest);
        }
    }
    events
}

/// One outer token, explained: the partner's, around ACS's actor token.
fn explained_token(d: &mut Demo, cloud: &str, tenant: &str) {
    println!(
        "      One such request's token, explained (hybrid token inspect; digests, never the token):"
    );
    let token = user_token(d, cloud, tenant, &format!("alice@{DOMAIN}"));
    let (_, explained, _) = d.h(&["token", "inspect", &token]);
    for line in explained.lines() {
        println!("        {line}");
    }
    d.check(
        &format!("the outer token is the partner's: iss {SKYPE}@{tenant}, user alice@{DOMAIN}"),
        explained.contains(&format!("iss                   {SKYPE}@{tenant}"))
            && explained.contains(&format!("smtp                  alice@{DOMAIN}")),
        &explained,
    );
    d.check(
        &format!("its actor token is ACS's: iss {ACS}@{tenant}, nameid {SKYPE}@{tenant}"),
        explained.contains(&format!("iss                   {ACS}@{tenant}"))
            && explained.contains(&format!("nameid                {SKYPE}@{tenant}")),
        &explained,
    );
}

/// Every role called as itself, and nothing secret recorded.
fn handshakes_are_oauth(d: &mut Demo, tenant: &str, events: &[HandshakeEvent]) {
    let partner_id = format!("{SKYPE}@{tenant}");
    d.check(
        &format!(
            "the partner's calls are OAuth: actor nameid {partner_id}, issued by ACS for the realm"
        ),
        events
            .iter()
            .any(|e| e.outcome == "accepted" && e.nameid == partner_id),
        "no accepted handshake for the partner",
    );
    if d.edition == Edition::Teams {
        for (app, what) in [
            (TEAMS_SCHEDULER, "Teams Scheduler"),
            (CLOUD_VOICEMAIL, "Cloud Voicemail"),
            (SKYPE, "the legacy Skype for Business Online application"),
        ] {
            let id = format!("{app}@{tenant}");
            d.check(
                &format!("{what} called as itself: an accepted handshake with nameid {id}"),
                events
                    .iter()
                    .any(|e| e.outcome == "accepted" && e.nameid == id),
                &format!("no accepted handshake for {id}"),
            );
        }
    }
    let text = serde_json::to_string(&events).unwrap_or_default();
    d.check(
        "no user name, password or token is recorded: token digests only",
        !text.contains("eyJ")
            && events
                .iter()
                .all(|e| e.digest.starts_with("sha256:") || e.digest.is_empty()),
        &text,
    );
}

fn presence(d: &mut Demo) {
    println!(
        "\n== What step 5 makes possible: on-premises asks the partner for presence, with a token signed by its auth certificate"
    );
    d.step(
        "bob is busy at the partner",
        &[
            "partner",
            "set-presence",
            "--user",
            "bob@contoso.com",
            "--availability",
            "Busy",
        ],
    );
    let (ok, out, err) = d.h(&[
        "onprem",
        "get-user-presence",
        "--identity",
        "bob@contoso.com",
        "--json",
    ]);
    let v: Presence = serde_json::from_str(&out).unwrap_or_default();
    d.check(
        "on-premises reads bob's presence: Busy (the partner trusts the key uploaded to 00000004-… in step 5)",
        ok && v.availability == "Busy",
        &format!("{err}{out}"),
    );
}

/// The calendar across the trust: a meeting on alice's calendar is her presence at the partner
/// (it reads her free/busy from on-premises EWS under its S2S token), and bob reads her
/// free/busy (GetUserAvailability) as any EWS client does.
fn calendar(d: &mut Demo, cloud: &str, onprem: &str, tenant: &str) {
    println!(
        "\n== The calendar: alice's meeting is her presence at the partner, and bob reads her free/busy"
    );
    let now = time::OffsetDateTime::now_utc();
    let at = |minutes: i64| {
        (now + time::Duration::minutes(minutes))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let leaf = |name: &str, text: String| {
        let mut e = ews::xml::Element::new(ews::NS_TYPES, name);
        e.children.push(ews::xml::Node::Text(text));
        e
    };
    let meeting = ews::Item {
        kind: "CalendarItem".into(),
        subject: Some("Hybrid review".into()),
        other: vec![
            leaf("Start", at(-5)),
            leaf("End", at(55)),
            leaf("LegacyFreeBusyStatus", "Busy".into()),
        ],
        ..Default::default()
    };
    let create = partner::ewsclient::create_item("calendar", meeting);
    let (messages, text) = ews(
        d,
        cloud,
        onprem,
        tenant,
        &format!("alice@{DOMAIN}"),
        &create,
    );
    d.check(
        "alice puts a meeting on her calendar, now to an hour from now (CreateItem)",
        messages.first().is_some_and(|m| m.code == "NoError"),
        &text,
    );
    // No presence set by hand: the partner reads the calendar.
    d.step(
        "alice's presence is not set by hand",
        &[
            "partner",
            "set-presence",
            "--user",
            &format!("alice@{DOMAIN}"),
            "--availability",
            "Available",
        ],
    );
    let (v, text): (Presence, _) = d.read(
        "hybrid partner get-presence --user alice@contoso.com",
        &[
            "partner",
            "get-presence",
            "--user",
            &format!("alice@{DOMAIN}"),
        ],
    );
    d.check(
        "the partner shows alice \"In a meeting\", read from her on-premises calendar",
        v.activity == "InAMeeting" && v.source == "mailbox",
        &text,
    );
    let request = partner::ewsclient::free_busy(&format!("alice@{DOMAIN}"), &at(-60), &at(120));
    let (messages, text) = ews(d, cloud, onprem, tenant, &format!("bob@{DOMAIN}"), &request);
    let busy = messages.iter().any(|m| match &m.payload {
        ews::Payload::FreeBusyView(v) => v.events.iter().any(|e| e.busy_type == "Busy"),
        _ => false,
    });
    d.check(
        "bob reads alice's free/busy (GetUserAvailability): Busy for the meeting",
        busy,
        &text,
    );
}

/// Step 1 as Microsoft runs it since 2025: the certificate moved to a dedicated application,
/// named on the tenant's Entra AuthServer (the EvoSts AuthServer the Hybrid Configuration
/// Wizard creates, of Type AzureAD, from the tenant's federation metadata).
fn dedicated_application(d: &mut Demo, auth: &str, cloud: &str, tenant: &str) {
    println!(
        "\n== Step 1, as since 2025 (CVE-2025-53786): the dedicated Exchange hybrid application"
    );
    let evosts = format!("EvoSts - {tenant}");
    let federation = format!("{cloud}/{tenant}/federationmetadata/2007-06/federationmetadata.xml");
    let (a, text): (AuthServer, _) = d.read(
        &format!("New-AuthServer '{evosts}' -Type AzureAD -AuthMetadataUrl {federation}"),
        &[
            "onprem",
            "new-auth-server",
            "--name",
            &evosts,
            "--type",
            "AzureAD",
            "--auth-metadata-url",
            &federation,
        ],
    );
    d.check(
        "the EvoSts AuthServer trusts the tenant's Entra issuer",
        a.kind == AuthServerType::AzureAD && a.realm == tenant,
        &text,
    );
    let (shown, _): (CertificateShown, _) = d.read("the auth certificate", &["cert", "show", auth]);
    let thumbprint = shown.thumbprint;
    let (v, text): (BTreeMap<String, String>, _) = d.read(
        "configure-hybrid-application --mode full (application, admin consent, certificate; off 00000002-…)",
        &["cloud", "configure-hybrid-application", "--mode", "full", "--certificate", auth],
    );
    let field = |k: &str| v.get(k).cloned().unwrap_or_default();
    let app_id = field("ApplicationId");
    println!(
        "      ApplicationId {app_id}  AuthServer {}",
        field("AuthServer")
    );
    d.check(
        "the application holds the auth certificate and full_access_as_app",
        field("KeyCredentials") == thumbprint && field("AdminConsent") == "full_access_as_app",
        &text,
    );
    let (shared, text): (ServicePrincipal, _) = d.read(
        &format!("Get-MgServicePrincipal {EXCHANGE} -Property KeyCredentials"),
        &[
            "cloud",
            "get-service-principal",
            "--service-principal-id",
            EXCHANGE,
            "--property",
            "KeyCredentials",
        ],
    );
    d.check(
        &format!("{EXCHANGE} holds no on-premises certificate any more"),
        !text.is_empty() && shared.key_credentials.is_empty(),
        &text,
    );
    let (named, text): (Vec<AuthServer>, _) = d.list(
        "Get-AuthServer",
        &["onprem", "get-auth-server", "--identity", &evosts],
    );
    d.check(
        &format!(
            "the AuthServer '{evosts}' names the application (-ApplicationIdentifier, -DomainName)"
        ),
        !app_id.is_empty()
            && named
                .first()
                .is_some_and(|a| a.application_identifier == app_id),
        &text,
    );
}

/// The dedicated mode's own path: the organization gets an Entra token as the dedicated
/// application (its assertion signed with the auth certificate) and calls EWS under it.
fn dedicated_connectivity(d: &mut Demo, onprem: &str) {
    println!(
        "\n== The dedicated application at work: Test-OAuthConnectivity on premises (an Entra token for the application, then EWS)"
    );
    let target = format!("{onprem}/EWS/Exchange.asmx");
    let (ok, out, err) = d.h(&[
        "onprem",
        "test-oauth-connectivity",
        "--service",
        "EWS",
        "--target-uri",
        &target,
        "--mailbox",
        "alice@contoso.com",
        "--json",
    ]);
    let node: ValidationResult = serde_json::from_str::<Vec<ValidationResult>>(&out)
        .ok()
        .and_then(|all| all.into_iter().next())
        .or_else(|| serde_json::from_str(&out).ok())
        .unwrap_or_default();
    for line in node.detail.lines() {
        println!("      {line}");
    }
    d.check(
        "Test-OAuthConnectivity -Service EWS: the dedicated application's token opens alice's inbox",
        ok && node.result_type == "Success",
        &format!("{err}{out}"),
    );
}

fn doctor(d: &mut Demo) {
    println!("\n== hybrid doctor: the whole trust, checked end to end");
    let (ok, out, err) = d.h(&["doctor"]);
    for line in out.lines() {
        println!("      {line}");
    }
    d.check(
        "hybrid doctor finds nothing that breaks the trust",
        ok,
        &err,
    );
    if d.trust == TrustMode::Dedicated {
        let (_, out, err) = d.h(&["doctor", "--json"]);
        let report: Option<Findings> = serde_json::from_str(&out).ok();
        let findings = report
            .iter()
            .flat_map(|r| &r.checks)
            .map(|c| c.findings.len())
            .sum::<usize>();
        d.check(
            "in the dedicated mode hybrid doctor has nothing at all to report",
            report.is_some_and(|r| !r.checks.is_empty()) && findings == 0,
            &format!("{err}{out}"),
        );
    }
}

fn finish(d: Demo, up: Up, keep: bool, work: &Path) -> Result<(), CliError> {
    drop(up);
    println!();
    if !keep {
        let _ = std::fs::remove_dir_all(work);
    } else {
        println!("kept {}", work.display());
    }
    if d.failures == 0 {
        println!("All checks passed.");
        Ok(())
    } else {
        Err(CliError::Refused {
            code: crate::error::Code::DemoFailed,
            message: format!("{} check(s) failed", d.failures),
        })
    }
}

/// The Teams edition's steps 2 to 4, as its text writes them, run by `hybrid onprem run`.
fn teams_steps_2_to_4(d: &mut Demo) {
    println!("\n== Steps 2 to 4 of the Teams edition, as its text writes them (hybrid onprem run)");
    let script = format!(
        "$user = New-MailUser -Name TeamsScheduler -ApplicationAccount -ExternalEmailAddress TeamsScheduler-ApplicationAccount@{DOMAIN}\n\
         Set-MailUser -Identity $user.Identity -HiddenFromAddressListsEnabled $True\n\
         New-ManagementRole -Name TeamsSchedulerRole -Parent UserApplication\n\
         Get-ManagementRoleEntry \"TeamsSchedulerRole\\*\" | where Name -ne GetDelegate | Remove-ManagementRoleEntry -Confirm:$false\n\
         New-ManagementRoleAssignment -Role TeamsSchedulerRole -User $user\n\
         New-PartnerApplication -Name TeamsScheduler -ApplicationIdentifier {TEAMS_SCHEDULER} -Enabled $true -LinkedAccount $user\n\
         New-PartnerApplication -Name CloudVoicemail -ApplicationIdentifier {CLOUD_VOICEMAIL} -Enabled $true\n"
    );
    run_lines(d, "teams-steps-2-4.ps1", "run steps 2 to 4", &script);
    let (entries, text): (Vec<RoleEntry>, _) = d.list(
        "TeamsSchedulerRole's role entries",
        &[
            "onprem",
            "get-management-role-entry",
            "--identity",
            "TeamsSchedulerRole\\*",
        ],
    );
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    d.check(
        "TeamsSchedulerRole allows GetDelegate and nothing else",
        names == ["GetDelegate"],
        &text,
    );
    let (voicemail, text): (PartnerApplication, _) = d.read(
        "partner application CloudVoicemail",
        &[
            "onprem",
            "get-partner-application",
            "--identity",
            "CloudVoicemail",
        ],
    );
    d.check(
        "CloudVoicemail is enabled, for db7de2b5-…, without a linked account",
        voicemail.enabled
            && voicemail.application_identifier == CLOUD_VOICEMAIL
            && voicemail.linked_account.is_empty(),
        &text,
    );
}

/// Steps 5 to 7: the certificate uploaded with Update-MgServicePrincipal's whole list to the
/// three principals, and the dates checked on each.
fn teams_steps_5_to_7(d: &mut Demo, cer: &str, shown: &CertificateShown) {
    for (app, what) in [
        (CLOUD_VOICEMAIL, "Cloud Voicemail"),
        (TEAMS_SCHEDULER, "Teams Scheduler"),
        (SKYPE, "Skype for Business Online"),
    ] {
        println!(
            "\n== Steps 5 to 7: Update-MgServicePrincipal -ServicePrincipalId {app} ({what}) -KeyCredentials (unexpired kept, expired dropped, OAuthCert.cer added once)"
        );
        d.step(
            &format!("upload OAuthCert.cer to {app}"),
            &[
                "cloud",
                "update-service-principal-keys",
                "--service-principal-id",
                app,
                "--certificate",
                cer,
            ],
        );
        let (key, text) = uploaded_key(
            d,
            &format!("read {app}'s key credentials"),
            app,
            &shown.thumbprint,
        );
        d.check(
            &format!("{what}'s key has the certificate's NotBefore and NotAfter"),
            key.is_some_and(|k| {
                k.start_date_time.as_deref() == Some(shown.not_before.as_str())
                    && k.end_date_time.as_deref() == Some(shown.not_after.as_str())
            }),
            &text,
        );
    }
}

/// The Teams calendar reads alice's delegates from on-premises EWS as Teams Scheduler.
fn teams_calendar(d: &mut Demo) {
    println!("\n== The Teams calendar reads alice's delegates (GetDelegate, as Teams Scheduler)");
    let (v, text): (Delegates, _) = d.read(
        "hybrid partner get-delegates --user alice@contoso.com",
        &[
            "partner",
            "get-delegates",
            "--user",
            &format!("alice@{DOMAIN}"),
        ],
    );
    d.check(
        "answered under Teams Scheduler's token (TeamsSchedulerRole allows GetDelegate)",
        v.application == TEAMS_SCHEDULER,
        &text,
    );
}

/// Shows the runbook's shell lines as written, then runs them verbatim (`hybrid onprem run`).
fn run_lines(d: &mut Demo, file: &str, check: &str, script: &str) {
    for l in script.lines() {
        println!("      {l}");
    }
    let path = d.path(file);
    let _ = std::fs::write(&path, script);
    d.step(check, &["onprem", "run", &path]);
}

/// A principal's key credentials as Get-MgServicePrincipal reads them: the one whose
/// thumbprint is `thumbprint`, if any, and the principal as printed.
fn uploaded_key(
    d: &mut Demo,
    check: &str,
    app: &str,
    thumbprint: &str,
) -> (Option<KeyCredential>, String) {
    let (sp, text): (ServicePrincipal, _) = d.read(
        check,
        &[
            "cloud",
            "get-service-principal",
            "--service-principal-id",
            app,
            "--property",
            "KeyCredentials",
        ],
    );
    let key = sp
        .key_credentials
        .into_iter()
        .find(|k| k.custom_key_identifier.as_deref() == Some(thumbprint));
    (key, text)
}
