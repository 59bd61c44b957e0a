//! `m:GetServiceConfiguration`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetServiceConfiguration {
    /// `m:RequestedConfiguration/m:ConfigurationName`: MailTips,
    /// UnifiedMessagingConfiguration, ProtectionRules, PolicyNudges, SharePointURLs.
    pub requested: Vec<String>,
}

impl OperationBody for GetServiceConfiguration {
    const RESPONSE: ResponseForm = ResponseForm::Wrapped("ServiceConfigurationResponseMessageType");

    fn parse(op: &Element) -> Result<GetServiceConfiguration, EwsError> {
        Ok(GetServiceConfiguration {
            requested: op
                .child("RequestedConfiguration")
                .map(|r| {
                    r.children_named("ConfigurationName")
                        .map(|c| c.text().trim().to_string())
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetServiceConfiguration { requested } = self;
        w.open(element, &[]);
        w.open("m:RequestedConfiguration", &[]);
        requested
            .iter()
            .for_each(|c| w.leaf("m:ConfigurationName", c));
        w.close("m:RequestedConfiguration");
        w.close(element);
    }
}

/// `m:MailTipsConfiguration`: what the organization's mail tips are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailTipsConfiguration {
    pub enabled: bool,
    pub max_recipients_per_request: i64,
    pub max_message_size: i64,
    pub large_audience_threshold: i64,
    pub show_external_recipient_count: bool,
    pub internal_domains: Vec<String>,
}

/// `m:ProtectionRulesConfiguration`: the organization's information-protection rules (Hybrid
/// keeps none) and its internal domains, read again after `refresh_interval` hours.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProtectionRulesConfiguration {
    pub refresh_interval: i64,
    pub internal_domains: Vec<String>,
}

/// `m:UnifiedMessagingConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnifiedMessagingConfiguration {
    pub um_enabled: bool,
    pub play_on_phone_dial_string: String,
    pub play_on_phone_enabled: bool,
}

/// GetServiceConfiguration's answer: the configurations asked for that the server keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceConfiguration {
    pub mail_tips: Option<MailTipsConfiguration>,
    pub unified_messaging: Option<UnifiedMessagingConfiguration>,
    pub protection_rules: Option<ProtectionRulesConfiguration>,
}

impl ServiceConfiguration {
    pub(crate) fn parse(el: &Element) -> ServiceConfiguration {
        let flag = |e: &Element, n: &str| {
            e.child_text(n)
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false)
        };
        let num = |e: &Element, n: &str| e.child_text(n).and_then(|t| t.parse().ok()).unwrap_or(0);
        ServiceConfiguration {
            mail_tips: el
                .child("MailTipsConfiguration")
                .map(|m| MailTipsConfiguration {
                    enabled: flag(m, "MailTipsEnabled"),
                    max_recipients_per_request: num(m, "MaxRecipientsPerGetMailTipsRequest"),
                    max_message_size: num(m, "MaxMessageSize"),
                    large_audience_threshold: num(m, "LargeAudienceThreshold"),
                    show_external_recipient_count: flag(m, "ShowExternalRecipientCount"),
                    internal_domains: domains(m),
                }),
            unified_messaging: el.child("UnifiedMessagingConfiguration").map(|u| {
                UnifiedMessagingConfiguration {
                    um_enabled: flag(u, "UmEnabled"),
                    play_on_phone_dial_string: u
                        .child_text("PlayOnPhoneDialString")
                        .unwrap_or_default(),
                    play_on_phone_enabled: flag(u, "PlayOnPhoneEnabled"),
                }
            }),
            protection_rules: el.child("ProtectionRulesConfiguration").map(|p| {
                ProtectionRulesConfiguration {
                    refresh_interval: p
                        .attr("RefreshInterval")
                        .and_then(|n| n.trim().parse().ok())
                        .unwrap_or(0),
                    internal_domains: domains(p),
                }
            }),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        if let Some(m) = &self.mail_tips {
            w.open("m:MailTipsConfiguration", &[]);
            w.leaf("t:MailTipsEnabled", bool_text(m.enabled));
            w.leaf(
                "t:MaxRecipientsPerGetMailTipsRequest",
                &m.max_recipients_per_request.to_string(),
            );
            w.leaf("t:MaxMessageSize", &m.max_message_size.to_string());
            w.leaf(
                "t:LargeAudienceThreshold",
                &m.large_audience_threshold.to_string(),
            );
            w.leaf(
                "t:ShowExternalRecipientCount",
                bool_text(m.show_external_recipient_count),
            );
            write_domains(w, &m.internal_domains);
            w.close("m:MailTipsConfiguration");
        }
        if let Some(u) = &self.unified_messaging {
            w.open("m:UnifiedMessagingConfiguration", &[]);
            w.leaf("t:UmEnabled", bool_text(u.um_enabled));
            w.leaf("t:PlayOnPhoneDialString", &u.play_on_phone_dial_string);
            w.leaf("t:PlayOnPhoneEnabled", bool_text(u.play_on_phone_enabled));
            w.close("m:UnifiedMessagingConfiguration");
        }
        if let Some(p) = &self.protection_rules {
            let interval = p.refresh_interval.to_string();
            w.open(
                "m:ProtectionRulesConfiguration",
                &[("RefreshInterval", &interval)],
            );
            w.empty("t:Rules", &[]);
            write_domains(w, &p.internal_domains);
            w.close("m:ProtectionRulesConfiguration");
        }
    }
}

fn domains(el: &Element) -> Vec<String> {
    el.child("InternalDomains")
        .into_iter()
        .flat_map(|d| d.children_named("Domain"))
        .filter_map(|d| d.attr("Name").map(str::to_string))
        .collect()
}

fn write_domains(w: &mut Writer, domains: &[String]) {
    w.open("t:InternalDomains", &[]);
    for d in domains {
        w.empty("t:Domain", &[("Name", d), ("IncludeSubdomains", "false")]);
    }
    w.close("t:InternalDomains");
}
