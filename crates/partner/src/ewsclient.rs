//! The partner's EWS client on the `ews` crate's typed requests and responses, with failures
//! sorted into "refused" (do not retry) and "unavailable" (retry later).

use crate::PartnerError;
use ews::{
    ExtendedFieldUri, ExtendedProperty, FolderRef, IndexedPageView, Item, ItemId, Operation,
    Payload, PropertyPath, Request, Response, ResponseMessage, Restriction, Shape,
    UserConfiguration, UserConfigurationName,
};

pub struct EwsClient {
    http: reqwest::Client,
}

/// The marker every item Hybrid's partner writes carries (a PublicStrings property), so that a
/// retried piece of work finds what an earlier attempt already wrote.
pub fn marker_uri() -> ExtendedFieldUri {
    ExtendedFieldUri::public_string("X-HybridWorkId", "String")
}

pub fn marker(work_id: &str) -> ExtendedProperty {
    ExtendedProperty::new(marker_uri(), work_id)
}

impl EwsClient {
    pub fn new(http: reqwest::Client) -> Self {
        EwsClient { http }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends one request; returns its first response message (Success or Warning).
    pub async fn call(
        &self,
        url: &str,
        token: &str,
        request: &Request,
    ) -> Result<ResponseMessage, PartnerError> {
        self.call_as(
            url,
            token,
            request,
            concat!("Hybrid/", env!("CARGO_PKG_VERSION")),
        )
        .await
    }

    /// [`EwsClient::call`] with the given User-Agent (a probe names itself).
    pub async fn call_as(
        &self,
        url: &str,
        token: &str,
        request: &Request,
        user_agent: &str,
    ) -> Result<ResponseMessage, PartnerError> {
        let message = self
            .call_all_as(url, token, request, user_agent)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                PartnerError::Unavailable("on-premises EWS answered no response message".into())
            })?;
        if message.is_error() {
            return Err(PartnerError::EwsRefused {
                code: message.code,
                message: message.text.unwrap_or_default(),
            });
        }
        Ok(message)
    }

    /// Sends one request; all its response messages (an error among them refuses the call).
    pub async fn call_all(
        &self,
        url: &str,
        token: &str,
        request: &Request,
    ) -> Result<Vec<ResponseMessage>, PartnerError> {
        let messages = self
            .call_all_as(
                url,
                token,
                request,
                concat!("Hybrid/", env!("CARGO_PKG_VERSION")),
            )
            .await?;
        if let Some(m) = messages.iter().find(|m| m.is_error()) {
            return Err(PartnerError::EwsRefused {
                code: m.code.clone(),
                message: m.text.clone().unwrap_or_default(),
            });
        }
        Ok(messages)
    }

    async fn call_all_as(
        &self,
        url: &str,
        token: &str,
        request: &Request,
        user_agent: &str,
    ) -> Result<Vec<ResponseMessage>, PartnerError> {
        let resp = self
            .http
            .post(url)
            .header("user-agent", user_agent)
            .header("content-type", "text/xml; charset=utf-8")
            .bearer_auth(token)
            .body(request.to_xml())
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
        let parsed = Response::parse(&text);
        if !status.is_success() {
            return Err(match parsed {
                Err(Ok(f))
                    if !matches!(
                        f.code.as_str(),
                        "ErrorServerBusy"
                            | "ErrorInternalServerTransientError"
                            | "ErrorInternalServerError"
                    ) =>
                {
                    PartnerError::EwsRefused {
                        code: f.code,
                        message: f.message,
                    }
                }
                _ => PartnerError::Unavailable(format!("on-premises EWS answered HTTP {status}")),
            });
        }
        let response = parsed.map_err(|_| {
            PartnerError::Unavailable("on-premises EWS answered no EWS response".into())
        })?;
        Ok(response.messages)
    }
}

/// The items a response message carries (CreateItem, GetItem, FindItem, UpdateItem).
pub fn items(message: &ResponseMessage) -> &[Item] {
    match &message.payload {
        Payload::Items(i) | Payload::UpdatedItems { items: i, .. } => i,
        Payload::FoundItems(r) => &r.entries,
        _ => &[],
    }
}

/// The first item's id.
pub fn item_id(message: &ResponseMessage) -> Option<ItemId> {
    items(message).first().and_then(|i| i.item_id.clone())
}

pub fn create_item(folder: &str, item: Item) -> Request {
    Request::new(Operation::CreateItem(ews::CreateItem {
        message_disposition: Some("SaveOnly".into()),
        send_meeting_invitations: None,
        saved_item_folder_id: Some(FolderRef::distinguished(folder)),
        items: vec![item],
    }))
}

