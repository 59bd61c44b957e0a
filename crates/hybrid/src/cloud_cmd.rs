//! `hybrid cloud …`: the cloud directory's admin verbs, in the runbook's words
//! (Connect-MgGraph, Get-MgServicePrincipal, Add-MgServicePrincipalKey, Set-MsolServicePrincipal).

use crate::client::AdminClient;
use crate::error::CliError;
use crate::output::{Output, format_list};
use crate::paths::{DataDir, read_credential, write_private};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(Args)]
pub struct CloudArgs {
    /// The cloud server's URL. Default: the one `hybrid serve cloud` recorded under DIR/cloud/.
    #[arg(long, global = true)]
    server: Option<String>,
    /// The tenant to act on (id or verified domain), when more than one is known here.
    #[arg(long, global = true)]
    tenant: Option<String>,
    /// A credential file to use instead of the one kept under DIR/cloud/.
    #[arg(long, global = true)]
    credential_file: Option<PathBuf>,
    #[command(subcommand)]
    command: CloudCommand,
}

#[derive(Subcommand)]
pub enum CloudCommand {
    /// Create a tenant: its realm (tenant id), verified domains, the first-party service
    /// principals, and a tenant administrator credential (shown once, kept under DIR/cloud/).
    /// Needs the server operator credential.
    NewTenant {
        /// The tenant's primary verified domain, e.g. contoso.com.
        #[arg(long)]
        domain: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Sign in to a tenant with an administrator credential, as Connect-MgGraph does, and keep
    /// the credential under DIR/cloud/ for later verbs.
    Connect,
    /// Show service principals (all, or one by appId or object id), as Get-MgServicePrincipal.
    GetServicePrincipal {
        #[arg(long)]
        service_principal_id: Option<String>,
        /// `KeyCredentials` lists the keys with their start and end dates (runbook step 6).
        #[arg(long)]
        property: Option<String>,
    },
    /// Add a certificate as a key credential of a service principal (runbook step 5:
    /// asymmetric, usage Verify), as Add-MgServicePrincipalKey / New-MsolServicePrincipalCredential.
    AddServicePrincipalKey(AddKeyArgs),
    /// Remove a key credential by its keyId.
    RemoveServicePrincipalKey {
        #[arg(long)]
        service_principal_id: String,
        #[arg(long)]
        key_id: String,
    },
    /// Replace a service principal's SPNs, as Set-MsolServicePrincipal -ServicePrincipalNames.
    SetServicePrincipalNames {
        #[arg(long)]
        service_principal_id: String,
        /// Comma-separated, e.g. https://mail.contoso.com/,https://autodiscover.contoso.com/
        #[arg(long, value_delimiter = ',')]
        service_principal_names: Vec<String>,
    },
    /// Rotate the token service's signing keys (next becomes current; current stays published).
    /// Needs the server operator credential.
    RotateSigningKey,
    /// The dedicated Exchange hybrid application (CVE-2025-53786), as CSS-Exchange's
    /// ConfigureExchangeHybridApplication does in the tenant: `full` creates the application
    /// with admin consent to full_access_as_app, uploads the auth certificate(s) to it and
    /// removes them from Office 365 Exchange Online; `update-certificate` uploads them only;
    /// `reset-first-party-keys` clears Office 365 Exchange Online's key credentials.
    ConfigureHybridApplication(crate::hybrid_app::HybridAppArgs),
    /// Replace a service principal's key credentials as the Teams edition of the runbook does
    /// with Update-MgServicePrincipal -KeyCredentials: its unexpired keys kept, expired ones
    /// dropped, each certificate added once (by thumbprint).
    UpdateServicePrincipalKeys {
        #[arg(long)]
        service_principal_id: String,
        /// A certificate file (DER or PEM), e.g. OAuthConfig/OAuthCert.cer; repeatable.
        #[arg(long = "certificate", required = true)]
        certificates: Vec<PathBuf>,
    },
    /// Show the tenant's default app management policy, as Get-MgPolicyDefaultAppManagementPolicy.
    GetAppManagementPolicy,
    /// Synchronize the on-premises organization's mailboxes and mail users to the tenant's
    /// users, as Entra Connect does (added, changed, disabled, removed); with --interval, again
    /// every so many seconds until stopped.
    Sync(crate::hma::SyncArgs),
    /// Show the tenant's users (all, or one by UPN or object id), as Get-MgUser.
    GetUser {
        #[arg(long)]
        user: Option<String>,
    },
    /// Set a user's cloud sign-in password (kept as a slow salted hash). Read from standard
    /// input when --password is not given.
    SetUserPassword {
        #[arg(long)]
        user: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// End a user's sessions and refresh tokens, as Revoke-MgUserSignInSession.
    RevokeSignInSessions {
        #[arg(long)]
        user: String,
    },
    /// Admin consent: a client may act for every user with these delegated permissions of
    /// Office 365 Exchange Online, as New-MgOauth2PermissionGrant -ConsentType AllPrincipals.
    GrantDelegatedPermission {
        /// The client's appId, e.g. Outlook's d3590ed6-52b3-4102-aeff-aad2292ab01c.
        #[arg(long)]
        client_id: String,
        #[arg(long, default_value = s2s::ids::EXCHANGE_APP_ID)]
        resource_id: String,
        /// Space- or comma-separated, e.g. EWS.AccessAsUser.All.
        #[arg(long)]
        scope: String,
    },
    /// Withdraw a client's admin consent on a resource, as Remove-MgOauth2PermissionGrant: its
    /// users' next sign-in or refresh for it is refused (AADSTS65001).
    RevokeDelegatedPermission {
        #[arg(long)]
        client_id: String,
        #[arg(long, default_value = s2s::ids::EXCHANGE_APP_ID)]
        resource_id: String,
    },
    /// Which sign-in flows a public client may use: authorization code (on by default),
    /// device code and password (off by default), and its redirect URIs.
    SetPublicClient {
        #[arg(long)]
        app_id: String,
        #[arg(long)]
        allow_authorization_code: Option<bool>,
        #[arg(long)]
        allow_device_code: Option<bool>,
        #[arg(long)]
        allow_password: Option<bool>,
        /// Comma-separated https redirect URIs (loopback ones are always accepted).
        #[arg(long, value_delimiter = ',')]
        redirect_uris: Option<Vec<String>>,
    },
    /// Set the tenant's default app management policy's certificate lifetime limit for
    /// applications, as Update-MgPolicyDefaultAppManagementPolicy with an asymmetricKeyLifetime
    /// restriction.
    SetAppManagementPolicy {
        /// Whether the policy is enforced: true or false.
        #[arg(long, action = clap::ArgAction::Set, default_value_t = true)]
        is_enabled: bool,
        /// The longest a certificate key credential may be valid, an ISO 8601 duration (P365D).
        #[arg(long)]
        asymmetric_key_lifetime: Option<String>,
        /// Restrict only applications created after this time (RFC 3339); default: all of them.
        #[arg(long)]
        restrict_for_apps_created_after: Option<String>,
    },
}

#[derive(Args)]
pub struct AddKeyArgs {
    #[arg(long)]
    service_principal_id: String,
    #[arg(long, default_value = "AsymmetricX509Cert")]
    r#type: String,
    #[arg(long, default_value = "Verify")]
    usage: String,
    /// The certificate (DER .cer or PEM), e.g. OAuthCert.cer from step 4.
    #[arg(long)]
    key_file: PathBuf,
    /// ISO 8601; default the certificate's NotBefore. Must lie inside its validity.
    #[arg(long)]
    start_date: Option<String>,
    /// ISO 8601; default the certificate's NotAfter. Must lie inside its validity.
    #[arg(long)]
    end_date: Option<String>,
}

fn cloud_dir(data: &DataDir) -> PathBuf {
    data.role("cloud")
}

fn tenant_credential_path(data: &DataDir, tenant_id: &str) -> PathBuf {
    cloud_dir(data)
        .join("tenants")
        .join(format!("{}.credential", tenant_id.to_ascii_lowercase()))
}

/// The tenant credentials kept here: (tenant id, file).
pub(crate) fn known_tenants(data: &DataDir) -> Vec<(String, PathBuf)> {
    let dir = cloud_dir(data).join("tenants");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let name = p
                .file_name()?
                .to_str()?
                .strip_suffix(".credential")?
                .to_string();
            Some((name, p))
        })
        .collect();
    out.sort();
    out
}

