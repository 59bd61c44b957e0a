//! The operator's web view of the trust, `GET /admin/ui`, behind the organization admin
//! credential (a browser asks for it: any user name, the credential as password). One
//! server-rendered page: the doctor's findings with their fix commands, the auth certificates
//! with where each is uploaded and a timeline of their validity, the recent S2S handshakes
//! (followed live by a small script polling `/admin/handshakes`), and the partner's queue. No
//! external assets.

use crate::model::report::{CertificateUse, Findings, QueueSummary, TrustReport};
use crate::state::OnPremState;
pub use crate::state::ReportHook;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::fmt::Write;
use std::sync::Arc;
use store::HandshakeEvent;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const HANDSHAKES_SHOWN: usize = 25;
const REALM: &str = "Basic realm=\"Hybrid on-premises\", charset=\"UTF-8\"";

pub async fn page(State(state): State<Arc<OnPremState>>, headers: HeaderMap) -> Response {
    match state.authenticate(&headers) {
        Err(_) => {
            let mut r = (
                StatusCode::UNAUTHORIZED,
                Html(html_page("Sign in", "<p>The organization admin credential is the password (DIR/onprem/admin.credential); any user name.</p>")),
            )
                .into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
            return r;
        }
        Ok(true) => {
            return (
                StatusCode::FORBIDDEN,
                Html(html_page(
                    "Forbidden",
                    "<p>Use the organization admin credential, not the operator's.</p>",
                )),
            )
                .into_response();
        }
        Ok(false) => {}
    }
    let org = crate::objects::organization(&state.store)
        .await
        .unwrap_or_default();
    let events = state
        .store
        .handshakes()
        .latest(HANDSHAKES_SHOWN as i64)
        .await
        .unwrap_or_default();
    let report = match &state.config.trust_report {
        Some(r) => (r.0)()
            .await
            .unwrap_or_else(|e| TrustReport::failed(format!("the trust report failed: {e}"))),
        None => TrustReport::failed(
            "this server was started without the other organizations' credentials (hybrid serve onprem or hybrid up with a data folder): findings, uploads and the queue are not shown".into(),
        ),
    };
    let now = OffsetDateTime::now_utc();
    let body = render(&org, &report, &events, now);
    let title = format!("Trust of {}", org.name);
    let mut r = (StatusCode::OK, Html(html_page(&title, &body))).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:24px;color:#1b1b1b}h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e3e3;padding:4px 8px;text-align:left;vertical-align:top}code,pre{font:12px ui-monospace,monospace;background:#f4f4f4;padding:2px 4px}pre{margin:2px 0;white-space:pre-wrap}.Error{color:#b00020;font-weight:600}.Warning{color:#9a6700;font-weight:600}.ok{color:#116329}.rejected{color:#b00020}.accepted{color:#116329}.note{color:#666}";

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    )
}

/// The page's body, from the organization, the trust report and the handshake events.
pub fn render(
    org: &crate::model::Organization,
    report: &TrustReport,
    events: &[HandshakeEvent],
    now: OffsetDateTime,
) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<p class=\"note\">EWS {} · generated {}</p>",
        esc(&org.ews_url),
        now.format(&Rfc3339).unwrap_or_default()
    );
    for e in &report.errors {
        let _ = write!(b, "<p class=\"Warning\">{}</p>", esc(e));
    }
    findings(&mut b, report.findings.as_ref());
    certificates(
        &mut b,
        report.certificates.as_deref().unwrap_or_default(),
        now,
    );
    handshakes(&mut b, events);
    queue(&mut b, report.queue.as_ref());
    b
}

/// The doctor's report: its overall status, then each check with its findings and fixes.
fn findings(b: &mut String, report: Option<&Findings>) {
    b.push_str("<h2 id=\"findings\">Findings</h2>");
    let Some(report) = report else {
        b.push_str("<p class=\"note\">Not available.</p>");
        return;
    };
    let status = report.status.as_str();
    let _ = write!(
        b,
        "<p id=\"status\">Overall: <span class=\"{cls}\">{}</span> ({} error(s), {} warning(s))</p>",
        esc(status),
        report.errors,
        report.warnings,
        cls = if status == "OK" {
            "ok".to_string()
        } else {
            esc(status)
        },
    );
    b.push_str("<table><tr><th>Check</th><th>Finding</th><th>Fix</th></tr>");
    for c in &report.checks {
        if c.findings.is_empty() {
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"ok\">OK</td><td></td></tr>",
                esc(&c.name)
            );
        }
        for f in &c.findings {
            let fixes: String = f
                .fix
                .iter()
                .map(|l| format!("<pre>{}</pre>", esc(l)))
                .collect();
            let _ = write!(
                b,
                "<tr><td>{}</td><td><span class=\"{sev}\">{sev}</span> <code>{}</code> {}</td><td>{fixes}</td></tr>",
                esc(&c.name),
                esc(&f.code),
                esc(&f.message),
                sev = esc(&f.severity),
            );
        }
    }
    b.push_str("</table>");
}

