//! `hybrid onprem …`: the on-premises organization's cmdlets as kebab-case verbs
//! (`hybrid onprem new-mail-user --name … --external-email-address …`), the organization
//! bootstrap, step 4's certificate export, and `run` for Exchange Management Shell lines.

use crate::client::AdminClient;
use crate::ems;
use crate::error::CliError;
use crate::opt::onprem::*;
use crate::output::{Output, format_list};
use crate::paths::{DataDir, read_credential, write_private};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use onprem::model::api::{CmdletRequest, CmdletResponse, PresenceRequest};
use onprem::model::{AuthConfig, ExportedCertificate};
use reqwest::Method;
use s2s::presence::Presence;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

/// `New-MailUser` -> `new-mail-user`; an acronym stays one word (`TrustAnySSLCertificate` ->
/// `trust-any-ssl-certificate`).
pub fn kebab(cmdlet: &str) -> String {
    // "OAuth" is one word, as PowerShell users read it.
    let chars: Vec<char> = cmdlet.replace("OAuth", "Oauth").chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' {
            out.push('-');
        } else if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let starts_word = prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
            if starts_word && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `external-email-address` -> `ExternalEmailAddress`.
fn pascal(flag: &str) -> String {
    flag.split('-')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

impl OnPremArgs {
    fn admin(&self, data: &DataDir) -> Result<AdminClient, CliError> {
        admin_client(data, self.server.as_deref(), self.credential_file.as_ref())
    }
}

/// The organization admin's client: the server recorded under DIR/onprem/ (or `server`), the
/// credential kept there (or `credential_file`).
fn admin_client(
    data: &DataDir,
    server: Option<&str>,
    credential_file: Option<&PathBuf>,
) -> Result<AdminClient, CliError> {
    let server = data.server_url("onprem", server)?;
    let file = credential_file
        .cloned()
        .unwrap_or_else(|| data.role("onprem").join("admin.credential"));
    let credential = read_credential(&file).map_err(|_| CliError::Refused {
        code: crate::error::Code::NotConnected,
        message: format!("no organization admin credential at {} (run `hybrid onprem new-organization`, or pass --credential-file)", file.display()),
    })?;
    Ok(data.client("onprem", &server, &credential))
}

/// Runs one cmdlet without parameters; its objects read as the organization's own type.
pub(crate) fn cmdlet<T: serde::de::DeserializeOwned>(
    client: &AdminClient,
    cmdlet: &str,
) -> Result<Vec<T>, CliError> {
    with(client, cmdlet, admin::Parameters::new())
}

/// Runs one cmdlet; its objects read as the organization's own type.
pub(crate) fn with<T: serde::de::DeserializeOwned>(
    client: &AdminClient,
    cmdlet: &str,
    parameters: admin::Parameters,
) -> Result<Vec<T>, CliError> {
    client.wait(client.onprem().run(cmdlet, parameters))
}

pub fn print_objects(objects: &[Value], out: &Output) {
    if out.json {
        let v = if objects.len() == 1 {
            objects[0].clone()
        } else {
            json!(objects)
        };
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    for o in objects {
        let rows: Vec<(&str, String)> = o
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let shown = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => {
                        if *b {
                            "True".into()
                        } else {
                            "False".into()
                        }
                    }
                    Value::Null => String::new(),
                    Value::Array(a) => format!(
                        "{{{}}}",
                        a.iter()
                            .map(|x| x
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    other => other.to_string(),
                };
                (k.as_str(), shown)
            })
            .collect();
        println!("{}", format_list(&rows));
    }
}

/// What `new-organization` prints: the organization as created (its credential is kept in
/// the file, not shown).
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct OrganizationCreated {
    #[serde(flatten)]
    organization: onprem::model::Organization,
    current_certificate_thumbprint: String,
    admin_credential_file: String,
}

pub fn run(args: OnPremArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    match &args.command {
        OnPremCommand::NewOrganization(o) => new_organization(&args, o, data, out),
        OnPremCommand::GetUserPresence(o) => get_user_presence(&args, o, data, out),
        OnPremCommand::ExportAuthCert(o) => export_auth_cert(&args, o, data, out),
        OnPremCommand::Run(o) => run_script(&args.admin(data)?, &o.file, out),
        OnPremCommand::Cmdlet(words) => cmdlet_words(&args, words, data, out),
    }
}

/// A cmdlet as kebab-case words (`new-mail-user --name …`), run on the server.
fn cmdlet_words(
    args: &OnPremArgs,
    words: &[String],
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    // The whole command's options may follow the verb too.
    let (words, t) = split_trailing(words)?;
    if t.help {
        return cmdlet_help(words.first().map(String::as_str).unwrap_or(""));
    }
    let CmdletCall {
        cmdlet,
        params,
        file_out,
    } = cmdlet_from_words(&words)?;
    let data = t
        .data
        .map(|root| DataDir { root })
        .unwrap_or_else(|| data.clone());
    let client = admin_client(
        &data,
        t.server.as_deref().or(args.server.as_deref()),
        t.credential_file.as_ref().or(args.credential_file.as_ref()),
    )?;
    let json_out = Output {
        json: out.json || t.json,
    };
    let out = &json_out;
    let mut session = Session::new(&client, out);
    let objects = session
        .call(&cmdlet, params)
        .map_err(|e| suggest_parameter(e, &cmdlet))?;
    if let Some(path) = file_out {
        let data = objects
            .first()
            .and_then(|o| o["FileData"].as_str())
            .unwrap_or_default();
        let bytes = STANDARD.decode(data).map_err(|e| CliError::Refused {
            code: crate::error::Code::UnexpectedResponse,
            message: e.to_string(),
        })?;
        std::fs::write(&path, bytes).map_err(|e| CliError::io(&path, e))?;
        eprintln!("wrote {}", path.display());
    }
    print_objects(&objects, out);
    // As the partner's run of it: a test that did not succeed is a failed command.
    if cmdlet == "Test-OAuthConnectivity" && objects.iter().any(|o| o["ResultType"] != "Success") {
        return Err(CliError::Refused {
            code: crate::error::Code::OAuthConnectivityFailed,
            message: "the EWS call under OAuth did not succeed; Detail says where it stopped"
                .into(),
        });
    }
    Ok(())
}

fn new_organization(
    args: &OnPremArgs,
    o: &NewOrganizationOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let NewOrganizationOpt {
        name,
        domain,
        ews_url,
    } = o;
    let server = data.server_url("onprem", args.server.as_deref())?;
    let op_file = args
        .credential_file
        .clone()
        .unwrap_or_else(|| data.role("onprem").join("operator.credential"));
    let client = data.client("onprem", &server, &read_credential(&op_file)?);
    let req = onprem::model::api::NewOrganizationRequest {
        name: name.clone(),
        domain_name: domain.clone(),
        ews_url: ews_url.clone(),
    };
    let made = client.wait(client.onprem().new_organization(&req))?;
    let file = data.role("onprem").join("admin.credential");
    write_private(&file, &format!("{}\n", made.admin_credential))?;
    let shown = OrganizationCreated {
        organization: made.organization,
        current_certificate_thumbprint: made.current_certificate_thumbprint,
        admin_credential_file: file.display().to_string(),
    };
    print_objects(&[serde_json::to_value(&shown).unwrap_or_default()], out);
    Ok(())
}

fn get_user_presence(
    args: &OnPremArgs,
    o: &GetUserPresenceOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let GetUserPresenceOpt {
        identity,
        partner_url,
    } = o;
    let client = args.admin(data)?;
    let partner = data.server_url("partner", partner_url.as_deref())?;
    let ask = PresenceRequest {
        identity: identity.clone(),
        partner_url: partner,
    };
    let v: Presence = client.send(Method::POST, "/admin/presence", &ask)?;
    out.record(
        &[
            ("Identity", identity.clone()),
            ("SipAddress", v.sip.clone()),
            ("Availability", v.availability.clone()),
        ],
        &v,
    );
    Ok(())
}

/// A certificate of the organization, DER, as Export-ExchangeCertificate -BinaryEncoded gives it.
pub(crate) fn export_certificate(
    client: &AdminClient,
    thumbprint: &str,
) -> Result<Vec<u8>, CliError> {
    let p = admin::Parameters::new()
        .with("Thumbprint", thumbprint)
        .with("BinaryEncoded", true);
    let exported: Vec<ExportedCertificate> = with(client, "Export-ExchangeCertificate", p)?;
    STANDARD
        .decode(
            exported
                .first()
                .map(|e| e.file_data.as_str())
                .unwrap_or_default(),
        )
        .map_err(|e| CliError::Refused {
            code: crate::error::Code::UnexpectedResponse,
            message: e.to_string(),
        })
}

fn export_auth_cert(
    args: &OnPremArgs,
    o: &ExportAuthCertOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let ExportAuthCertOpt { path } = o;
    let client = args.admin(data)?;
    let cfg: Vec<AuthConfig> = cmdlet(&client, "Get-AuthConfig")?;
    let thumb = cfg
        .first()
        .map(|c| c.current_certificate_thumbprint.clone())
        .unwrap_or_default();
    let der = export_certificate(&client, &thumb)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    }
    std::fs::write(path, &der).map_err(|e| CliError::io(path, e))?;
    let rows = [
        ("Thumbprint", thumb.clone()),
        ("Path", path.display().to_string()),
        ("Bytes", der.len().to_string()),
    ];
    out.record(
        &rows,
        &Exported {
            thumbprint: thumb,
            path: path.display().to_string(),
            bytes: der.len(),
        },
    );
    Ok(())
}

