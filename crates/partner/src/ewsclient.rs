//! A small EWS client on the ews crate: envelopes out, response messages in, and failures
//! sorted into "refused" (do not retry) and "unavailable" (retry later).

use crate::PartnerError;
use ews::Element;
use ews::xml::escape;

pub struct EwsClient {
    http: reqwest::Client,
}

/// The archiving role header (UpdateItemInRecoverableItems).
pub const ARCHIVE_ROLE: &str = "<t:ManagementRole><t:ApplicationRoles><t:Role>ArchiveApplication</t:Role></t:ApplicationRoles></t:ManagementRole>";

fn envelope(header: &str, op: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2016"/>{header}</s:Header><s:Body>{op}</s:Body></s:Envelope>"#
    )
}

/// The marker every item Hybrid's partner writes carries (a PublicStrings property), so that a
/// retried piece of work finds what an earlier attempt already wrote.
pub fn marker_uri() -> &'static str {
    r#"<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="X-HybridWorkId" PropertyType="String"/>"#
}

pub fn marker(work_id: &str) -> String {
    format!(
        "<t:ExtendedProperty>{}<t:Value>{}</t:Value></t:ExtendedProperty>",
        marker_uri(),
        escape(work_id)
    )
}

impl EwsClient {
    pub fn new(http: reqwest::Client) -> Self {
        EwsClient { http }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends one operation; returns its first response message (Success or Warning).
    pub async fn call(
        &self,
        url: &str,
        token: &str,
        header: &str,
        op: &str,
    ) -> Result<Element, PartnerError> {
        self.call_as(
            url,
            token,
            header,
            op,
            concat!("Hybrid/", env!("CARGO_PKG_VERSION")),
        )
        .await
    }

    /// [`EwsClient::call`] with the given User-Agent (a probe names itself).
    pub async fn call_as(
        &self,
        url: &str,
        token: &str,
        header: &str,
        op: &str,
        user_agent: &str,
    ) -> Result<Element, PartnerError> {
        let resp = self
            .http
            .post(url)
            .header("user-agent", user_agent)
            .header("content-type", "text/xml; charset=utf-8")
            .bearer_auth(token)
            .body(envelope(header, op))
            .send()
            .await
            .map_err(|e| {
                PartnerError::Unavailable(format!(
                    "on-premises EWS at {url} cannot be reached: {e}"
                ))
            })?;
        let status = resp.status();
        let diagnostics = resp
            .headers()
            .get("x-ms-diagnostics")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp
            .text()
            .await
            .map_err(|e| PartnerError::Unavailable(format!("EWS answer cut short: {e}")))?;
        if status.as_u16() == 401 || status.as_u16() == 403 {
            // The reason, and the header itself: its category and error_category name the
            // exact check that refused.
            let reason = diagnostics
                .as_deref()
                .and_then(|d| {
                    s2s::Diagnostics::parse(d)
                        .ok()
                        .map(|p| format!("{} (x-ms-diagnostics: {d})", p.reason))
                })
                .unwrap_or_else(|| text.clone());
            return Err(PartnerError::EwsRefused {
                code: format!("Http{}", status.as_u16()),
                message: reason,
            });
        }
        let doc = ews::xml::parse(&text).ok();
        if !status.is_success() {
            let fault = doc
                .as_ref()
                .and_then(|d| d.child("Body"))
                .and_then(|b| b.child("Fault"));
            let code = fault
                .and_then(|f| f.child_text("faultcode"))
                .map(|c| c.rsplit(':').next().unwrap_or("").to_string());
            return Err(match code {
                Some(c)
                    if !matches!(
                        c.as_str(),
                        "ErrorServerBusy"
                            | "ErrorInternalServerTransientError"
                            | "ErrorInternalServerError"
                    ) =>
                {
                    PartnerError::EwsRefused {
                        message: fault
                            .and_then(|f| f.child_text("faultstring"))
                            .unwrap_or_default(),
                        code: c,
                    }
                }
                _ => PartnerError::Unavailable(format!("on-premises EWS answered HTTP {status}")),
            });
        }
        let doc =
            doc.ok_or_else(|| PartnerError::Unavailable("on-premises EWS answered no XML".into()))?;
        let message = doc
            .child("Body")
            .and_then(|b| b.elements().next())
            .and_then(|r| r.child("ResponseMessages"))
            .and_then(|m| m.elements().next())
            .cloned()
            .ok_or_else(|| {
                PartnerError::Unavailable("on-premises EWS answered no response message".into())
            })?;
        if message.attr("ResponseClass") == Some("Error") {
            return Err(PartnerError::EwsRefused {
                code: message.child_text("ResponseCode").unwrap_or_default(),
                message: message.child_text("MessageText").unwrap_or_default(),
            });
        }
        Ok(message)
    }
}

/// The first `t:ItemId` of a response message: (Id, ChangeKey).
pub fn item_id(message: &Element) -> Option<(String, String)> {
    fn find(e: &Element) -> Option<&Element> {
        if e.name == "ItemId" {
            return Some(e);
        }
        e.elements().find_map(find)
    }
    find(message).map(|i| {
        (
            i.attr("Id").unwrap_or("").to_string(),
            i.attr("ChangeKey").unwrap_or("").to_string(),
        )
    })
}

pub fn create_item(folder: &str, item: &str) -> String {
    format!(
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="{folder}"/></m:SavedItemFolderId><m:Items>{item}</m:Items></m:CreateItem>"#
    )
}

/// FindItem for the item carrying `work_id`'s marker, with its IsDraft.
pub fn find_marked(folder: &str, work_id: &str) -> String {
    format!(
        r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:IsDraft"/></t:AdditionalProperties></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="1" Offset="0" BasePoint="Beginning"/><m:Restriction><t:IsEqualTo>{}<t:FieldURIOrConstant><t:Constant Value="{}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="{folder}"/></m:ParentFolderIds></m:FindItem>"#,
        marker_uri(),
        escape(work_id)
    )
}

pub fn finalize_in_purges(id: &str) -> String {
    format!(
        r#"<m:UpdateItemInRecoverableItems><m:ItemId Id="{id}"/><m:Updates/><m:MakeItemImmutable>true</m:MakeItemImmutable></m:UpdateItemInRecoverableItems>"#
    )
}

pub fn user_configuration(op: &str, name: &str, binary: Option<&str>) -> String {
    let name_el = format!(
        r#"<t:UserConfigurationName Name="{name}"><t:DistinguishedFolderId Id="root"/></t:UserConfigurationName>"#
    );
    match op {
        "GetUserConfiguration" => format!(
            r#"<m:GetUserConfiguration><m:UserConfigurationName Name="{name}"><t:DistinguishedFolderId Id="root"/></m:UserConfigurationName><m:UserConfigurationProperties>BinaryData</m:UserConfigurationProperties></m:GetUserConfiguration>"#
        ),
        "DeleteUserConfiguration" => format!(
            r#"<m:DeleteUserConfiguration><m:UserConfigurationName Name="{name}"><t:DistinguishedFolderId Id="root"/></m:UserConfigurationName></m:DeleteUserConfiguration>"#
        ),
        _ => format!(
            r#"<m:{op}><m:UserConfiguration>{name_el}<t:BinaryData>{}</t:BinaryData></m:UserConfiguration></m:{op}>"#,
            binary.unwrap_or("")
        ),
    }
}
