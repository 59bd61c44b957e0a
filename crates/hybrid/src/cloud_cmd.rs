//! `hybrid cloud …`: the cloud directory's admin verbs, in the runbook's words
//! (Connect-MgGraph, Get-MgServicePrincipal, Add-MgServicePrincipalKey, Set-MsolServicePrincipal).

use crate::client::AdminClient;
use crate::error::CliError;
use crate::opt::cloud::*;
use crate::output::{Output, format_list};
use crate::paths::{DataDir, read_credential, write_private};
use cloud::admin_types::{GraphCollection, PasswordSet, ServicePrincipalPatch, SigningKeys};
use cloud::consent::{PermissionGrant, PermissionGrantInput, PublicClient, PublicClientInput};
use cloud::model::{KeyCredential, ServicePrincipal, Tenant};
use cloud::policy::{
    AppManagementPolicy, AppManagementPolicyInput, AppManagementRestrictions,
    KeyCredentialConfiguration,
};
use cloud::users::User;
use reqwest::Method;
use serde::Serialize;
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
    organization(client)?
        .map(|t| t.id)
        .ok_or_else(|| CliError::Refused {
            code: crate::error::Code::UnexpectedResponse,
            message: "the server did not say which tenant this credential is for".into(),
        })
}

/// The tenant the credential is for, as `/v1.0/organization` lists it.
fn organization(client: &AdminClient) -> Result<Option<Tenant>, CliError> {
    let org: GraphCollection<Tenant> = client.fetch("/v1.0/organization", &[])?;
    Ok(org.value.into_iter().next())
}

pub(crate) fn tenant_domains(client: &AdminClient) -> Result<Vec<String>, CliError> {
    Ok(organization(client)?
        .map(|t| t.verified_domains.into_iter().map(|d| d.name).collect())
        .unwrap_or_default())
}

fn sp_path(id: &str) -> String {
    if uuid_like(id) {
        format!("/v1.0/servicePrincipals(appId='{id}')")
    } else {
        format!("/v1.0/servicePrincipals/{id}")
    }
}

/// Tries the id as an appId first (the runbook passes appIds), then as an object id; with
/// `select`, only those properties are read (the others are left empty).
pub(crate) fn get_sp(
    client: &AdminClient,
    id: &str,
    select: Option<&str>,
) -> Result<ServicePrincipal, CliError> {
    let query: Vec<(&str, &str)> = select.map(|s| vec![("$select", s)]).unwrap_or_default();
    match client.fetch(&sp_path(id), &query) {
        Err(CliError::Refused {
            code: crate::error::Code::RequestResourceNotFound,
            ..
        }) => client.fetch(&format!("/v1.0/servicePrincipals/{id}"), &query),
        other => other,
    }
}

/// A service principal by appId or object id, as Graph has it.
pub(crate) fn service_principal(
    client: &AdminClient,
    id: &str,
) -> Result<ServicePrincipal, CliError> {
    get_sp(client, id, None)
}

/// A principal with its key values (Graph gives them only when selected on one object).
fn with_key_values(client: &AdminClient, id: &str) -> Result<ServicePrincipal, CliError> {
    get_sp(client, id, Some(SP_WITH_KEYS))
}

/// Every property of a service principal, keys included.
const SP_WITH_KEYS: &str = "id,appId,displayName,accountEnabled,servicePrincipalType,signInAudience,appOwnerOrganizationId,servicePrincipalNames,keyCredentials";