/// The whole command's options found after a cmdlet verb (clap hands the verb's words over as
/// they are): `--data`, `--server`, `--credential-file`, `--tenant` (the organization has one),
/// `--json` and `--help`.
#[derive(Default)]
struct Trailing {
    data: Option<PathBuf>,
    server: Option<String>,
    credential_file: Option<PathBuf>,
    json: bool,
    help: bool,
}

fn split_trailing(words: &[String]) -> Result<(Vec<String>, Trailing), CliError> {
    let mut t = Trailing::default();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (w.as_str(), None),
        };
        match flag {
            "--data" | "--server" | "--credential-file" | "--tenant" => {
                let v = match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        words
                            .get(i)
                            .filter(|v| !v.starts_with("--"))
                            .cloned()
                            .ok_or_else(|| CliError::Usage(format!("{flag} needs a value")))?
                    }
                };
                match flag {
                    "--data" => t.data = Some(v.into()),
                    "--server" => t.server = Some(v),
                    "--credential-file" => t.credential_file = Some(v.into()),
                    _ => {}
                }
            }
            "--json" => t.json = true,
            "--help" | "-h" => t.help = true,
            _ => rest.push(w.clone()),
        }
        i += 1;
    }
    Ok((rest, t))
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// `(did you mean X?)` for the nearest of `candidates`, when one is near.
fn did_you_mean(word: &str, candidates: impl Iterator<Item = String>) -> String {
    let word = word.to_ascii_lowercase();
    candidates
        .map(|c| (distance(&word, &c.to_ascii_lowercase()), c))
        .min()
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .map(|(_, c)| format!(" (did you mean {c}?)"))
        .unwrap_or_default()
}

