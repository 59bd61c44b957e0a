//! The JSON answers every cloud endpoint shares: a body with its content type, and the STS's
//! error document (`AADSTS<code>: …` with trace and correlation ids), as Entra writes it.

use crate::dates::graph_time;
use crate::error::StsError;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

pub fn sts_error(e: StsError) -> Response {
    let now = graph_time(time::OffsetDateTime::now_utc()).replace('T', " ");
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    let body = OAuthErrorBody {
        error: e.error.to_string(),
        error_description: format!(
            "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {now}",
            e.code, e.description
        ),
        error_codes: [e.code],
        timestamp: now,
        trace_id: trace,
        correlation_id: correlation,
    };
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let text = serde_json::to_string(&body).expect("an error body serializes");
    json_response(status, text)
}

/// Entra's token endpoint refusal body.
#[derive(serde::Serialize)]
struct OAuthErrorBody {
    error: String,
    error_description: String,
    error_codes: [u32; 1],
    timestamp: String,
    trace_id: String,
    correlation_id: String,
}
