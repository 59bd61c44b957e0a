//! Minimal PEM (RFC 7468) reading and writing: labelled base64 blocks.

use crate::CryptoError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One decoded PEM block.
pub struct PemBlock {
    pub label: String,
    pub der: Vec<u8>,
}

/// True when the bytes look like PEM text rather than DER.
pub fn looks_like_pem(data: &[u8]) -> bool {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    data[start..].starts_with(b"-----BEGIN ")
}

/// Decodes every PEM block in `text`, in order. Text outside blocks is ignored, as OpenSSL does.
pub fn parse_all(text: &[u8]) -> Result<Vec<PemBlock>, CryptoError> {
    let text = std::str::from_utf8(text).map_err(|_| CryptoError::Pem("not UTF-8 text".into()))?;
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = begin_label(line.trim()) else {
            continue;
        };
        let mut body = String::new();
        let mut closed = false;
        for inner in lines.by_ref() {
            let inner = inner.trim();
            if let Some(end) = inner
                .strip_prefix("-----END ")
                .and_then(|l| l.strip_suffix("-----"))
            {
                if end != label {
                    return Err(CryptoError::Pem(format!(
                        "BEGIN {label} closed by END {end}"
                    )));
                }
                closed = true;
                break;
            }
            if inner.contains(':') {
                continue; // RFC 1421 headers such as Proc-Type are not base64
            }
            body.push_str(inner);
        }
        if !closed {
            return Err(CryptoError::Pem(format!("BEGIN {label} has no END line")));
        }
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|e| CryptoError::Pem(format!("bad base64 in {label}: {e}")))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            der,
        });
    }
    Ok(blocks)
}

/// The first block with one of `labels`.
pub fn find(text: &[u8], labels: &[&str]) -> Result<PemBlock, CryptoError> {
    parse_all(text)?
        .into_iter()
        .find(|b| labels.contains(&b.label.as_str()))
        .ok_or_else(|| CryptoError::Pem(format!("no {} block found", labels.join(" or "))))
}

fn begin_label(line: &str) -> Option<&str> {
    line.strip_prefix("-----BEGIN ")?.strip_suffix("-----")
}

/// Encodes DER as a PEM block with 64-character lines.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_labels() {
        let der = (0u8..=200).collect::<Vec<_>>();
        let text = format!(
            "junk\n{}{}",
            encode("CERTIFICATE", &der),
            encode("PRIVATE KEY", &[1, 2, 3])
        );
        let blocks = parse_all(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].der, der);
        assert_eq!(
            find(text.as_bytes(), &["PRIVATE KEY"]).unwrap().der,
            vec![1, 2, 3]
        );
        assert!(looks_like_pem(text.trim_start_matches("junk\n").as_bytes()));
    }

    #[test]
    fn refuses_unterminated_and_mismatched_blocks() {
        assert!(parse_all(b"-----BEGIN CERTIFICATE-----\nAAAA\n").is_err());
        assert!(parse_all(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END KEY-----\n").is_err());
        assert!(
            parse_all(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").is_err()
        );
        assert!(find(b"nothing here", &["CERTIFICATE"]).is_err());
    }
}