impl CloudArgs {
    fn tenant_client(&self, data: &DataDir) -> Result<(AdminClient, String), CliError> {
        let server = data.server_url("cloud", self.server.as_deref())?;
        if let Some(file) = &self.credential_file {
            let client = data.client("cloud", &server, &read_credential(file)?);
            let tenant = whoami(&client)?;
            return Ok((client, tenant));
        }
        let known = known_tenants(data);
        let chosen = match &self.tenant {
            Some(t) => known
                .iter()
                .find(|(id, _)| id.eq_ignore_ascii_case(t))
                .cloned()
                .or_else(|| {
                    // A domain: ask each known tenant who it is.
                    known
                        .iter()
                        .find(|(_, p)| {
                            read_credential(p)
                                .ok()
                                .and_then(|c| {
                                    tenant_domains(&data.client("cloud", &server, &c)).ok()
                                })
                                .is_some_and(|d| d.iter().any(|n| n.eq_ignore_ascii_case(t)))
                        })
                        .cloned()
                }),
            None if known.len() == 1 => known.first().cloned(),
            None if known.is_empty() => None,
            None => {
                let ids: Vec<&str> = known.iter().map(|(i, _)| i.as_str()).collect();
                return Err(CliError::Usage(format!(
                    "more than one tenant is known here ({}); pass --tenant",
                    ids.join(", ")
                )));
            }
        };
        let (tenant, file) = chosen.ok_or_else(|| CliError::Refused {
            code: crate::error::Code::NotConnected,
            message: "no credential for that tenant here: run `hybrid cloud new-tenant` or `hybrid cloud connect --tenant ID --credential-file FILE`".into(),
        })?;
        Ok((
            data.client("cloud", &server, &read_credential(&file)?),
            tenant,
        ))
    }