/// The server's refusal of an unknown parameter, with the nearest the cmdlet has.
fn suggest_parameter(e: CliError, cmdlet: &str) -> CliError {
    match e {
        CliError::Refused { code, message } if message.contains("A parameter cannot be found") => {
            let unknown = message.split('\'').nth(1).unwrap_or_default();
            let names = onprem::cmdlets::parameter_sets(cmdlet)
                .into_iter()
                .flatten()
                .map(|p| format!("--{}", kebab(&p.name).trim_start_matches('-')));
            let hint = did_you_mean(
                &format!("--{}", kebab(unknown).trim_start_matches('-')),
                names,
            );
            CliError::Refused {
                code,
                message: format!("{message}{hint}"),
            }
        }
        other => other,
    }
}

/// The cmdlet a kebab-case verb names, or a usage error with the nearest one.
fn cmdlet_named(verb: &str) -> Result<&'static str, CliError> {
    onprem::cmdlets::CMDLETS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| kebab(n) == verb.to_ascii_lowercase())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "'{verb}' is not a cmdlet here{}; see `hybrid onprem --help`",
                did_you_mean(verb, onprem::cmdlets::CMDLETS.iter().map(|(n, _)| kebab(n)))
            ))
        })
}

/// `hybrid onprem <cmdlet> --help`: the cmdlet's parameters, their types and which are
/// mandatory, by parameter set, as Get-Help shows them.
fn cmdlet_help(verb: &str) -> Result<(), CliError> {
    let cmdlet = cmdlet_named(verb)?;
    println!("{cmdlet} (hybrid onprem {})", kebab(cmdlet));
    let help = onprem::cmdlet_help::synopsis(cmdlet);
    if let Some((text, _)) = help {
        println!("\n{text}");
    }
    let sets = onprem::cmdlets::parameter_sets(cmdlet);
    for (i, set) in sets.iter().enumerate() {
        if sets.len() > 1 {
            println!("\nParameter set {}:", i + 1);
        } else {
            println!("\nParameters:");
        }
        if set.is_empty() {
            println!("  (none)");
        }
        for p in set {
            let value = match p.kind.as_str() {
                "bool" => " true|false",
                "switch" => "",
                "date" => " <date, e.g. 2026-12-31T00:00:00Z>",
                "int" => " <number>",
                "list" => " <value,value,…>",
                _ => " <text>",
            };
            let flag = format!("--{}{value}", kebab(&p.name).trim_start_matches('-'));
            let kind = if p.kind == "switch" {
                "switch"
            } else {
                p.kind.as_str()
            };
            println!(
                "  {flag:<52} {kind:<7} {}",
                if p.mandatory { "mandatory" } else { "optional" }
            );
            if let Some(d) = onprem::cmdlet_help::parameter(cmdlet, &p.name) {
                println!("      {d}");
            }
        }
    }
    if onprem::safety::changes(cmdlet) {
        println!(
            "\n--what-if shows what it would do and changes nothing; --confirm:false runs a high-impact change without asking."
        );
    }
    if let Some((_, example)) = help {
        if example.starts_with("hybrid ") {
            println!("\nExample:\n  {example}");
        } else {
            println!("\nExample (a line of `hybrid onprem run`):\n  {example}");
        }
    }
    println!(
        "\n--domain-controller is accepted and has no effect; --data, --server, --credential-file and --json may come before or after the verb."
    );
    Ok(())
}

