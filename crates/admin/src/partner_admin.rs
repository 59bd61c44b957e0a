//! The partner's operator API: its signing certificate, users, settings, conversations and
//! queued work, presence, delegates and voicemail greetings.

use crate::client::AdminClient;
use crate::error::AdminError;
use partner::Settings;
use partner::admin_types::{
    ConversationAccepted, Delegates, GreetingSaved, NewConversation, NewUser, PartnerUser,
    QueueView, SetPresence, SigningCertificate, UserList, WorkView,
};
use reqwest::Method;
use s2s::presence::Presence;

#[derive(Clone)]
pub struct PartnerAdmin(pub AdminClient);

/// A path segment: a user's address as the partner's routes take it.
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'@' | b'~' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl PartnerAdmin {
    pub fn new(base: &str, credential: &str) -> PartnerAdmin {
        PartnerAdmin(AdminClient::new(base, credential))
    }

    /// The certificate the partner signs with now.
    pub async fn signing_certificate(&self) -> Result<SigningCertificate, AdminError> {
        self.0.get("/admin/signing-certificate").await
    }

    /// Stages a next signing certificate (or answers the one staged).
    pub async fn stage_signing_certificate(&self) -> Result<SigningCertificate, AdminError> {
        self.0
            .call::<(), _>(Method::POST, "/admin/signing-certificate/next", None)
            .await
    }

    /// Makes the staged certificate current (refused until the directory holds it, unless
    /// `force`).
    pub async fn publish_signing_certificate(
        &self,
        force: bool,
    ) -> Result<SigningCertificate, AdminError> {
        let force = if force { "true" } else { "false" };
        let path = "/admin/signing-certificate/publish";
        self.0
            .call_optional::<(), _>(Method::POST, path, &[("force", force)], None)
            .await?
            .ok_or_else(|| AdminError::EmptyResponse { what: path.into() })
    }

    pub async fn new_user(&self, user: &NewUser) -> Result<PartnerUser, AdminError> {
        self.0.post("/api/users", user).await
    }

    pub async fn users(&self) -> Result<UserList, AdminError> {
        self.0.get("/api/users").await
    }

    pub async fn settings(&self) -> Result<Settings, AdminError> {
        self.0.get("/admin/settings").await
    }

    pub async fn set_settings(&self, settings: &Settings) -> Result<(), AdminError> {
        self.0
            .call_unread(Method::PUT, "/admin/settings", Some(settings))
            .await
    }

    /// Settings as the partner keeps them after the change.
    pub async fn configure(&self, settings: &Settings) -> Result<Settings, AdminError> {
        self.0
            .call(Method::PUT, "/admin/settings", Some(settings))
            .await
    }

    pub async fn hold_conversation(
        &self,
        c: &NewConversation,
    ) -> Result<ConversationAccepted, AdminError> {
        self.0.post("/api/conversations", c).await
    }

    pub async fn work(&self, id: &str) -> Result<WorkView, AdminError> {
        self.0.get(&format!("/api/work/{}", segment(id))).await
    }

    pub async fn queue(&self) -> Result<QueueView, AdminError> {
        self.0.get("/admin/queue").await
    }

    /// A dead-lettered job back in the queue.
    pub async fn retry(&self, id: &str) -> Result<WorkView, AdminError> {
        let path = format!("/admin/queue/{}/retry", segment(id));
        self.0.call::<(), _>(Method::POST, &path, None).await
    }

    pub async fn presence(&self, user: &str) -> Result<Presence, AdminError> {
        self.0
            .get(&format!("/api/users/{}/presence", segment(user)))
            .await
    }

    /// Sets a user's presence by hand; the user as the partner keeps them.
    pub async fn set_presence(
        &self,
        user: &str,
        availability: &str,
    ) -> Result<PartnerUser, AdminError> {
        let body = SetPresence {
            availability: availability.into(),
        };
        let path = format!("/api/users/{}/presence", segment(user));
        self.0.call(Method::PUT, &path, Some(&body)).await
    }

    pub async fn delegates(&self, user: &str) -> Result<Delegates, AdminError> {
        self.0
            .get(&format!("/api/users/{}/delegates", segment(user)))
            .await
    }

    pub async fn set_greeting(
        &self,
        user: &str,
        kind: &str,
        wav: Vec<u8>,
    ) -> Result<GreetingSaved, AdminError> {
        let path = format!("/api/users/{}/greeting", segment(user));
        self.0.put_bytes(&path, &[("kind", kind)], wav).await
    }

    pub async fn greeting(&self, user: &str, kind: &str) -> Result<Vec<u8>, AdminError> {
        let path = format!("/api/users/{}/greeting", segment(user));
        self.0.get_bytes(&path, &[("kind", kind)]).await
    }

    pub async fn remove_greeting(&self, user: &str, kind: &str) -> Result<(), AdminError> {
        let path = format!("/api/users/{}/greeting", segment(user));
        self.0
            .call_optional::<(), serde::de::IgnoredAny>(
                Method::DELETE,
                &path,
                &[("kind", kind)],
                None,
            )
            .await
            .map(drop)
    }
}