/// FindItem for the item carrying `work_id`'s marker, with its IsDraft.
pub fn find_marked(folder: &str, work_id: &str) -> Request {
    Request::new(Operation::FindItem(ews::Find {
        shape: Shape::with(&["item:IsDraft"]),
        paging: Some(IndexedPageView::new(1, 0)),
        calendar_view: None,
        restriction: Some(Restriction::Compare {
            op: ews::ComparisonOp::IsEqualTo,
            path: Some(PropertyPath::Extended(marker_uri())),
            constant: Some(work_id.into()),
        }),
        parent_folder_ids: vec![FolderRef::distinguished(folder)],
        ..Default::default()
    }))
}

/// Finalises an archived draft in Purges and makes it immutable, under ArchiveApplication.
pub fn finalize_in_purges(id: &str) -> Request {
    let mut r = Request::new(Operation::UpdateItemInRecoverableItems(
        ews::UpdateItemInRecoverableItems {
            item_id: ItemId {
                id: id.into(),
                change_key: None,
                occurrence: None,
            },
            updates: Vec::new(),
            make_item_immutable: true,
        },
    ));
    r.header.application_roles = vec!["ArchiveApplication".into()];
    r
}

/// GetFolder of a distinguished folder, IdOnly (what Test-OAuthConnectivity asks).
/// GetDelegate of every delegate of `smtp`'s mailbox, with permissions.
pub fn get_delegates(smtp: &str) -> Request {
    Request::new(Operation::GetDelegate(ews::GetDelegate {
        include_permissions: true,
        mailbox: ews::types::EmailAddress {
            email_address: smtp.to_string(),
            ..Default::default()
        },
        user_ids: Vec::new(),
    }))
}

pub fn get_folder(folder: &str, impersonate: Option<&str>) -> Request {
    let mut r = Request::new(Operation::GetFolder(ews::GetFolder {
        shape: Shape::id_only(),
        folder_ids: vec![FolderRef::distinguished(folder)],
    }));
    r.header.impersonation = impersonate.map(|m| ews::ConnectingSid::SmtpAddress(m.into()));
    r
}

/// A user configuration on the mailbox root: Get (its BinaryData), Delete, or
/// Create/Update with `binary`.
pub fn user_configuration(op: &str, name: &str, binary: Option<&str>) -> Request {
    let name = UserConfigurationName::new(name, FolderRef::distinguished("root"));
    let cfg = || UserConfiguration {
        name: name.clone(),
        item_id: None,
        dictionary: None,
        xml_data: None,
        binary_data: Some(binary.unwrap_or("").to_string()),
    };
    Request::new(match op {
        "GetUserConfiguration" => Operation::GetUserConfiguration(ews::GetUserConfiguration {
            name: name.clone(),
            properties: "BinaryData".into(),
        }),
        "DeleteUserConfiguration" => {
            Operation::DeleteUserConfiguration(ews::DeleteUserConfiguration { name: name.clone() })
        }
        "CreateUserConfiguration" => Operation::CreateUserConfiguration(cfg()),
        _ => Operation::UpdateUserConfiguration(cfg()),
    })
}

/// GetUserOofSettings for the mailbox `smtp` (the user's own, as Skype for Business asks).
pub fn oof_settings(smtp: &str) -> Request {
    Request::new(Operation::GetUserOofSettings(ews::GetUserOofSettings {
        mailbox: smtp.to_string(),
    }))
}

/// GetUserAvailability of one mailbox over `start..end` (xs:dateTime, UTC), FreeBusy view.
pub fn free_busy(smtp: &str, start: &str, end: &str) -> Request {
    use ews::availability::{FreeBusyViewOptions, LegacyTimeZone, MailboxData};
    Request::new(Operation::GetUserAvailability(ews::GetUserAvailability {
        time_zone: LegacyTimeZone::default(),
        mailboxes: vec![MailboxData {
            address: smtp.to_string(),
            attendee_type: "Required".into(),
            exclude_conflicts: false,
        }],
        free_busy: Some(FreeBusyViewOptions {
            start: start.to_string(),
            end: end.to_string(),
            merged_interval_minutes: 30,
            requested_view: "FreeBusy".into(),
        }),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_back_as_built() {
        for r in [
            find_marked("recoverableitemspurges", "w-1"),
            finalize_in_purges("abc"),
            user_configuration(
                "UpdateUserConfiguration",
                "Um.CustomGreetings.External",
                Some("UklGRg=="),
            ),
            get_folder("inbox", Some("alice@contoso.com")),
        ] {
            assert_eq!(Request::parse(r.to_xml().as_bytes()).unwrap(), r);
        }
    }
}
