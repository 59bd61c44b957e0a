//! EWS at /EWS/Exchange.asmx behind S2S OAuth: the bearer token is validated by the s2s
//! pipeline against the in-memory trust configuration, the user is resolved from its claims,
//! the partner application's linked account decides the EWS methods (UserApplication,
//! ArchiveApplication), and the operation runs on the user's mailbox.

mod auth;
pub mod autodiscover;
mod folders;
mod items;
mod render;
mod userconfig;

use crate::server::OnPremState;
use crate::trust::UserEntry;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ews::soap;
use std::sync::Arc;

/// Who is calling and on whose mailbox.
pub struct Caller {
    /// The user the token acts for (None for app-only tokens).
    pub user: Option<UserEntry>,
    /// The mailbox the request works on.
    pub mailbox: UserEntry,
    pub partner_application: String,
}

/// Operations this server implements.
pub const OPERATIONS: &[&str] = &[
    "ConvertId",
    "GetFolder",
    "FindFolder",
    "FindItem",
    "GetItem",
    "CreateItem",
    "DeleteItem",
    "UpdateItem",
    "MoveItem",
    "CopyItem",
    "GetUserConfiguration",
    "CreateUserConfiguration",
    "UpdateUserConfiguration",
    "DeleteUserConfiguration",
    "ResolveNames",
    "UpdateItemInRecoverableItems",
];

pub fn xml_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// A SOAP fault (HTTP 500, XML declaration first, no `Connection: close`).
pub fn fault(code: &str, message: &str) -> Response {
    xml_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        soap::fault(code, message),
    )
}

pub async fn handle(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let caller_ctx = match auth::authenticate(&state, &headers).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let envelope = match soap::Envelope::parse(&body) {
        Ok(e) => e,
        Err(e) => {
            return fault(
                "ErrorSchemaValidation",
                &format!("The request failed schema validation: {e}"),
            );
        }
    };
    let op = envelope.operation.name.clone();
    if envelope.operation.ns != soap::NS_MESSAGES || !OPERATIONS.contains(&op.as_str()) {
        return fault(
            "ErrorInvalidOperation",
            &format!("The operation '{op}' is not supported by this server."),
        );
    }
    let caller = match auth::authorize(&state, &caller_ctx, &envelope, &headers) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    let result = dispatch(&state, &caller, &envelope.operation).await;
    tracing::info!(op = %op, user = %caller.mailbox.primary_smtp, app = %caller.partner_application, micros = started.elapsed().as_micros() as u64, "ews");
    match result {
        Ok(xml) => xml_response(StatusCode::OK, soap::envelope(&xml)),
        Err(e) => {
            tracing::warn!(op = %op, "ews failure: {e}");
            fault(
                "ErrorInternalServerError",
                "An internal server error occurred. The operation failed.",
            )
        }
    }
}

async fn dispatch(
    state: &OnPremState,
    c: &Caller,
    op: &ews::Element,
) -> Result<String, store::StoreError> {
    match op.name.as_str() {
        "ConvertId" => Ok(folders::convert_id(op)),
        "GetFolder" => folders::get_folder(state, c, op).await,
        "FindFolder" => folders::find_folder(state, c, op).await,
        "FindItem" => items::find_item(state, c, op).await,
        "GetItem" => items::get_item(state, c, op).await,
        "CreateItem" => items::create_item(state, c, op).await,
        "DeleteItem" => items::delete_item(state, c, op).await,
        "UpdateItem" => items::update_item(state, c, op, false).await,
        "UpdateItemInRecoverableItems" => items::update_item(state, c, op, true).await,
        "MoveItem" | "CopyItem" => items::move_or_copy(state, c, op).await,
        "GetUserConfiguration"
        | "CreateUserConfiguration"
        | "UpdateUserConfiguration"
        | "DeleteUserConfiguration" => userconfig::handle(state, c, op).await,
        "ResolveNames" => Ok(folders::resolve_names(state, op)),
        _ => unreachable!("checked against OPERATIONS"),
    }
}