/// A cmdlet call read from the command line.
struct CmdletCall {
    cmdlet: String,
    params: Map<String, Value>,
    /// Where an Export- writes its FileData.
    file_out: Option<PathBuf>,
}

/// `new-mail-user --name X --hidden true --publish-certificate` -> `New-MailUser` and its
/// parameters. `--file-name` reads the file for Import- (as FileData) and names the output for
/// Export-.
fn cmdlet_from_words(words: &[String]) -> Result<CmdletCall, CliError> {
    let verb = words
        .first()
        .ok_or_else(|| CliError::Usage("no cmdlet given".into()))?;
    let cmdlet = cmdlet_named(verb)?;
    let mut params = Map::new();
    let mut file_out = None;
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        let Some(flag) = w.strip_prefix("--") else {
            return Err(CliError::Usage(format!(
                "unexpected '{w}': parameters are --name value"
            )));
        };
        // `--enabled=false`, and as the shell writes it, `--confirm:$false`.
        let (flag, inline) = match flag.split_once(['=', ':']) {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (flag.to_string(), None),
        };
        let value = match inline {
            Some(v) if v.is_empty() => {
                return Err(CliError::Usage(format!(
                    "--{flag}: has no value (a shell turns an unquoted $false into nothing): write --{flag}:false, or quote it: --{flag}:'$false'"
                )));
            }
            Some(v) if matches!(v.to_ascii_lowercase().as_str(), "$false" | "$true") => {
                Value::Bool(v.eq_ignore_ascii_case("$true"))
            }
            Some(v) => Value::String(v),
            None if words.get(i + 1).is_some_and(|n| !n.starts_with("--")) => {
                i += 1;
                Value::String(words[i].clone())
            }
            None => {
                // A bare flag is a switch; a parameter that takes a value lacks it.
                let kind = onprem::cmdlets::parameter_sets(cmdlet)
                    .into_iter()
                    .flatten()
                    .find(|p| p.name.eq_ignore_ascii_case(&pascal(&flag)))
                    .map(|p| p.kind);
                if let Some(k) = kind.filter(|k| k != "bool" && k != "switch") {
                    let type_name = match k.as_str() {
                        "date" => "System.DateTime",
                        "int" => "System.Int32",
                        "list" => "System.String[]",
                        _ => "System.String",
                    };
                    return Err(CliError::Usage(format!(
                        "Missing an argument for parameter '{}'. Specify a parameter of type '{type_name}' and try again.",
                        pascal(&flag)
                    )));
                }
                Value::Bool(true)
            }
        };
        i += 1;
        if flag == "json" {
            continue;
        }
        if flag == "file-name" {
            let path = PathBuf::from(value.as_str().unwrap_or_default());
            if cmdlet.starts_with("Import-") {
                let bytes = std::fs::read(&path).map_err(|e| CliError::io(&path, e))?;
                params.insert("FileData".into(), json!(STANDARD.encode(bytes)));
            } else {
                file_out = Some(path);
            }
            continue;
        }
        params.insert(pascal(&flag), value);
    }
    Ok(CmdletCall {
        cmdlet: cmdlet.to_string(),
        params,
        file_out,
    })
}

