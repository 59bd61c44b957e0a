//! Email addresses and name resolutions.

use super::*;

/// `t:Mailbox` of a resolution.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailAddress {
    pub name: Option<String>,
    pub email_address: String,
    pub routing_type: String,
    pub mailbox_type: String,
}

impl EmailAddress {
    /// From a `t:Mailbox`-shaped element (`t:Address`, `t:Id`, …).
    pub fn parse(el: &Element) -> EmailAddress {
        EmailAddress {
            name: el.child_text("Name"),
            email_address: el.child_text("EmailAddress").unwrap_or_default(),
            routing_type: el.child_text("RoutingType").unwrap_or_default(),
            mailbox_type: el.child_text("MailboxType").unwrap_or_default(),
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.opt_leaf("t:Name", self.name.as_deref());
        w.leaf("t:EmailAddress", &self.email_address);
        if !self.routing_type.is_empty() {
            w.leaf("t:RoutingType", &self.routing_type);
        }
        if !self.mailbox_type.is_empty() {
            w.leaf("t:MailboxType", &self.mailbox_type);
        }
        w.close(name);
    }
}

/// `t:Resolution`: a mailbox, and its contact data when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub mailbox: EmailAddress,
    pub contact: Option<Contact>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub display_name: String,
    /// `(Key, value)` of `t:EmailAddresses/t:Entry`.
    pub email_addresses: Vec<(String, String)>,
}

impl Resolution {
    pub fn parse(el: &Element) -> Resolution {
        let m = el.child("Mailbox");
        let t = |n: &str| m.and_then(|m| m.child_text(n)).unwrap_or_default();
        Resolution {
            mailbox: EmailAddress {
                name: m.and_then(|m| m.child_text("Name")),
                email_address: t("EmailAddress"),
                routing_type: t("RoutingType"),
                mailbox_type: t("MailboxType"),
            },
            contact: el.child("Contact").map(|c| Contact {
                display_name: c.child_text("DisplayName").unwrap_or_default(),
                email_addresses: c
                    .child("EmailAddresses")
                    .into_iter()
                    .flat_map(|e| e.children_named("Entry"))
                    .map(|e| (e.attr("Key").unwrap_or("").to_string(), e.text()))
                    .collect(),
            }),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:Resolution", &[]);
        w.open("t:Mailbox", &[]);
        w.opt_leaf("t:Name", self.mailbox.name.as_deref());
        w.leaf("t:EmailAddress", &self.mailbox.email_address);
        w.leaf("t:RoutingType", &self.mailbox.routing_type);
        w.leaf("t:MailboxType", &self.mailbox.mailbox_type);
        w.close("t:Mailbox");
        if let Some(c) = &self.contact {
            w.open("t:Contact", &[]);
            w.leaf("t:DisplayName", &c.display_name);
            w.open("t:EmailAddresses", &[]);
            for (k, v) in &c.email_addresses {
                w.leaf_with("t:Entry", &[("Key", k)], v);
            }
            w.close("t:EmailAddresses");
            w.close("t:Contact");
        }
        w.close("t:Resolution");
    }
}
