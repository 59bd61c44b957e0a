//! The delegate operations' shared types: who a delegate is and what they may do.

use crate::writer::Writer;
use crate::xml::Element;

/// `t:UserId` of the delegate operations: a SID, an SMTP address, or a distinguished user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserId {
    pub sid: Option<String>,
    pub primary_smtp_address: Option<String>,
    pub display_name: Option<String>,
    pub distinguished_user: Option<String>,
}

impl UserId {
    pub fn parse(el: &Element) -> UserId {
        UserId {
            sid: el.child_text("SID"),
            primary_smtp_address: el.child_text("PrimarySmtpAddress"),
            display_name: el.child_text("DisplayName"),
            distinguished_user: el.child_text("DistinguishedUser"),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:UserId", &[]);
        w.opt_leaf("t:SID", self.sid.as_deref());
        w.opt_leaf("t:PrimarySmtpAddress", self.primary_smtp_address.as_deref());
        w.opt_leaf("t:DisplayName", self.display_name.as_deref());
        w.opt_leaf("t:DistinguishedUser", self.distinguished_user.as_deref());
        w.close("t:UserId");
    }
}

/// `t:DelegatePermissions`: a permission level (None, Editor, Reviewer, Author, Custom) for
/// each of the owner's default folders, when given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DelegatePermissions {
    pub calendar: Option<String>,
    pub tasks: Option<String>,
    pub inbox: Option<String>,
    pub contacts: Option<String>,
    pub notes: Option<String>,
    pub journal: Option<String>,
}

const DELEGATE_FOLDERS: [&str; 6] = ["Calendar", "Tasks", "Inbox", "Contacts", "Notes", "Journal"];

impl DelegatePermissions {
    fn slots(&mut self) -> [&mut Option<String>; 6] {
        [
            &mut self.calendar,
            &mut self.tasks,
            &mut self.inbox,
            &mut self.contacts,
            &mut self.notes,
            &mut self.journal,
        ]
    }

    /// (folder, level) of the levels given.
    pub fn levels(&self) -> Vec<(&'static str, &str)> {
        let given = [
            &self.calendar,
            &self.tasks,
            &self.inbox,
            &self.contacts,
            &self.notes,
            &self.journal,
        ];
        DELEGATE_FOLDERS
            .iter()
            .zip(given)
            .filter_map(|(f, l)| l.as_deref().map(|l| (*f, l)))
            .collect()
    }

    pub fn parse(el: &Element) -> DelegatePermissions {
        let mut p = DelegatePermissions::default();
        for (folder, slot) in DELEGATE_FOLDERS.iter().zip(p.slots()) {
            *slot = el.child_text(&format!("{folder}FolderPermissionLevel"));
        }
        p
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:DelegatePermissions", &[]);
        for (folder, level) in self.levels() {
            w.leaf(&format!("t:{folder}FolderPermissionLevel"), level);
        }
        w.close("t:DelegatePermissions");
    }
}

/// `t:DelegateUser`: who, with which folder permissions, and the two meeting options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DelegateUser {
    pub user_id: UserId,
    pub permissions: Option<DelegatePermissions>,
    pub receive_copies_of_meeting_messages: Option<bool>,
    pub view_private_items: Option<bool>,
}

impl DelegateUser {
    pub fn parse(el: &Element) -> DelegateUser {
        DelegateUser {
            user_id: el.child("UserId").map(UserId::parse).unwrap_or_default(),
            permissions: el
                .child("DelegatePermissions")
                .map(DelegatePermissions::parse),
            receive_copies_of_meeting_messages: el
                .child_text("ReceiveCopiesOfMeetingMessages")
                .and_then(|t| crate::types::parse_bool(&t)),
            view_private_items: el
                .child_text("ViewPrivateItems")
                .and_then(|t| crate::types::parse_bool(&t)),
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        self.user_id.write(w);
        if let Some(p) = &self.permissions {
            p.write(w);
        }
        let b = |v: bool| if v { "true" } else { "false" };
        w.opt_leaf(
            "t:ReceiveCopiesOfMeetingMessages",
            self.receive_copies_of_meeting_messages.map(b),
        );
        w.opt_leaf("t:ViewPrivateItems", self.view_private_items.map(b));
        w.close(name);
    }
}