fn parse(t: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(t, &Rfc3339).ok()
}

fn certificates(b: &mut String, certs: &[CertificateUse], now: OffsetDateTime) {
    b.push_str("<h2 id=\"certificates\">Auth certificates</h2>");
    if certs.is_empty() {
        b.push_str("<p class=\"note\">Not available.</p>");
        return;
    }
    b.push_str("<table><tr><th>Role</th><th>Thumbprint</th><th>Valid</th><th>Days left</th><th>Uploaded to</th></tr>");
    for c in certs {
        let uploaded: Vec<String> = c.uploaded_to.iter().map(|u| esc(u)).collect();
        let _ = write!(
            b,
            "<tr><td>{}</td><td><code>{}</code></td><td>{} – {}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.role),
            esc(&c.thumbprint),
            esc(c.not_before.as_deref().unwrap_or("")),
            esc(c.not_after.as_deref().unwrap_or("")),
            c.days_left.map(|d| d.to_string()).unwrap_or_default(),
            if uploaded.is_empty() {
                "nowhere".into()
            } else {
                uploaded.join("<br>")
            }
        );
    }
    b.push_str("</table>");
    timeline(b, certs, now);
}

/// One bar per certificate over the span they cover, and a line at now.
fn timeline(b: &mut String, certs: &[CertificateUse], now: OffsetDateTime) {
    let spans: Vec<(&CertificateUse, OffsetDateTime, OffsetDateTime)> = certs
        .iter()
        .filter_map(|c| {
            Some((
                c,
                parse(c.not_before.as_deref()?)?,
                parse(c.not_after.as_deref()?)?,
            ))
        })
        .collect();
    let (Some(start), Some(end)) = (
        spans.iter().map(|s| s.1).chain([now]).min(),
        spans.iter().map(|s| s.2).chain([now]).max(),
    ) else {
        return;
    };
    let total = (end - start).whole_seconds().max(1) as f64;
    let x = |t: OffsetDateTime| 120.0 + 660.0 * (t - start).whole_seconds() as f64 / total;
    let height = 30 + 26 * spans.len();
    let _ = write!(
        b,
        "<svg id=\"timeline\" width=\"800\" height=\"{height}\" role=\"img\" aria-label=\"certificate validity\">"
    );
    for (i, (c, from, to)) in spans.iter().enumerate() {
        let y = 10 + 26 * i;
        let _ = write!(
            b,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{} {}</text><rect x=\"{:.1}\" y=\"{y}\" width=\"{:.1}\" height=\"18\" fill=\"{}\"><title>{} – {}</title></rect>",
            y + 13,
            esc(&c.role),
            esc(&c.thumbprint.chars().take(8).collect::<String>()),
            x(*from),
            (x(*to) - x(*from)).max(2.0),
            if *to < now { "#b00020" } else { "#2f81f7" },
            esc(c.not_before.as_deref().unwrap_or("")),
            esc(c.not_after.as_deref().unwrap_or("")),
        );
    }
    let _ = write!(
        b,
        "<line x1=\"{n:.1}\" x2=\"{n:.1}\" y1=\"0\" y2=\"{height}\" stroke=\"#000\" stroke-dasharray=\"4 3\"/><text x=\"{n:.1}\" y=\"{}\" font-size=\"11\">now</text></svg>",
        height - 2,
        n = x(now)
    );
}

fn handshake_row(e: &HandshakeEvent) -> String {
    let readable =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    let at = OffsetDateTime::from_unix_timestamp_nanos(e.at_ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&readable).ok())
        .unwrap_or_default();
    format!(
        "<tr><td>{}</td><td>{}</td><td class=\"{o}\">{o}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        esc(&at),
        esc(&e.direction),
        esc(&e.token_kind),
        esc(&e.issuer),
        esc(&e.nameid),
        esc(&e.user),
        esc(&e.error),
        o = esc(&e.outcome),
    )
}