/// Calls cmdlets for the user as the shell does: a high-impact change is confirmed first
/// (asked on a terminal, refused without one unless `-Confirm:$false` was given), and a
/// `-WhatIf` call's "What if:" line is shown.
struct Session<'c> {
    client: &'c AdminClient,
    out: &'c Output,
    /// Whether the user can be asked: standard input and error are a terminal.
    terminal: bool,
    /// "Yes to All" (true) or "No to All" (false), once answered.
    to_all: Option<bool>,
}

impl<'c> Session<'c> {
    fn new(client: &'c AdminClient, out: &'c Output) -> Self {
        use std::io::IsTerminal;
        Session {
            client,
            out,
            terminal: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            to_all: None,
        }
    }

    /// Runs one cmdlet; an empty output when the user declined it.
    fn call(&mut self, cmdlet: &str, params: Map<String, Value>) -> Result<Vec<Value>, CliError> {
        let Some(params) = self.confirmed(cmdlet, params)? else {
            return Ok(Vec::new());
        };
        let request = CmdletRequest {
            cmdlet: cmdlet.to_string(),
            parameters: params,
        };
        // The objects are shown as they came, whatever the cmdlet: JSON by nature here.
        let v: CmdletResponse<Value> = self.client.send(Method::POST, "/admin/cmdlet", &request)?;
        for line in &v.what_if {
            if self.out.json {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
        Ok(v.output)
    }

    /// The parameters to send (with `Confirm` false once the user said yes), or None when the
    /// user said no.
    fn confirmed(
        &mut self,
        cmdlet: &str,
        mut params: Map<String, Value>,
    ) -> Result<Option<Map<String, Value>>, CliError> {
        let p = onprem::params::Params::new(cmdlet, params.clone());
        let asked = p.bool("Confirm").ok().flatten();
        let what_if = p.bool("WhatIf").ok().flatten() == Some(true);
        let must_ask = match asked {
            Some(false) => false,
            Some(true) => true,
            None => onprem::safety::high_impact(cmdlet, &p),
        };
        if !onprem::safety::changes(cmdlet) || what_if || !must_ask {
            return Ok(Some(params));
        }
        let operation = onprem::safety::operation(cmdlet);
        let target = onprem::safety::target(cmdlet, &p);
        let yes = match self.to_all {
            Some(all) => all,
            None if !self.terminal => {
                return Err(CliError::Refused {
                    code: crate::error::Code::ConfirmationRequired,
                    message: format!(
                        "Performing the operation \"{operation}\" on target \"{target}\" needs confirmation and there is no terminal to ask on; nothing was changed. Add --confirm:false (in a script: -Confirm:$false) to confirm it in advance."
                    ),
                });
            }
            None => self.ask(&operation, &target)?,
        };
        if !yes {
            return Ok(None);
        }
        params.retain(|k, _| !k.eq_ignore_ascii_case("Confirm"));
        params.insert("Confirm".into(), Value::Bool(false));
        Ok(Some(params))
    }

    /// The shell's confirmation prompt, on standard error; the answer from standard input.
    fn ask(&mut self, operation: &str, target: &str) -> Result<bool, CliError> {
        use std::io::{BufRead, Write};
        let mut stderr = std::io::stderr();
        loop {
            let _ = write!(
                stderr,
                "\nConfirm\nAre you sure you want to perform this action?\nPerforming the operation \"{operation}\" on target \"{target}\".\n[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [?] Help (default is \"Y\"): "
            );
            let _ = stderr.flush();
            let mut answer = String::new();
            let read = std::io::stdin()
                .lock()
                .read_line(&mut answer)
                .map_err(|e| CliError::Io {
                    path: "stdin".into(),
                    source: e,
                })?;
            if read == 0 {
                // The terminal closed: nothing is confirmed.
                return Ok(false);
            }
            match answer.trim().to_ascii_lowercase().as_str() {
                "" | "y" | "yes" => return Ok(true),
                "a" => {
                    self.to_all = Some(true);
                    return Ok(true);
                }
                "n" | "no" => return Ok(false),
                "l" => {
                    self.to_all = Some(false);
                    return Ok(false);
                }
                _ => {
                    let _ = writeln!(
                        stderr,
                        "Y - Continue with only the next step of the operation.\nA - Continue with all the steps of the operation.\nN - Skip this operation and proceed with the next operation.\nL - Skip this operation and all subsequent operations."
                    );
                }
            }
        }
    }
}

/// The statement's cmdlet, then each stage of its pipeline: a filter keeps some objects, a
/// selection keeps some properties, a cmdlet is run for each object with its Identity (and
/// the stage's own parameters).
fn run_pipeline(
    session: &mut Session,
    st: &ems::Statement,
    params: Map<String, Value>,
    vars: &HashMap<String, Value>,
) -> Result<Vec<Value>, CliError> {
    let mut objects = session.call(&st.cmdlet, params)?;
    for stage in &st.pipeline {
        objects = match stage {
            ems::Stage::Where(c) => objects.into_iter().filter(|o| c.keeps(o)).collect(),
            ems::Stage::Select(names) => objects.iter().map(|o| selected(o, names)).collect(),
            ems::Stage::Cmdlet(next) => {
                let mut out = Vec::new();
                for o in &objects {
                    let mut p = ems::bind(next, vars).map_err(|m| CliError::Refused {
                        code: crate::error::Code::ParameterBindingException,
                        message: m,
                    })?;
                    if !p.keys().any(|k| k.eq_ignore_ascii_case("Identity")) {
                        p.insert("Identity".into(), o["Identity"].clone());
                    }
                    out.extend(session.call(&next.cmdlet, p)?);
                }
                out
            }
        };
    }
    Ok(objects)
}

/// The named properties of `object`, in the order named (names matched without regard to case).
fn selected(object: &Value, names: &[String]) -> Value {
    let mut out = Map::new();
    for n in names {
        let found = object
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)));
        match found {
            Some((k, v)) => out.insert(k.clone(), v.clone()),
            None => out.insert(n.clone(), Value::Null),
        };
    }
    Value::Object(out)
}

