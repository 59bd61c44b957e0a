//! MimeContent: an item made from an RFC 5322 message (CreateItem with `t:MimeContent`) takes
//! its subject, body, addresses, sent time and file attachments from it, as Exchange converts
//! MIME to properties; GetItem with IncludeMimeContent writes the item back out as MIME. Both
//! ways go through `mail-parser` and `mail-builder`.

use crate::MailboxError;
use crate::body::Body;
use crate::draft::{ItemDraft, NewAttachment, NewContent};
use crate::model::{Address, Property, Tag, Value};
use crate::props::StoredProperties;
use crate::props::{StoredAttachment, StoredContent};
use mail_parser::{MessageParser, MimeHeaders};

fn recipients(list: Option<&mail_parser::Address>) -> Vec<Address> {
    list.map(|list| {
        list.iter()
            .filter_map(|a| {
                Some(Address {
                    name: a.name.as_deref().map(str::to_string),
                    email: Some(a.address.as_deref()?.to_string()),
                    routing_type: Some("SMTP".into()),
                    mailbox_type: None,
                })
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The item a client sends, with what its MIME form says filled in where the item itself says
/// nothing (properties sent beside the MIME win, as in Exchange).
pub fn merged(mut out: ItemDraft) -> Result<ItemDraft, MailboxError> {
    let Some(raw) = out.mime.take() else {
        return Ok(out);
    };
    let msg = MessageParser::default()
        .parse(&raw)
        .ok_or_else(|| MailboxError::InvalidRequest("MimeContent is not a MIME message.".into()))?;
    if out.subject.is_none() {
        out.subject = msg.subject().map(str::to_string);
    }
    if out.body.is_none() {
        // The parser offers every body both ways; keep the form the message was written in.
        let written_as_html = msg.html_part(0).is_some_and(|p| p.is_text_html());
        out.body = match (written_as_html, msg.body_html(0), msg.body_text(0)) {
            (true, Some(html), _) => Some(Body {
                body_type: "HTML".into(),
                text: html.into_owned(),
            }),
            (_, _, Some(text)) => Some(Body {
                body_type: "Text".into(),
                text: text.trim_end_matches(['\r', '\n']).to_string(),
            }),
            _ => None,
        };
    }
    let mut add = Vec::new();
    for (tag, list) in [
        (Tag::ToRecipients, msg.to()),
        (Tag::CcRecipients, msg.cc()),
        (Tag::BccRecipients, msg.bcc()),
        (Tag::From, msg.from()),
    ] {
        let list = recipients(list);
        if out.prop(&tag).is_some() || list.is_empty() {
            continue;
        }
        let value = match list.as_slice() {
            [one] if tag == Tag::From => Value::Mailbox(one.clone()),
            _ => Value::Mailboxes(list),
        };
        add.push(Property(tag, value));
    }
    if let Some(d) = msg.date()
        && out.prop(&Tag::DateTimeSent).is_none()
    {
        add.push(Property(
            Tag::DateTimeSent,
            Value::Time(d.to_timestamp() * 1000),
        ));
    }
    out.props.extend(add);
    if out.attachments.is_none() {
        let files: Vec<NewAttachment> = msg
            .attachments()
            .filter(|p| !p.is_message())
            .map(|p| NewAttachment {
                name: p.attachment_name().map(str::to_string),
                content_type: p.content_type().map(|c| match c.subtype() {
                    Some(s) => format!("{}/{s}", c.ctype()),
                    None => c.ctype().to_string(),
                }),
                content_id: p.content_id().map(str::to_string),
                content_location: None,
                is_inline: p.content_id().is_some(),
                content: NewContent::File {
                    bytes: p.contents().to_vec(),
                    is_contact_photo: false,
                },
            })
            .collect();
        if !files.is_empty() {
            out.attachments = Some(files);
        }
    }
    Ok(out)
}

fn addresses(props: &StoredProperties, tag: Tag) -> Vec<(String, String)> {
    props
        .bag
        .addresses(&tag)
        .iter()
        .filter_map(|a| {
            let email = a.email.as_deref()?.trim().to_string();
            Some((
                a.name.as_deref().unwrap_or_default().trim().to_string(),
                email,
            ))
        })
        .collect()
}

fn address_list(list: Vec<(String, String)>) -> mail_builder::headers::address::Address<'static> {
    mail_builder::headers::address::Address::new_list(
        list.into_iter()
            .map(|(n, a)| {
                mail_builder::headers::address::Address::new_address(
                    (!n.is_empty()).then_some(n),
                    a,
                )
            })
            .collect(),
    )
}

/// The item as a MIME message; `content` gives the bytes of each file attachment's blob.
pub fn to_mime(
    subject: &str,
    sent_ms: i64,
    props: &StoredProperties,
    content: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Vec<u8> {
    let mut b = mail_builder::MessageBuilder::new().subject(subject.to_string());
    for (tag, header) in [
        (Tag::From, 0),
        (Tag::ToRecipients, 1),
        (Tag::CcRecipients, 2),
        (Tag::BccRecipients, 3),
    ] {
        let list = addresses(props, tag);
        if list.is_empty() {
            continue;
        }
        let a = address_list(list);
        b = match header {
            0 => b.from(a),
            1 => b.to(a),
            2 => b.cc(a),
            _ => b.bcc(a),
        };
    }
    b = b.date(sent_ms / 1000);
    match &props.body {
        Some(body) if body.body_type.eq_ignore_ascii_case("HTML") => {
            b = b.html_body(body.text.clone())
        }
        Some(body) => b = b.text_body(body.text.clone()),
        None => b = b.text_body(String::new()),
    }
    for a in &props.attachments {
        let StoredAttachment {
            content: StoredContent::File { blob, .. },
            ..
        } = a
        else {
            continue;
        };
        let bytes = content(blob).unwrap_or_default();
        let ctype = a
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into());
        let name = a.name.clone().unwrap_or_else(|| "attachment".into());
        b = b.attachment(ctype, name, bytes);
    }
    b.write_to_vec().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ItemKind;

    fn item_from(mime: &str) -> ItemDraft {
        let mut src = ItemDraft::new(ItemKind::Message);
        src.mime = Some(mime.as_bytes().to_vec());
        merged(src).unwrap()
    }

    fn first_address(i: &ItemDraft, tag: Tag) -> Address {
        i.prop(&tag).unwrap().addresses()[0].clone()
    }

    #[test]
    fn mime_fills_what_the_item_leaves_out() {
        let i = item_from(
            "From: Bob <bob@contoso.com>\r\nTo: alice@contoso.com\r\nSubject: Hello there\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMIME test mail\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n",
        );
        assert_eq!(i.subject.as_deref(), Some("Hello there"));
        assert_eq!(i.body.as_ref().unwrap().text, "MIME test mail");
        assert_eq!(
            first_address(&i, Tag::ToRecipients).email.as_deref(),
            Some("alice@contoso.com")
        );
        assert!(matches!(i.prop(&Tag::From), Some(Value::Mailbox(_))));
        let a = &i.attachments.as_ref().unwrap()[0];
        assert_eq!(a.name.as_deref(), Some("a.bin"));
        assert!(matches!(&a.content, NewContent::File { bytes, .. } if bytes == &[0, 1, 2]));
        // What the client sent beside the MIME wins.
        let mut src = ItemDraft::new(ItemKind::Message);
        src.subject = Some("Mine".into());
        src.mime = Some(b"Subject: Theirs\r\n\r\nx".to_vec());
        assert_eq!(merged(src).unwrap().subject.as_deref(), Some("Mine"));
    }

    #[test]
    fn items_write_out_as_mime_that_reads_back() {
        let i = item_from(
            "From: bob@contoso.com\r\nTo: Alice <alice@contoso.com>\r\nSubject: Round trip\r\n\r\nbody text\r\n",
        );
        let props = StoredProperties {
            body: i.body.clone(),
            bag: i.props.iter().cloned().collect(),
            ..Default::default()
        };
        let out = to_mime("Round trip", 1_796_227_200_000, &props, &|_| None);
        let back = item_from(std::str::from_utf8(&out).unwrap());
        assert_eq!(back.subject.as_deref(), Some("Round trip"));
        assert_eq!(back.body.as_ref().unwrap().text, "body text");
        assert_eq!(
            first_address(&back, Tag::ToRecipients).name.as_deref(),
            Some("Alice")
        );
    }
}
