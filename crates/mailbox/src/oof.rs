//! Automatic replies (out of office): kept with the mailbox's root folder, read and set over
//! the availability service, and asked by presence ("Out of office" while they are on).

use crate::MailboxError;
use crate::folder_props::{StoredFolderProperties, StoredOof};
use crate::instants::parse_time_ms;
use crate::service::Mailbox;

const STATES: &[&str] = &["Disabled", "Enabled", "Scheduled"];
const AUDIENCES: &[&str] = &["None", "Known", "All"];

/// Settings as a client sends them: state, audience and the scheduled window as text, checked
/// before they are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OofChange {
    pub state: String,
    pub external_audience: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub internal_reply: String,
    pub external_reply: String,
}

/// Checks settings a client sent, as Exchange does: a known state and audience, and a
/// scheduled window that starts before it ends and has not ended.
fn checked(s: &OofChange, now: i64) -> Result<StoredOof, MailboxError> {
    let state = STATES
        .iter()
        .find(|x| x.eq_ignore_ascii_case(s.state.trim()))
        .ok_or_else(|| {
            MailboxError::InvalidRequest(format!("'{}' is not an OofState.", s.state))
        })?;
    let audience = AUDIENCES
        .iter()
        .find(|x| x.eq_ignore_ascii_case(s.external_audience.trim()))
        .ok_or_else(|| {
            MailboxError::InvalidRequest(format!(
                "'{}' is not an ExternalAudience.",
                s.external_audience
            ))
        })?;
    let time = |t: &Option<String>| -> Result<Option<i64>, MailboxError> {
        match t {
            None => Ok(None),
            Some(t) => parse_time_ms(t).map(Some).ok_or_else(|| {
                MailboxError::InvalidRequest(format!("'{t}' is not a date and time."))
            }),
        }
    };
    let (start, end) = (time(&s.start)?, time(&s.end)?);
    if *state == "Scheduled" {
        match (start, end) {
            (Some(a), Some(b)) if a < b && b > now => {}
            _ => return Err(MailboxError::InvalidScheduledOofDuration),
        }
    }
    Ok(StoredOof {
        state: state.to_string(),
        external_audience: audience.to_string(),
        start_ms: start,
        end_ms: end,
        internal_reply: s.internal_reply.clone(),
        external_reply: s.external_reply.clone(),
    })
}

impl Mailbox {
    fn oof_folder(&self) -> Result<&store::FolderRow, MailboxError> {
        self.distinguished("root")
            .ok_or(MailboxError::FolderNotFound(Some("root".into())))
    }

    /// The stored settings, or a new mailbox's.
    pub fn stored_oof(&self, now: i64) -> Result<StoredOof, MailboxError> {
        Ok(StoredFolderProperties::decode(&self.oof_folder()?.props)
            .oof
            .unwrap_or_else(|| StoredOof::initial(now)))
    }

    /// SetUserOofSettings: checked, then stored in one write. A window left out keeps the
    /// one stored.
    pub async fn set_oof_settings(
        &mut self,
        settings: &OofChange,
        now: i64,
    ) -> Result<(), MailboxError> {
        let mut new = checked(settings, now)?;
        let old = self.stored_oof(now)?;
        if new.start_ms.is_none() && new.end_ms.is_none() {
            new.start_ms = old.start_ms;
            new.end_ms = old.end_ms;
        }
        let mut row = self.oof_folder()?.clone();
        let mut props = StoredFolderProperties::decode(&row.props);
        props.oof = Some(new);
        row.props = props.encode();
        self.save_folder_props(row).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folder_props::DAY_MS;

    fn settings(state: &str, start: Option<&str>, end: Option<&str>) -> OofChange {
        OofChange {
            state: state.into(),
            external_audience: "Known".into(),
            start: start.map(str::to_string),
            end: end.map(str::to_string),
            internal_reply: "away".into(),
            external_reply: "away".into(),
        }
    }

    #[test]
    fn scheduled_windows_are_checked_and_decide_whether_replies_are_on() {
        let now = parse_time_ms("2026-06-01T12:00:00Z").unwrap();
        let s = checked(
            &settings(
                "scheduled",
                Some("2026-06-01T00:00:00Z"),
                Some("2026-06-02T00:00:00Z"),
            ),
            now,
        )
        .unwrap();
        assert_eq!(s.state, "Scheduled");
        assert!(s.is_on(now));
        assert!(!s.is_on(now + DAY_MS));
        for (start, end) in [
            (Some("2026-06-02T00:00:00Z"), Some("2026-06-01T00:00:00Z")),
            (Some("2026-05-01T00:00:00Z"), Some("2026-05-02T00:00:00Z")),
            (None, None),
        ] {
            assert!(matches!(
                checked(&settings("Scheduled", start, end), now),
                Err(MailboxError::InvalidScheduledOofDuration)
            ));
        }
        assert!(checked(&settings("Sometimes", None, None), now).is_err());
        assert!(
            checked(&settings("Enabled", None, None), now)
                .unwrap()
                .is_on(now)
        );
        assert!(!StoredOof::initial(now).is_on(now));
    }
}
