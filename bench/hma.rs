//! What `bench-ews` needs for Hybrid Modern Authentication: the procedure (EvoSts as the default
//! authorization endpoint, the organization's switch, the on-premises URL an SPN, alice
//! synchronized with a password, Outlook's consent) and alice's own token, by the password
//! grant, so that GetFolder can be measured with a user token beside the act-as token.

use crate::{Session, post};
use serde_json::{Value, json};

const OUTLOOK: &str = "d3590ed6-52b3-4102-aeff-aad2292ab01c";
const PASSWORD: &str = "Bench-Password-7";

async fn admin(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    bearer: &str,
    body: Value,
) -> Value {
    let r = http
        .request(method, &url)
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {v}");
    v
}

pub async fn user_token(http: &reqwest::Client, cloud: &str, onprem: &str, s: &Session) -> String {
    let tenant = &s.tenant;
    let cmd = |c: &str, p: Value| json!({"Cmdlet": c, "Parameters": p});
    let federation = format!("{cloud}/{tenant}/federationmetadata/2007-06/federationmetadata.xml");
    for body in [
        cmd(
            "New-AuthServer",
            json!({"Name": "EvoSts", "Type": "AzureAD", "AuthMetadataUrl": federation, "IsDefaultAuthorizationEndpoint": true}),
        ),
        cmd(
            "Set-OrganizationConfig",
            json!({"OAuth2ClientProfileEnabled": true}),
        ),
    ] {
        post(http, &s.cmdlet_url, &s.org_admin, body).await;
    }
    let alice = post(
        http,
        &s.cmdlet_url,
        &s.org_admin,
        cmd("Get-Mailbox", json!({"Identity": "alice"})),
    )
    .await;
    let alice = &alice["Output"][0];
    let graph = |path: &str| format!("{cloud}/v1.0/{path}");
    let patch = reqwest::Method::PATCH;
    admin(
        http,
        patch,
        graph(&format!(
            "servicePrincipals(appId='{}')",
            s2s::ids::EXCHANGE_APP_ID
        )),
        &s.cloud_admin,
        json!({"servicePrincipalNames": ["https://mail.contoso.com/", format!("{onprem}/")]}),
    )
    .await;
    admin(
        http,
        reqwest::Method::POST,
        format!("{cloud}/admin/directory-sync"),
        &s.cloud_admin,
        json!({"users": [{
        "onPremisesImmutableId": alice["Guid"], "onPremisesSecurityIdentifier": alice["Sid"],
        "userPrincipalName": "alice@contoso.com", "mail": "alice@contoso.com"}]}),
    )
    .await;
    admin(
        http,
        reqwest::Method::POST,
        format!("{cloud}/admin/users/alice@contoso.com/password"),
        &s.cloud_admin,
        json!({"password": PASSWORD}),
    )
    .await;
    admin(
        http,
        reqwest::Method::PUT,
        format!("{cloud}/admin/public-clients/{OUTLOOK}"),
        &s.cloud_admin,
        json!({"allowPassword": true}),
    )
    .await;
    let id = |app: &str| {
        let url = graph(&format!("servicePrincipals(appId='{app}')"));
        async move {
            admin(http, reqwest::Method::GET, url, &s.cloud_admin, Value::Null).await["id"].clone()
        }
    };
    let (client, resource) = (id(OUTLOOK).await, id(s2s::ids::EXCHANGE_APP_ID).await);
    admin(http, reqwest::Method::POST, graph("oauth2PermissionGrants"), &s.cloud_admin,
          json!({"clientId": client, "consentType": "AllPrincipals", "resourceId": resource, "scope": "EWS.AccessAsUser.All"})).await;
    let scope = format!("{onprem}/EWS.AccessAsUser.All");
    let v: Value = http
        .post(format!("{cloud}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", OUTLOOK),
            ("username", "alice@contoso.com"),
            ("password", PASSWORD),
            ("scope", scope.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}