/// Objects as `Format-Table` shows them: a header of property names, a row each.
fn print_table(objects: &[Value]) {
    let mut columns: Vec<String> = Vec::new();
    for o in objects {
        for k in o.as_object().into_iter().flatten().map(|(k, _)| k) {
            if !columns.contains(k) && columns.len() < 6 {
                columns.push(k.clone());
            }
        }
    }
    let cell = |o: &Value, c: &str| match &o[c] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => crate::output::ps_bool(*b),
        other => other.to_string(),
    };
    let widths: Vec<usize> = columns
        .iter()
        .map(|c| {
            objects
                .iter()
                .map(|o| cell(o, c).chars().count())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
                .min(48)
        })
        .collect();
    let row = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{:<w$}", c.chars().take(*w).collect::<String>()))
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end()
            .to_string()
    };
    println!("\n{}", row(columns.clone()));
    println!("{}", row(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for o in objects {
        println!("{}", row(columns.iter().map(|c| cell(o, c)).collect()));
    }
    println!();
}

/// What of step 4's ExportAuthCert.ps1 a pasted script may hold: the Windows certificate store
/// and .NET file calls, which this shell does not run.
const EXPORT_SCRIPT_MARKS: &[&str] = &[
    "cert:\\",
    "x509contenttype",
    "writeallbytes",
    ".currentcertificatethumbprint",
    "oauthcert.cer",
];

fn read_script(file: &str) -> Result<String, CliError> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(4 * 1024 * 1024)
            .read_to_string(&mut s)
            .map_err(|e| CliError::Io {
                path: "stdin".into(),
                source: e,
            })?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| CliError::io(std::path::Path::new(file), e))
    }
}