/// Replaces a principal's whole key collection, as Update-MgServicePrincipal -KeyCredentials.
fn patch_keys(
    client: &AdminClient,
    sp: &ServicePrincipal,
    keys: Vec<KeyCredential>,
) -> Result<(), CliError> {
    let patch = ServicePrincipalPatch {
        key_credentials: Some(keys),
        ..Default::default()
    };
    client.wait(client.cloud().patch_service_principal(&sp.id, &patch))
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
        &Connected {
            tenant_id: tenant.clone(),
            server: server.clone(),
        },
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
    let sps: Vec<ServicePrincipal> = match service_principal_id {
        Some(id) => vec![get_sp(&client, id, with_keys.then_some(SP_WITH_KEYS))?],
        None => {
            client
                .fetch::<GraphCollection<ServicePrincipal>>("/v1.0/servicePrincipals", &[])?
                .value
        }
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
    let sp = with_key_values(&client, service_principal_id)?;
    let kept: Vec<KeyCredential> = sp
        .key_credentials
        .iter()
        .filter(|k| {
            !k.key_id
                .as_deref()
                .is_some_and(|i| i.eq_ignore_ascii_case(key_id))
        })
        .cloned()
        .collect();
    if kept.len() == sp.key_credentials.len() {
        return Err(CliError::Refused {
            code: crate::error::Code::RequestResourceNotFound,
            message: format!("no key credential with keyId {key_id}"),
        });
    }
    patch_keys(&client, &sp, kept)?;
    let sp = with_key_values(&client, service_principal_id)?;
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
    let path = format!("/v1.0/servicePrincipals/{}", sp.id);
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
        &HeldKeys {
            app_id: service_principal_id.clone(),
            key_credentials: held.clone(),
        },
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
    let users: Vec<User> = match user {
        Some(u) => {
            vec![client.fetch(&format!("/v1.0/users/{}", crate::hma::segment(u)), &[])?]
        }
        None => {
            client
                .fetch::<GraphCollection<User>>("/v1.0/users", &[])?
                .value
        }
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
    let v: PasswordSet = client.send(
        Method::POST,
        &format!("/admin/users/{}/password", crate::hma::segment(user)),
        &NewPassword { password },
    )?;
    out.record(
        &[
            ("UserPrincipalName", v.user_principal_name.clone()),
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
    let path = format!(
        "/v1.0/users/{}/revokeSignInSessions",
        crate::hma::segment(user)
    );
    let v: Revoked = client.send(Method::POST, &path, &Empty {})?;
    out.record(&[("Value", crate::output::ps_bool(v.value))], &v);
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
    let grant = PermissionGrantInput {
        client_id: c.id,
        consent_type: Some("AllPrincipals".into()),
        principal_id: None,
        resource_id: r.id,
        scope: scope.replace(',', " "),
    };
    let v: PermissionGrant = client.send(Method::POST, "/v1.0/oauth2PermissionGrants", &grant)?;
    let rows = [
        ("ClientId", v.client_id.clone()),
        ("ConsentType", v.consent_type.clone()),
        ("ResourceId", v.resource_id.clone()),
        ("Scope", v.scope.clone()),
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
    let grants: GraphCollection<PermissionGrant> =
        client.fetch("/v1.0/oauth2PermissionGrants", &[])?;
    let found = grants
        .value
        .into_iter()
        .find(|g| g.client_id == c.id && g.resource_id == r.id);
    let Some(g) = found else {
        return Err(CliError::Refused {
            code: crate::error::Code::Relayed("Request_ResourceNotFound".into()),
            message: format!("{client_id} has no consent on {resource_id}"),
        });
    };
    client.delete(&format!("/v1.0/oauth2PermissionGrants/{}", g.id))?;
    out.record(
        &[("Id", g.id.clone()), ("Removed", "True".into())],
        &Removed {
            id: g.id,
            removed: true,
        },
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
    let body = PublicClientInput {
        allow_authorization_code: *allow_authorization_code,
        allow_device_code: *allow_device_code,
        allow_password: *allow_password,
        redirect_uris: redirect_uris.clone(),
    };
    let v: PublicClient = client.send(
        Method::PUT,
        &format!("/admin/public-clients/{app_id}"),
        &body,
    )?;
    let flag = crate::output::ps_bool;
    let rows = [
        ("AppId", v.app_id.clone()),
        ("AllowAuthorizationCode", flag(v.allow_authorization_code)),
        ("AllowDeviceCode", flag(v.allow_device_code)),
        ("AllowPassword", flag(v.allow_password)),
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
    let restrictions = asymmetric_key_lifetime
        .iter()
        .map(|m| KeyCredentialConfiguration {
            restriction_type: "asymmetricKeyLifetime".into(),
            max_lifetime: Some(m.clone()),
            restrict_for_apps_created_after_date_time: Some(
                restrict_for_apps_created_after
                    .clone()
                    .unwrap_or_else(|| "2000-01-01T00:00:00Z".into()),
            ),
            state: None,
        })
        .collect();
    let change = AppManagementPolicyInput {
        is_enabled: Some(*is_enabled),
        application_restrictions: Some(AppManagementRestrictions {
            password_credentials: Vec::new(),
            key_credentials: restrictions,
        }),
    };
    client.patch("/v1.0/policies/defaultAppManagementPolicy", &change)?;
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
    let patch = ServicePrincipalPatch {
        service_principal_names: Some(service_principal_names.clone()),
        ..Default::default()
    };
    client.wait(client.cloud().patch_service_principal(&sp.id, &patch))?;
    let sp = get_sp(&client, service_principal_id, None)?;
    let rows = [
        ("AppId", sp.app_id.clone()),
        (
            "ServicePrincipalNames",
            sp.service_principal_names.join(", "),
        ),
    ];
    out.record(
        &rows,
        &Names {
            app_id: sp.app_id,
            service_principal_names: sp.service_principal_names,
        },
    );
    Ok(())
}

fn rotate_signing_key(args: &CloudArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let v: SigningKeys =
        args.operator_client(data)?
            .send(Method::POST, "/admin/signing-keys/rotate", &Empty {})?;
    let mut text = String::new();
    for k in &v.signing_keys {
        text.push_str(&format_list(&[
            ("Status", k.status.clone()),
            ("Thumbprint", k.thumbprint.clone()),
            ("NotAfter", k.not_after.clone()),
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
    let sp = with_key_values(&client, &a.service_principal_id)?;
    let mut keys = sp.key_credentials.clone();
    if keys.iter().any(|k| {
        k.custom_key_identifier
            .as_deref()
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
    keys.push(KeyCredential {
        key_type: Some(key_type.into()),
        usage: Some(usage.into()),
        key: Some(cert.to_base64()),
        start_date_time: a.start_date.clone(),
        end_date_time: a.end_date.clone(),
        ..Default::default()
    });
    patch_keys(&client, &sp, keys)?;
    let sp = with_key_values(&client, &a.service_principal_id)?;
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

fn print_service_principals(sps: &[ServicePrincipal], with_keys: bool, out: &Output) {
    if out.json {
        let text = match sps {
            [one] => serde_json::to_string_pretty(one),
            all => serde_json::to_string_pretty(all),
        };
        println!("{}", text.unwrap_or_default());
        return;
    }
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    for sp in sps {
        print!(
            "{}",
            format_list(&[
                ("Id", sp.id.clone()),
                ("DisplayName", sp.display_name.clone()),
                ("AppId", sp.app_id.clone()),
                ("SignInAudience", sp.sign_in_audience.clone())
            ])
        );
        if with_keys {
            println!("KeyCredentials : {} key(s)", sp.key_credentials.len());
            for k in &sp.key_credentials {
                let rows = [
                    ("  KeyId", s(&k.key_id)),
                    ("  Type", s(&k.key_type)),
                    ("  Usage", s(&k.usage)),
                    ("  DisplayName", s(&k.display_name)),
                    ("  CustomKeyIdentifier", s(&k.custom_key_identifier)),
                    ("  StartDateTime", s(&k.start_date_time)),
                    ("  EndDateTime", s(&k.end_date_time)),
                ];
                print!("{}", format_list(&rows));
            }
        }
        println!();
    }
}

fn print_policy(client: &crate::client::AdminClient, out: &Output) -> Result<(), CliError> {
    let p: AppManagementPolicy = client.fetch("/v1.0/policies/defaultAppManagementPolicy", &[])?;
    let limit = p
        .application_restrictions
        .key_credentials
        .iter()
        .find(|r| r.restriction_type == "asymmetricKeyLifetime")
        .map(|r| {
            format!(
                "{} (applications created after {})",
                r.max_lifetime.as_deref().unwrap_or(""),
                r.restrict_for_apps_created_after_date_time
                    .as_deref()
                    .unwrap_or("any time")
            )
        })
        .unwrap_or_else(|| "none".into());
    let rows = [
        ("DisplayName", p.display_name.clone()),
        ("IsEnabled", crate::output::ps_bool(p.is_enabled)),
        ("AsymmetricKeyLifetime", limit),
    ];
    out.record(&rows, &p);
    Ok(())
}

/// What `connect` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Connected {
    tenant_id: String,
    server: String,
}

/// The keys a principal holds after `update-service-principal-keys`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HeldKeys {
    app_id: String,
    key_credentials: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Names {
    app_id: String,
    service_principal_names: Vec<String>,
}

#[derive(Serialize)]
struct Removed {
    id: String,
    removed: bool,
}

#[derive(Serialize)]
struct NewPassword {
    password: String,
}

/// A POST without a body of its own.
#[derive(Serialize)]
struct Empty {}

/// Graph's `Edm.Boolean` answer.
#[derive(Serialize, serde::Deserialize)]
struct Revoked {
    #[serde(default)]
    value: bool,
}