fn handshakes(b: &mut String, events: &[HandshakeEvent]) {
    let last = events.last().map(|e| e.seq).unwrap_or(0);
    let _ = write!(
        b,
        "<h2 id=\"handshakes\">Recent handshakes <span class=\"note\" id=\"live\"></span></h2><table><thead><tr><th>Time</th><th>Direction</th><th>Outcome</th><th>Token</th><th>Issuer</th><th>Name id</th><th>User</th><th>Error</th></tr></thead><tbody id=\"events\" data-after=\"{last}\">"
    );
    for e in events.iter().rev().take(HANDSHAKES_SHOWN) {
        b.push_str(&handshake_row(e));
    }
    b.push_str("</tbody></table>");
    // Follows new events: same-origin requests carry the credential the browser was given.
    b.push_str(r#"<script>
(function () {
  var body = document.getElementById('events'), live = document.getElementById('live');
  var after = Number(body.dataset.after || 0);
  function cell(t, cls) { var td = document.createElement('td'); td.textContent = t || ''; if (cls) td.className = cls; return td; }
  function poll() {
    fetch(location.origin + '/admin/handshakes?after=' + after + '&limit=100', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (v) {
        (v.Events || []).forEach(function (e) {
          var tr = document.createElement('tr');
          [new Date(e.atMs).toISOString().replace('T', ' ').slice(0, 19) + ' UTC', e.direction].forEach(function (t) { tr.appendChild(cell(t)); });
          tr.appendChild(cell(e.outcome, e.outcome));
          [e.tokenKind, e.issuer, e.nameid, e.user, e.error].forEach(function (t) { tr.appendChild(cell(t)); });
          body.insertBefore(tr, body.firstChild);
          after = Math.max(after, e.seq);
        });
        live.textContent = '(live)';
      })
      .catch(function () { live.textContent = '(not following: sign in again)'; });
  }
  setInterval(poll, 2000);
  poll();
})();
</script>"#);
}

fn queue(b: &mut String, q: Option<&QueueSummary>) {
    b.push_str("<h2 id=\"queue\">The partner's work queue</h2>");
    let Some(q) = q else {
        b.push_str("<p class=\"note\">Not available.</p>");
        return;
    };
    let _ = write!(
        b,
        "<p>Pending <b>{}</b> · leased <b>{}</b> · dead-lettered <b>{}</b></p>",
        q.pending, q.leased, q.dead
    );
    if q.jobs.is_empty() {
        return;
    }
    b.push_str("<table><tr><th>Id</th><th>Kind</th><th>User</th><th>State</th><th>Attempts</th><th>Last error</th></tr>");
    for j in &q.jobs {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&j.id),
            esc(&j.kind),
            esc(&j.user),
            esc(&j.state),
            j.attempts,
            esc(&j.last_error)
        );
    }
    b.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_page_escapes_what_it_shows_and_draws_each_certificate() {
        let report: TrustReport = serde_json::from_value(json!({
            "findings": {"status": "Error", "errors": 1, "warnings": 0, "checks": [
                {"name": "auth certificate", "findings": []},
                {"name": "auth server (step 1)", "findings": [{"code": "MetadataUnreachable", "severity": "Error",
                  "message": "<script>alert(1)</script>", "fix": ["hybrid onprem set-auth-server --identity \"A & B\""]}]},
            ]},
            "certificates": [
                {"role": "Current", "thumbprint": "ABCDEF0123", "notBefore": "2026-01-01T00:00:00Z",
                 "notAfter": "2031-01-01T00:00:00Z", "daysLeft": 1500, "uploadedTo": ["00000004-… (Skype)"]},
            ],
            "queue": {"pending": 1, "leased": 0, "dead": 0, "jobs": []},
        }))
        .unwrap();
        let event = HandshakeEvent {
            seq: 7,
            direction: "inbound".into(),
            outcome: "accepted".into(),
            user: "alice@contoso.com".into(),
            ..Default::default()
        };
        let now = parse("2026-06-01T00:00:00Z").unwrap();
        let page = render(
            &crate::model::Organization {
                ews_url: "https://mail.contoso.com/EWS/Exchange.asmx".into(),
                ..Default::default()
            },
            &report,
            &[event],
            now,
        );
        assert!(!page.contains("<script>alert"), "finding text is escaped");
        assert!(
            page.contains("<td>1970-01-01 00:00:00 UTC</td>"),
            "times to the second"
        );
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("--identity &quot;A &amp; B&quot;"));
        assert!(
            page.contains("Overall: <span class=\"Error\">Error</span> (1 error(s), 0 warning(s))")
        );
        assert!(
            page.contains("<rect") && page.contains("ABCDEF01"),
            "one bar per certificate"
        );
        assert!(page.contains("alice@contoso.com") && page.contains("data-after=\"7\""));
        assert!(page.contains("Pending <b>1</b>"));
    }
}
