//! `hybrid cloud …`: the cloud directory's admin verbs, in the runbook's words
//! (Connect-MgGraph, Get-MgServicePrincipal, Add-MgServicePrincipalKey, Set-MsolServicePrincipal).

use crate::client::AdminClient;
use crate::error::CliError;
use crate::opt::cloud::*;
use crate::output::{Output, format_list};
use crate::paths::{DataDir, read_credential, write_private};
use serde_json::{Value, json};
use std::path::PathBuf;

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

/// A service principal by appId or object id, as Graph has it.
pub(crate) fn service_principal(
    client: &AdminClient,
    id: &str,
) -> Result<cloud::model::ServicePrincipal, CliError> {
    match client.fetch(&sp_path(id), &[]) {
        Err(CliError::Refused {
            code: crate::error::Code::RequestResourceNotFound,
            ..
        }) => client.fetch(&format!("/v1.0/servicePrincipals/{id}"), &[]),
        other => other,
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

pub fn run(args: CloudArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    match &args.command {
        CloudCommand::NewTenant(o) => new_tenant(&args, o, data, out),
        CloudCommand::Connect => connect(&args, data, out),
        CloudCommand::GetServicePrincipal(o) => get_service_principal(&args, o, data, out),
        CloudCommand::AddServicePrincipalKey(a) => add_key(&args, a, data, out),
        CloudCommand::RemoveServicePrincipalKey(o) => {
            remove_service_principal_key(&args, o, data, out)
        }
        CloudCommand::UpdateServicePrincipalKeys(o) => {
            update_service_principal_keys(&args, o, data, out)
        }
        CloudCommand::Sync(a) => crate::hma::sync(&args.tenant_client(data)?.0, a, data, out),
        CloudCommand::GetUser(o) => get_user(&args, o, data, out),
        CloudCommand::SetUserPassword(o) => set_user_password(&args, o, data, out),
        CloudCommand::RevokeSignInSessions(o) => revoke_sign_in_sessions(&args, o, data, out),
        CloudCommand::GrantDelegatedPermission(o) => {
            grant_delegated_permission(&args, o, data, out)
        }
        CloudCommand::RevokeDelegatedPermission(o) => {
            revoke_delegated_permission(&args, o, data, out)
        }
        CloudCommand::SetPublicClient(o) => set_public_client(&args, o, data, out),
        CloudCommand::GetAppManagementPolicy => get_app_management_policy(&args, data, out),
        CloudCommand::SetAppManagementPolicy(o) => set_app_management_policy(&args, o, data, out),
        CloudCommand::SetServicePrincipalNames(o) => {
            set_service_principal_names(&args, o, data, out)
        }
        CloudCommand::ConfigureHybridApplication(a) => {
            let (client, _) = args.tenant_client(data)?;
            crate::hybrid_app::run(&client, a, data, out)
        }
        CloudCommand::RotateSigningKey => rotate_signing_key(&args, data, out),
    }
}

fn new_tenant(
    args: &CloudArgs,
    o: &NewTenantOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let NewTenantOpt {
        domain,
        display_name,
    } = o;
    let client = args.operator_client(data)?;
    let made = client.wait(client.cloud().new_tenant(domain, display_name.as_deref()))?;
    let file = tenant_credential_path(data, &made.tenant_id);
    write_private(&file, &format!("{}\n", made.admin_credential))?;
    let domains: Vec<&str> = made
        .verified_domains
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    let rows = [
        ("TenantId", made.tenant_id.clone()),
        ("DisplayName", made.display_name.clone()),
        ("VerifiedDomains", domains.join(", ")),
        ("AdminCredential", made.admin_credential.clone()),
        ("AdminCredentialFile", file.display().to_string()),
    ];
    let shown = TenantCreated {
        tenant: made,
        admin_credential_file: file.display().to_string(),
    };
    out.record(&rows, &shown);
    if !out.json {
        eprintln!(
            "The admin credential is shown once; it is kept in {}.",
            file.display()
        );
    }
    Ok(())
}

/// What `new-tenant` prints with --json: the tenant as created, and where its credential is.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantCreated {
    #[serde(flatten)]
    tenant: cloud::admin_types::NewTenantResponse,
    admin_credential_file: String,
}

fn connect(args: &CloudArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
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

fn get_service_principal(
    args: &CloudArgs,
    o: &GetServicePrincipalOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let GetServicePrincipalOpt {
        service_principal_id,
        property,
    } = o;
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

fn remove_service_principal_key(
    args: &CloudArgs,
    o: &RemoveServicePrincipalKeyOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let RemoveServicePrincipalKeyOpt {
        service_principal_id,
        key_id,
    } = o;
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

fn update_service_principal_keys(
    args: &CloudArgs,
    o: &UpdateServicePrincipalKeysOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let UpdateServicePrincipalKeysOpt {
        service_principal_id,
        certificates,
    } = o;
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

fn get_user(
    args: &CloudArgs,
    o: &GetUserOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let GetUserOpt { user } = o;
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

fn set_user_password(
    args: &CloudArgs,
    o: &SetUserPasswordOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let SetUserPasswordOpt { user, password } = o;
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

fn revoke_sign_in_sessions(
    args: &CloudArgs,
    o: &RevokeSignInSessionsOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let RevokeSignInSessionsOpt { user } = o;
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

fn grant_delegated_permission(
    args: &CloudArgs,
    o: &GrantDelegatedPermissionOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let GrantDelegatedPermissionOpt {
        client_id,
        resource_id,
        scope,
    } = o;
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

fn revoke_delegated_permission(
    args: &CloudArgs,
    o: &RevokeDelegatedPermissionOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let RevokeDelegatedPermissionOpt {
        client_id,
        resource_id,
    } = o;
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

fn set_public_client(
    args: &CloudArgs,
    o: &SetPublicClientOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let SetPublicClientOpt {
        app_id,
        allow_authorization_code,
        allow_device_code,
        allow_password,
        redirect_uris,
    } = o;
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

fn get_app_management_policy(
    args: &CloudArgs,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let (client, _) = args.tenant_client(data)?;
    print_policy(&client, out)
}

fn set_app_management_policy(
    args: &CloudArgs,
    o: &SetAppManagementPolicyOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let SetAppManagementPolicyOpt {
        is_enabled,
        asymmetric_key_lifetime,
        restrict_for_apps_created_after,
    } = o;
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

fn set_service_principal_names(
    args: &CloudArgs,
    o: &SetServicePrincipalNamesOpt,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let SetServicePrincipalNamesOpt {
        service_principal_id,
        service_principal_names,
    } = o;
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
    out.record(
        &rows,
        &json!({ "appId": sp["appId"], "servicePrincipalNames": sp["servicePrincipalNames"] }),
    );
    Ok(())
}

fn rotate_signing_key(args: &CloudArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
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
