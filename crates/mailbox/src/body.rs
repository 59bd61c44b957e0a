//! Bodies in the form a request asks for (`BodyType` Text, HTML or Best) and the text form of
//! an HTML body (TextBody), as Exchange converts them.

use serde::{Deserialize, Serialize};

/// A body: its type (Text or HTML, as the client named it) and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    pub body_type: String,
    pub text: String,
}

/// Elements after which text continues on a new line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "blockquote",
    "pre",
];

/// The text of an HTML body: tags dropped (with the content of head, style and script), block
/// elements ending lines, the common entities decoded, lines ending in CRLF.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut skipping: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skipping.is_none() {
            out.push_str(&decode_entities(&rest[..lt]));
        }
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        let closing = tag.starts_with('/');
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match (&skipping, closing) {
            (Some(s), true) if *s == name => skipping = None,
            (Some(_), _) => {}
            (None, false) if matches!(name.as_str(), "head" | "style" | "script") => {
                skipping = Some(match name.as_str() {
                    "head" => "head",
                    "style" => "style",
                    _ => "script",
                })
            }
            (None, _) if BLOCKS.contains(&name.as_str()) && (closing || name == "br") => {
                out.push_str("\r\n")
            }
            _ => {}
        }
    }
    if skipping.is_none() {
        out.push_str(&decode_entities(rest));
    }
    let mut text = out
        .trim_matches(|c| c == ' ' || c == '\n' || c == '\r')
        .to_string();
    text.push_str("\r\n");
    text
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| entity(&rest[1..e]));
        match (end, decoded) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

/// Text as HTML shows it.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn text_to_html(text: &str) -> String {
    let escaped = escape_html(text)
        .replace("\r\n", "<br>")
        .replace('\n', "<br>");
    format!(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>{escaped}</body></html>"
    )
}

fn is_html(b: &Body) -> bool {
    b.body_type.eq_ignore_ascii_case("HTML")
}

/// The body in the type asked for: `Text`, `HTML`, or as stored (`Best` or none).
pub fn body_as(b: &Body, wanted: Option<&str>) -> Body {
    match wanted {
        Some(w) if w.eq_ignore_ascii_case("Text") && is_html(b) => Body {
            body_type: "Text".into(),
            text: html_to_text(&b.text),
        },
        Some(w) if w.eq_ignore_ascii_case("HTML") && !is_html(b) => Body {
            body_type: "HTML".into(),
            text: text_to_html(&b.text),
        },
        _ => b.clone(),
    }
}

/// TextBody: the body as text.
pub fn text_body(b: &Body) -> Body {
    body_as(b, Some("Text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("<html><body>Hello HTML</body></html>"),
            "Hello HTML\r\n"
        );
        assert_eq!(
            html_to_text(
                "<html><head><style>p{}</style></head><body><p>a &amp; b</p><p>c&#33;</p></body></html>"
            ),
            "a & b\r\nc!\r\n"
        );
        assert_eq!(html_to_text("x &bogus; y"), "x &bogus; y\r\n");
    }

    #[test]
    fn conversions_follow_the_asked_type() {
        let text = Body {
            body_type: "Text".into(),
            text: "a < b".into(),
        };
        assert_eq!(body_as(&text, Some("Best")), text);
        assert!(body_as(&text, Some("HTML")).text.contains("a &lt; b"));
        let html = Body {
            body_type: "HTML".into(),
            text: "<b>x</b>".into(),
        };
        assert_eq!(body_as(&html, Some("Text")).text, "x\r\n");
    }
}
