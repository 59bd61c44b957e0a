//! Replies and forwards (CreateItem of `t:ReplyToItem`, `t:ReplyAllToItem`, `t:ForwardItem`):
//! the server makes the new message from the one it answers, as Exchange does: the
//! recipients (the sender; for reply-all also the other recipients but the replier), "RE:" or
//! "FW:" before the subject, and the new text above the original body.

use crate::MailboxError;
use crate::model::{Address, Property, Tag, Value};
use crate::props::StoredProperties;
use ews::{Body, Element, Item};
use store::ItemRow;

pub fn is_response(kind: &str) -> bool {
    matches!(kind, "ReplyToItem" | "ReplyAllToItem" | "ForwardItem")
}

fn mailboxes(props: &StoredProperties, tag: Tag) -> Vec<Address> {
    props.bag.addresses(&tag).to_vec()
}

fn address(m: &Address) -> String {
    m.email.as_deref().unwrap_or_default().trim().to_string()
}

fn holder(tag: Tag, list: Vec<Address>) -> Option<Element> {
    (!list.is_empty()).then(|| crate::wire::element(&Property(tag, Value::Mailboxes(list))))
}

fn prefixed(prefix: &str, subject: &str) -> String {
    let has = subject
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix));
    if has {
        subject.to_string()
    } else {
        format!("{prefix}{subject}")
    }
}

/// The message a reply or forward makes, from what the client sent (`src`) and the item it
/// answers; `me` are the replier's addresses, left out of reply-all.
fn respond(
    src: &Item,
    original: &ItemRow,
    props: &StoredProperties,
    me: &(dyn Fn(&str) -> bool + Sync),
) -> Item {
    let mut out = Item::new("Message");
    out.item_class = Some("IPM.Note".into());
    let given = |tag: &Tag| src.other.iter().find(|o| o.name == tag.name()).cloned();
    let sender = mailboxes(props, Tag::From)
        .into_iter()
        .chain(mailboxes(props, Tag::Sender))
        .next();
    let (prefix, to, cc) = match src.kind.as_str() {
        "ReplyToItem" => ("RE: ", sender.into_iter().collect(), Vec::new()),
        "ReplyAllToItem" => {
            let mut to: Vec<Address> = sender.into_iter().collect();
            for m in mailboxes(props, Tag::ToRecipients) {
                if !me(&address(&m))
                    && !to
                        .iter()
                        .any(|t| address(t).eq_ignore_ascii_case(&address(&m)))
                {
                    to.push(m);
                }
            }
            let cc = mailboxes(props, Tag::CcRecipients)
                .into_iter()
                .filter(|m| !me(&address(m)))
                .collect();
            ("RE: ", to, cc)
        }
        _ => ("FW: ", Vec::new(), Vec::new()),
    };
    out.subject = Some(
        src.subject
            .clone()
            .unwrap_or_else(|| prefixed(prefix, &original.subject)),
    );
    let new_text = src
        .other
        .iter()
        .find(|o| o.name == "NewBodyContent")
        .map(|b| (b.attr("BodyType").unwrap_or("Text").to_string(), b.text()))
        .or_else(|| {
            src.body
                .as_ref()
                .map(|b| (b.body_type.clone(), b.text.clone()))
        });
    let quoted = props
        .body
        .as_ref()
        .map(|b| b.text.clone())
        .unwrap_or_default();
    out.body = Some(match new_text {
        Some((kind, text)) if quoted.is_empty() => Body {
            body_type: kind,
            text,
        },
        Some((kind, text)) => Body {
            body_type: kind,
            text: format!("{text}\r\n\r\n{quoted}"),
        },
        None => Body {
            body_type: props
                .body
                .as_ref()
                .map(|b| b.body_type.clone())
                .unwrap_or_else(|| "Text".into()),
            text: quoted,
        },
    });
    for (tag, default) in [
        (Tag::ToRecipients, to),
        (Tag::CcRecipients, cc),
        (Tag::BccRecipients, Vec::new()),
    ] {
        if let Some(e) = given(&tag).or_else(|| holder(tag, default)) {
            out.other.push(e);
        }
    }
    out
}

impl crate::Mailbox {
    /// A reply or forward made into an item of `folder` (not stored): the item it answers is
    /// read from this mailbox; a forward carries the original's attachments (their contents are
    /// shared by digest, not copied).
    pub async fn compose_response(
        &self,
        folder: &store::FolderRow,
        src: &Item,
        me: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<(ItemRow, StoredProperties), MailboxError> {
        let reference = src
            .other
            .iter()
            .find(|o| o.name == "ReferenceItemId")
            .and_then(|r| r.attr("Id"))
            .ok_or_else(|| {
                MailboxError::InvalidRequest(format!("{} names no ReferenceItemId.", src.kind))
            })?;
        let (original, props) = self.item(reference).await?;
        let made = respond(src, &original, &props, me);
        let mut blobs = Vec::new();
        let now = store::now_ms();
        let (mut row, mut new_props) = self.compose_with(folder, &made, now, &mut blobs)?;
        if src.kind == "ForwardItem" && !props.attachments.is_empty() {
            new_props
                .attachments
                .extend(props.attachments.iter().cloned());
            crate::item::finish_stored(&mut row, &new_props, now);
        }
        self.store_ref().mailboxes().put_blobs(&blobs).await?;
        Ok((row, new_props))
    }
}
