//! Replies and forwards (CreateItem of `t:ReplyToItem`, `t:ReplyAllToItem`, `t:ForwardItem`):
//! the server makes the new message from the one it answers, as Exchange does: the
//! recipients (the sender; for reply-all also the other recipients but the replier), "RE:" or
//! "FW:" before the subject, and the new text above the original body.

use crate::body::Body;
use crate::draft::{ItemDraft, Response, ResponseKind};
use crate::model::{Address, ItemKind, Property, Tag, Value};
use crate::props::StoredProperties;
use store::ItemRow;

fn mailboxes(props: &StoredProperties, tag: Tag) -> Vec<Address> {
    props.bag.addresses(&tag).to_vec()
}

fn address(m: &Address) -> String {
    m.email.as_deref().unwrap_or_default().trim().to_string()
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

/// The message a reply or forward makes, from what the client sent and the item it answers;
/// `me` are the replier's addresses, left out of reply-all.
pub(crate) fn respond(
    r: &Response,
    original: &ItemRow,
    props: &StoredProperties,
    me: &(dyn Fn(&str) -> bool + Sync),
) -> ItemDraft {
    let src = &r.draft;
    let mut out = ItemDraft::new(ItemKind::Message);
    out.class = Some(ItemKind::Message.default_class().into());
    let sender = mailboxes(props, Tag::From)
        .into_iter()
        .chain(mailboxes(props, Tag::Sender))
        .next();
    let (prefix, to, cc) = match r.kind {
        ResponseKind::Reply => ("RE: ", sender.into_iter().collect(), Vec::new()),
        ResponseKind::ReplyAll => {
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
        ResponseKind::Forward => ("FW: ", Vec::new(), Vec::new()),
    };
    out.subject = Some(
        src.subject
            .clone()
            .unwrap_or_else(|| prefixed(prefix, &original.subject)),
    );
    let new_text = r.new_body.clone().or_else(|| src.body.clone());
    let quoted = props
        .body
        .as_ref()
        .map(|b| b.text.clone())
        .unwrap_or_default();
    out.body = Some(match new_text {
        Some(b) if quoted.is_empty() => b,
        Some(b) => Body {
            body_type: b.body_type,
            text: format!("{}\r\n\r\n{quoted}", b.text),
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
        match src.prop(&tag) {
            Some(given) => out.props.push(Property(tag, given.clone())),
            None if !default.is_empty() => out.props.push(Property(tag, Value::Mailboxes(default))),
            None => {}
        }
    }
    out
}