fn run_script(client: &AdminClient, file: &str, out: &Output) -> Result<(), CliError> {
    let text = read_script(file)?;
    let statements = check_script(&text)?;
    let mut session = Session::new(client, out);
    let mut vars: HashMap<String, Value> = HashMap::new();
    for (n, st) in statements.iter().enumerate() {
        let what_ran = if n == 0 {
            "nothing was run"
        } else {
            "the lines before it ran, nothing from this line on"
        };
        let params = ems::bind(st, &vars).map_err(|m| CliError::Refused {
            code: crate::error::Code::ParameterBindingException,
            message: format!("line {}: {m}; {what_ran}", st.line),
        })?;
        let objects = run_pipeline(&mut session, st, params, &vars).map_err(|e| match e {
            CliError::Refused { code, message } => CliError::Refused {
                code,
                message: format!(
                    "line {} ({}): {message}; {}",
                    st.line,
                    st.cmdlet,
                    if n == 0 {
                        "nothing else was run"
                    } else {
                        "the lines before it ran, nothing after it"
                    }
                ),
            },
            other => other,
        })?;
        match &st.assign_to {
            Some(name) => {
                vars.insert(
                    name.clone(),
                    objects.first().cloned().unwrap_or(Value::Null),
                );
            }
            None if st.format == ems::Format::Table && !out.json => print_table(&objects),
            None => print_objects(&objects, out),
        }
    }
    Ok(())
}

/// A refusal of the script before anything runs, at `line` and `column` (1-based).
fn script_error(code: crate::error::Code, line: usize, column: usize, message: String) -> CliError {
    CliError::Refused {
        code,
        message: format!("line {line}, column {column}: {message}; nothing was run"),
    }
}

/// Where `needle` stands in line `line` of `text` (1-based; 1 when not found).
fn column_of(text: &str, line: usize, needle: &str) -> usize {
    text.lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| {
            let lower = l.to_ascii_lowercase();
            lower.find(&needle.to_ascii_lowercase())
        })
        .map_or(1, |c| c + 1)
}

/// Checks the whole script before any line runs: it parses; every cmdlet is one this server
/// runs; every parameter is the cmdlet's, in one parameter set with its mandatory ones; every
/// variable is set by an earlier line; no runbook placeholder (`<DomainControllerFQDN>`) is
/// left in. Step 4's export script is pointed to the command that does it.
fn check_script(text: &str) -> Result<Vec<ems::Statement>, CliError> {
    let lower = text.to_ascii_lowercase();
    if let Some(mark) = EXPORT_SCRIPT_MARKS.iter().find(|m| lower.contains(*m)) {
        let line = lower[..lower.find(mark).unwrap_or(0)]
            .lines()
            .count()
            .max(1);
        return Err(script_error(
            crate::error::Code::ExportScriptNotRun,
            line,
            column_of(text, line, mark),
            "this is step 4's export script (ExportAuthCert.ps1), which works on the Windows certificate store; here the same export is one command: hybrid onprem export-auth-cert --path OAuthConfig/OAuthCert.cer".into(),
        ));
    }
    let statements = ems::parse(text).map_err(|e| CliError::Refused {
        code: crate::error::Code::ScriptParseError,
        message: format!("line {}: {}; nothing was run", e.line, e.message),
    })?;
    let mut defined: Vec<String> = Vec::new();
    for st in &statements {
        check_statement(text, st, &defined, false)?;
        for stage in &st.pipeline {
            if let ems::Stage::Cmdlet(next) = stage {
                check_statement(text, next, &defined, true)?;
            }
        }
        if let Some(name) = &st.assign_to {
            defined.push(name.to_ascii_lowercase());
        }
    }
    Ok(statements)
}