    fn operator_client(&self, data: &DataDir) -> Result<AdminClient, CliError> {
        let server = data.server_url("cloud", self.server.as_deref())?;
        let file = self
            .credential_file
            .clone()
            .unwrap_or_else(|| cloud_dir(data).join("operator.credential"));
        Ok(data.client("cloud", &server, &read_credential(&file)?))
    }
}

fn whoami(client: &AdminClient) -> Result<String, CliError> {
    let org = client.get("/v1.0/organization", &[])?;
    org["value"][0]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| CliError::Refused {
            code: crate::error::Code::UnexpectedResponse,
            message: "the server did not say which tenant this credential is for".into(),
        })
}

pub(crate) fn tenant_domains(client: &AdminClient) -> Result<Vec<String>, CliError> {
    let org = client.get("/v1.0/organization", &[])?;
    Ok(org["value"][0]["verifiedDomains"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["name"].as_str().map(String::from))
        .collect())
}

fn sp_path(id: &str) -> String {
    if uuid_like(id) {
        format!("/v1.0/servicePrincipals(appId='{id}')")
    } else {
        format!("/v1.0/servicePrincipals/{id}")
    }
}

/// Tries the id as an appId first (the runbook passes appIds), then as an object id.
pub(crate) fn get_sp(
    client: &AdminClient,
    id: &str,
    select: Option<&str>,
) -> Result<Value, CliError> {
    let query: Vec<(&str, &str)> = select.map(|s| vec![("$select", s)]).unwrap_or_default();
    match client.get(&sp_path(id), &query) {
        Err(CliError::Refused {
            code: crate::error::Code::RequestResourceNotFound,
            ..
        }) => client.get(&format!("/v1.0/servicePrincipals/{id}"), &query),
        other => other,
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

pub fn run(args: CloudArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    match &args.command {
        CloudCommand::NewTenant {
            domain,
            display_name,
        } => {
            let client = args.operator_client(data)?;
            let v = client
                .post(
                    "/admin/tenants",
                    &json!({ "domain": domain, "displayName": display_name }),
                )?
                .unwrap_or_default();
            let tenant = v["tenantId"].as_str().unwrap_or_default().to_string();
            let file = tenant_credential_path(data, &tenant);
            write_private(
                &file,
                &format!("{}\n", v["adminCredential"].as_str().unwrap_or_default()),
            )?;
            let domains: Vec<&str> = v["verifiedDomains"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["name"].as_str())
                .collect();
            let rows = [
                ("TenantId", tenant.clone()),
                (
                    "DisplayName",
                    v["displayName"].as_str().unwrap_or_default().to_string(),
                ),
                ("VerifiedDomains", domains.join(", ")),
                (
                    "AdminCredential",
                    v["adminCredential"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
                ("AdminCredentialFile", file.display().to_string()),
            ];
            let mut json = v.clone();
            json["adminCredentialFile"] = json!(file.display().to_string());
            out.record(&rows, &json);
            if !out.json {
                eprintln!(
                    "The admin credential is shown once; it is kept in {}.",
                    file.display()
                );
            }
            Ok(())
        }
        CloudCommand::Connect => {
            let file = args
                .credential_file
                .as_ref()
                .ok_or_else(|| CliError::Usage("connect needs --credential-file FILE".into()))?;
            let server = data.server_url("cloud", args.server.as_deref())?;
            let credential = read_credential(file)?;
            let client = data.client("cloud", &server, &credential);
            let tenant = whoami(&client)?;
            if let Some(t) = &args.tenant
                && !t.eq_ignore_ascii_case(&tenant)
                && !tenant_domains(&client)?
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(t))
            {
                return Err(CliError::Refused {
                    code: crate::error::Code::WrongTenant,
                    message: format!("the credential is for tenant {tenant}, not {t}"),
                });
            }
            let kept = tenant_credential_path(data, &tenant);
            write_private(&kept, &format!("{credential}\n"))?;
            write_private(&data.server_url_file("cloud"), &format!("{server}\n"))?;
            out.record(
                &[("TenantId", tenant.clone()), ("Server", server.clone())],
                &json!({ "tenantId": tenant, "server": server }),
            );
            Ok(())
        }
        CloudCommand::GetServicePrincipal {
            service_principal_id,
            property,
        } => {
            let (client, _) = args.tenant_client(data)?;
            let with_keys = property
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case("KeyCredentials"));
            if let Some(p) = property
                .as_deref()
                .filter(|p| !p.eq_ignore_ascii_case("KeyCredentials"))
            {
                return Err(CliError::Usage(format!(
                    "--property {p} is not supported; use KeyCredentials"
                )));
            }
            let sps: Vec<Value> = match service_principal_id {
                Some(id) => vec![get_sp(
                    &client,
                    id,
                    with_keys.then_some("id,appId,displayName,signInAudience,keyCredentials"),
                )?],
                None => client.get("/v1.0/servicePrincipals", &[])?["value"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            };
            print_service_principals(&sps, with_keys, out);
            Ok(())
        }
        CloudCommand::AddServicePrincipalKey(a) => add_key(&args, a, data, out),
        CloudCommand::RemoveServicePrincipalKey {
            service_principal_id,
            key_id,
        } => {
            let (client, _) = args.tenant_client(data)?;
            let sp = get_sp(
                &client,
                service_principal_id,
                Some("id,appId,keyCredentials"),
            )?;
            let keys: Vec<Value> = sp["keyCredentials"].as_array().cloned().unwrap_or_default();
            let kept: Vec<Value> = keys
                .iter()
                .filter(|k| {
                    !k["keyId"]
                        .as_str()
                        .is_some_and(|i| i.eq_ignore_ascii_case(key_id))
                })
                .cloned()
                .collect();
            if kept.len() == keys.len() {
                return Err(CliError::Refused {
                    code: crate::error::Code::RequestResourceNotFound,
                    message: format!("no key credential with keyId {key_id}"),
                });
            }
            client.patch(
                &format!(
                    "/v1.0/servicePrincipals/{}",
                    sp["id"].as_str().unwrap_or_default()
                ),
                &json!({ "keyCredentials": kept }),
            )?;
            let sp = get_sp(
                &client,
                service_principal_id,
                Some("id,appId,displayName,signInAudience,keyCredentials"),
            )?;
            print_service_principals(&[sp], true, out);
            Ok(())
        }
        CloudCommand::UpdateServicePrincipalKeys {
            service_principal_id,
            certificates,
        } => {
            let (client, _) = args.tenant_client(data)?;
            let sp = get_sp(&client, service_principal_id, Some("id"))?;
            let path = format!(
                "/v1.0/servicePrincipals/{}",
                sp["id"].as_str().unwrap_or_default()
            );
            let certs = certificates
                .iter()
                .map(|p| {
                    let c = crate::cert_cmd::read_certificate(p)?;
                    crate::cert_cmd::warn_if_not_valid(&c, p);
                    Ok(c)
                })
                .collect::<Result<Vec<_>, CliError>>()?;
            let held = crate::hybrid_app::replace_key_credentials(&client, &path, &certs)?;
            out.record(
                &[
                    ("AppId", service_principal_id.clone()),
                    ("KeyCredentials", held.join(", ")),
                ],
                &json!({ "appId": service_principal_id, "keyCredentials": held }),
            );
            Ok(())
        }
        CloudCommand::Sync(a) => crate::hma::sync(&args.tenant_client(data)?.0, a, data, out),
        CloudCommand::GetUser { user } => {
            let (client, _) = args.tenant_client(data)?;
            let users = match user {
                Some(u) => {
                    vec![client.get(&format!("/v1.0/users/{}", crate::hma::segment(u)), &[])?]
                }
                None => client.get("/v1.0/users", &[])?["value"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            };
            crate::hma::print_users(&users, out);
            Ok(())
        }
        CloudCommand::SetUserPassword { user, password } => {
            let (client, _) = args.tenant_client(data)?;
            let password = match password {
                Some(p) => p.clone(),
                None => crate::hma::read_password()?,
            };
            let v = client
                .post(
                    &format!("/admin/users/{}/password", crate::hma::segment(user)),
                    &json!({ "password": password }),
                )?
                .unwrap_or_default();
            out.record(
                &[
                    (
                        "UserPrincipalName",
                        v["userPrincipalName"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    ),
                    ("PasswordSet", "True".into()),
                ],
                &v,
            );
            Ok(())
        }
        CloudCommand::RevokeSignInSessions { user } => {
            let (client, _) = args.tenant_client(data)?;
            let v = client
                .post(
                    &format!(
                        "/v1.0/users/{}/revokeSignInSessions",
                        crate::hma::segment(user)
                    ),
                    &json!({}),
                )?
                .unwrap_or_default();
            out.record(&[("Value", "True".into())], &v);
            Ok(())
        }
        CloudCommand::GrantDelegatedPermission {
            client_id,
            resource_id,
            scope,
        } => {
            let (client, _) = args.tenant_client(data)?;
            let c = get_sp(&client, client_id, Some("id"))?;
            let r = get_sp(&client, resource_id, Some("id"))?;
            let v = client
                .post(
                    "/v1.0/oauth2PermissionGrants",
                    &json!({
                        "clientId": c["id"], "consentType": "AllPrincipals", "resourceId": r["id"],
                        "scope": scope.replace(',', " "),
                    }),
                )?
                .unwrap_or_default();
            let rows = [
                (
                    "ClientId",
                    v["clientId"].as_str().unwrap_or_default().to_string(),
                ),
                (
                    "ConsentType",
                    v["consentType"].as_str().unwrap_or_default().to_string(),
                ),
                (
                    "ResourceId",
                    v["resourceId"].as_str().unwrap_or_default().to_string(),
                ),
                ("Scope", v["scope"].as_str().unwrap_or_default().to_string()),
            ];
            out.record(&rows, &v);
            Ok(())
        }
        CloudCommand::RevokeDelegatedPermission {
            client_id,
            resource_id,
        } => {
            let (client, _) = args.tenant_client(data)?;
            let c = get_sp(&client, client_id, Some("id"))?;
            let r = get_sp(&client, resource_id, Some("id"))?;
            let grants = client.get("/v1.0/oauth2PermissionGrants", &[])?;
            let found = grants["value"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|g| g["clientId"] == c["id"] && g["resourceId"] == r["id"]);
            let Some(g) = found else {
                return Err(CliError::Refused {
                    code: crate::error::Code::Relayed("Request_ResourceNotFound".into()),
                    message: format!("{client_id} has no consent on {resource_id}"),
                });
            };
            let id = g["id"].as_str().unwrap_or_default().to_string();
            client.delete(&format!("/v1.0/oauth2PermissionGrants/{id}"))?;
            out.record(
                &[("Id", id.clone()), ("Removed", "True".into())],
                &json!({ "id": id, "removed": true }),
            );
            Ok(())
        }
        CloudCommand::SetPublicClient {
            app_id,
            allow_authorization_code,
            allow_device_code,
            allow_password,
            redirect_uris,
        } => {
            let (client, _) = args.tenant_client(data)?;
            let mut body = serde_json::Map::new();
            if let Some(v) = allow_authorization_code {
                body.insert("allowAuthorizationCode".into(), json!(v));
            }
            if let Some(v) = allow_device_code {
                body.insert("allowDeviceCode".into(), json!(v));
            }
            if let Some(v) = allow_password {
                body.insert("allowPassword".into(), json!(v));
            }
            if let Some(v) = redirect_uris {
                body.insert("redirectUris".into(), json!(v));
            }
            let v = client
                .put(
                    &format!("/admin/public-clients/{app_id}"),
                    &Value::Object(body),
                )?
                .unwrap_or_default();
            let flag = |k: &str| crate::output::ps_bool(v[k].as_bool().unwrap_or(false));
            let rows = [
                ("AppId", v["appId"].as_str().unwrap_or_default().to_string()),
                ("AllowAuthorizationCode", flag("allowAuthorizationCode")),
                ("AllowDeviceCode", flag("allowDeviceCode")),
                ("AllowPassword", flag("allowPassword")),
            ];
            out.record(&rows, &v);
            Ok(())
        }
        CloudCommand::GetAppManagementPolicy => {
            let (client, _) = args.tenant_client(data)?;
            print_policy(&client, out)
        }
        CloudCommand::SetAppManagementPolicy {
            is_enabled,
            asymmetric_key_lifetime,
            restrict_for_apps_created_after,
        } => {
            let (client, _) = args.tenant_client(data)?;
            let restrictions: Vec<Value> = asymmetric_key_lifetime
                .iter()
                .map(|m| {
                    json!({
                        "restrictionType": "asymmetricKeyLifetime",
                        "maxLifetime": m,
                        "restrictForAppsCreatedAfterDateTime": restrict_for_apps_created_after
                            .clone()
                            .unwrap_or_else(|| "2000-01-01T00:00:00Z".into()),
                    })
                })
                .collect();
            client.patch(
                "/v1.0/policies/defaultAppManagementPolicy",
                &json!({
                    "isEnabled": is_enabled,
                    "applicationRestrictions": { "keyCredentials": restrictions },
                }),
            )?;
            print_policy(&client, out)
        }
        CloudCommand::SetServicePrincipalNames {
            service_principal_id,
            service_principal_names,
        } => {
            let (client, _) = args.tenant_client(data)?;
            let sp = get_sp(&client, service_principal_id, Some("id"))?;
            let id = sp["id"].as_str().unwrap_or_default();
            client.patch(
                &format!("/v1.0/servicePrincipals/{id}"),
                &json!({ "servicePrincipalNames": service_principal_names }),
            )?;
            let sp = get_sp(&client, service_principal_id, None)?;
            let names: Vec<&str> = sp["servicePrincipalNames"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let rows = [
                (
                    "AppId",
                    sp["appId"].as_str().unwrap_or_default().to_string(),
                ),
                ("ServicePrincipalNames", names.join(", ")),
            ];
            out.record(&rows, &json!({ "appId": sp["appId"], "servicePrincipalNames": sp["servicePrincipalNames"] }));
            Ok(())
        }
        CloudCommand::ConfigureHybridApplication(a) => {
            let (client, _) = args.tenant_client(data)?;
            crate::hybrid_app::run(&client, a, data, out)
        }
        CloudCommand::RotateSigningKey => {
            let v = args
                .operator_client(data)?
                .post("/admin/signing-keys/rotate", &json!({}))?
                .unwrap_or_default();
            let mut text = String::new();
            for k in v["signingKeys"].as_array().into_iter().flatten() {
                text.push_str(&format_list(&[
                    (
                        "Status",
                        k["status"].as_str().unwrap_or_default().to_string(),
                    ),
                    (
                        "Thumbprint",
                        k["thumbprint"].as_str().unwrap_or_default().to_string(),
                    ),
                    (
                        "NotAfter",
                        k["notAfter"].as_str().unwrap_or_default().to_string(),
                    ),
                ]));
                text.push('\n');
            }
            if out.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default())
            } else {
                print!("{text}")
            }
            Ok(())
        }
    }
}

fn add_key(args: &CloudArgs, a: &AddKeyArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let (client, _) = args.tenant_client(data)?;
    let cert = crate::cert_cmd::read_certificate(&a.key_file)?;
    crate::cert_cmd::warn_if_not_valid(&cert, &a.key_file);
    let (key_type, usage) = (normalize_type(&a.r#type)?, normalize_usage(&a.usage)?);
    let sp = get_sp(
        &client,
        &a.service_principal_id,
        Some("id,appId,keyCredentials"),
    )?;
    let mut keys: Vec<Value> = sp["keyCredentials"].as_array().cloned().unwrap_or_default();
    if keys.iter().any(|k| {
        k["customKeyIdentifier"]
            .as_str()
            .is_some_and(|c| c.eq_ignore_ascii_case(cert.thumbprint()))
    }) {
        return Err(CliError::Refused {
            code: crate::error::Code::KeyAlreadyPresent,
            message: format!(
                "certificate {} is already a key credential of {}",
                cert.thumbprint(),
                a.service_principal_id
            ),
        });
    }
    let mut key = json!({ "type": key_type, "usage": usage, "key": cert.to_base64() });
    if let Some(s) = &a.start_date {
        key["startDateTime"] = json!(s);
    }
    if let Some(e) = &a.end_date {
        key["endDateTime"] = json!(e);
    }
    keys.push(key);
    // The whole collection, as Update-MgServicePrincipal -KeyCredentials sends it.
    client.patch(
        &format!(
            "/v1.0/servicePrincipals/{}",
            sp["id"].as_str().unwrap_or_default()
        ),
        &json!({ "keyCredentials": keys }),
    )?;
    let sp = get_sp(
        &client,
        &a.service_principal_id,
        Some("id,appId,displayName,signInAudience,keyCredentials"),
    )?;
    print_service_principals(&[sp], true, out);
    Ok(())
}

fn normalize_type(t: &str) -> Result<&'static str, CliError> {
    match t.to_ascii_lowercase().as_str() {
        "asymmetricx509cert" | "asymmetric" => Ok("AsymmetricX509Cert"),
        _ => Err(CliError::Usage(format!(
            "--type {t}: only AsymmetricX509Cert (asymmetric) keys are supported"
        ))),
    }
}

fn normalize_usage(u: &str) -> Result<&'static str, CliError> {
    match u.to_ascii_lowercase().as_str() {
        "verify" => Ok("Verify"),
        _ => Err(CliError::Usage(format!(
            "--usage {u}: an AsymmetricX509Cert key has usage Verify"
        ))),
    }
}

fn print_service_principals(sps: &[Value], with_keys: bool, out: &Output) {
    if out.json {
        let v = if sps.len() == 1 {
            sps[0].clone()
        } else {
            json!(sps)
        };
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    for sp in sps {
        print!(
            "{}",
            format_list(&[
                ("Id", s(&sp["id"])),
                ("DisplayName", s(&sp["displayName"])),
                ("AppId", s(&sp["appId"])),
                ("SignInAudience", s(&sp["signInAudience"]))
            ])
        );
        if with_keys {
            let keys = sp["keyCredentials"].as_array().cloned().unwrap_or_default();
            println!("KeyCredentials : {} key(s)", keys.len());
            for k in keys {
                let rows = [
                    ("  KeyId", s(&k["keyId"])),
                    ("  Type", s(&k["type"])),
                    ("  Usage", s(&k["usage"])),
                    ("  DisplayName", s(&k["displayName"])),
                    ("  CustomKeyIdentifier", s(&k["customKeyIdentifier"])),
                    ("  StartDateTime", s(&k["startDateTime"])),
                    ("  EndDateTime", s(&k["endDateTime"])),
                ];
                print!("{}", format_list(&rows));
            }
        }
        println!();
    }
}

fn print_policy(client: &crate::client::AdminClient, out: &Output) -> Result<(), CliError> {
    let p = client.get("/v1.0/policies/defaultAppManagementPolicy", &[])?;
    let limit = p["applicationRestrictions"]["keyCredentials"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["restrictionType"] == "asymmetricKeyLifetime")
        .map(|r| {
            format!(
                "{} (applications created after {})",
                r["maxLifetime"].as_str().unwrap_or(""),
                r["restrictForAppsCreatedAfterDateTime"]
                    .as_str()
                    .unwrap_or("any time")
            )
        })
        .unwrap_or_else(|| "none".into());
    let rows = [
        (
            "DisplayName",
            p["displayName"].as_str().unwrap_or("").to_string(),
        ),
        ("IsEnabled", crate::output::ps_bool(p["isEnabled"] == true)),
        ("AsymmetricKeyLifetime", limit),
    ];
    out.record(&rows, &p);
    Ok(())
}