fn check_statement(
    text: &str,
    st: &ems::Statement,
    defined: &[String],
    piped: bool,
) -> Result<(), CliError> {
    let at = |needle: &str| column_of(text, st.line, needle);
    let Some(cmdlet) = onprem::cmdlets::canonical(&st.cmdlet) else {
        let hint = did_you_mean(
            &st.cmdlet,
            onprem::cmdlets::CMDLETS.iter().map(|(n, _)| n.to_string()),
        );
        return Err(script_error(
            crate::error::Code::CommandNotFoundException,
            st.line,
            at(&st.cmdlet),
            format!("'{}' is not a cmdlet this server runs{hint}", st.cmdlet),
        ));
    };
    let mut args: Vec<&ems::Arg> = st.params.iter().map(|(_, a)| a).collect();
    args.extend(&st.positional);
    while let Some(a) = args.pop() {
        match a {
            ems::Arg::List(items) => args.extend(items),
            ems::Arg::Var(name, _) if !defined.contains(&name.to_ascii_lowercase()) => {
                return Err(script_error(
                    crate::error::Code::VariableNotSet,
                    st.line,
                    at(&format!("${name}")),
                    format!("the variable ${name} is not set by an earlier line"),
                ));
            }
            ems::Arg::Text(t) if t.starts_with('<') && t.ends_with('>') && t.len() > 2 => {
                return Err(script_error(
                    crate::error::Code::PlaceholderLeft,
                    st.line,
                    at(t),
                    format!(
                        "'{t}' is a placeholder of the runbook: put your own value in its place"
                    ),
                ));
            }
            _ => {}
        }
    }
    // The parameters as bound, without their values (variables are set only as lines run).
    let mut names = Map::new();
    for (k, _) in &st.params {
        names.insert(k.clone(), Value::Bool(true));
    }
    match st.positional.len() {
        0 => {}
        1 => {
            let name = if cmdlet.starts_with("New-") {
                "Name"
            } else {
                "Identity"
            };
            names.insert(name.into(), Value::Bool(true));
        }
        n => {
            return Err(script_error(
                crate::error::Code::ParameterBindingException,
                st.line,
                at(&st.cmdlet),
                format!(
                    "{n} values are given without parameter names; name them (-Identity, -Name, …)"
                ),
            ));
        }
    }
    if piped && !names.keys().any(|k| k.eq_ignore_ascii_case("Identity")) {
        names.insert("Identity".into(), Value::Bool(true));
    }
    let p = onprem::params::Params::new(cmdlet, names);
    onprem::safety::check_parameters(cmdlet, &p).map_err(|e| {
        let column = match &e {
            onprem::error::OnPremError::UnknownParameter(n) => at(&format!("-{n}")),
            _ => at(&st.cmdlet),
        };
        let hint = match &e {
            onprem::error::OnPremError::UnknownParameter(n) => did_you_mean(
                n,
                onprem::cmdlets::parameter_sets(cmdlet)
                    .into_iter()
                    .flatten()
                    .map(|p| p.name),
            ),
            _ => String::new(),
        };
        script_error(
            crate::error::Code::from_wire(e.code()),
            st.line,
            column,
            format!("{cmdlet}: {e}{hint}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cmdlet_example_is_a_line_onprem_run_reads() {
        for (cmdlet, _, example) in onprem::cmdlet_help::SYNOPSES {
            if example.starts_with("hybrid ") {
                continue;
            }
            let parsed =
                crate::ems::parse(example).unwrap_or_else(|e| panic!("{cmdlet}: {example}: {e:?}"));
            assert_eq!(parsed.len(), 1, "{example}");
        }
    }

    #[test]
    fn kebab_names_round_trip_every_cmdlet_and_help_lists_them() {
        for (name, _) in onprem::cmdlets::CMDLETS {
            let k = kebab(name);
            assert!(CMDLET_HELP.contains(&k), "{k} is missing from the help");
            assert_eq!(
                cmdlet_from_words(std::slice::from_ref(&k)).unwrap().cmdlet,
                *name
            );
        }
        assert_eq!(
            kebab("New-ManagementRoleAssignment"),
            "new-management-role-assignment"
        );
        assert_eq!(pascal("external-email-address"), "ExternalEmailAddress");
        assert_eq!(kebab("Test-OAuthConnectivity"), "test-oauth-connectivity");
        let p = cmdlet_from_words(&[
            "set-auth-config".into(),
            "--publish-certificate".into(),
            "--clear-previous-certificate".into(),
            "--realm=x".into(),
        ])
        .unwrap()
        .params;
        assert_eq!(p["PublishCertificate"], json!(true));
        assert_eq!(p["Realm"], json!("x"));
        assert!(cmdlet_from_words(&["frobnicate".into()]).is_err());
    }
}

/// What `export-auth-cert` prints.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Exported {
    thumbprint: String,
    path: String,
    bytes: usize,
}
