//! -WhatIf and -Confirm as the Exchange Management Shell has them, decided here in the cmdlet
//! layer so that every way in (the admin API, `hybrid onprem <verb>`, `hybrid onprem run`,
//! pipelines) behaves alike.
//!
//! A cmdlet that changes something, given `-WhatIf`, checks its parameters and the object it
//! names, says what it would do (`What if: Performing the operation "<verb> <noun>" on target
//! "<identity>".`) and changes nothing. A high-impact cmdlet (every Remove-, and the Set-s that
//! break the trust: disabling a partner application or an AuthServer) runs only when the call
//! says `-Confirm:$false`: there is no one here to ask, so a client that can ask its user (the
//! CLI on a terminal) asks first and then says so.

use crate::cmdlet_table::{ParameterSpec, parameter_sets};
use crate::error::OnPremError;
use crate::params::Params;

/// Whether `cmdlet` changes the organization (everything but reads, tests and exports).
pub fn changes(cmdlet: &str) -> bool {
    let verb = cmdlet.split('-').next().unwrap_or("").to_ascii_lowercase();
    !matches!(verb.as_str(), "get" | "test" | "export")
}

/// Whether this call of `cmdlet` is high-impact: it must be confirmed.
pub fn high_impact(cmdlet: &str, p: &Params) -> bool {
    let lower = cmdlet.to_ascii_lowercase();
    if lower.starts_with("remove-") {
        return true;
    }
    let disables = p.bool("Enabled").ok().flatten() == Some(false);
    matches!(lower.as_str(), "set-partnerapplication" | "set-authserver") && disables
}

/// `Remove-Mailbox` -> `Remove Mailbox`: the operation as PowerShell's ShouldProcess names it.
pub fn operation(cmdlet: &str) -> String {
    cmdlet.replacen('-', " ", 1)
}

/// What the call names: its Identity, else its Name, Thumbprint or Role, else the cmdlet's
/// one object (AuthConfig).
pub fn target(cmdlet: &str, p: &Params) -> String {
    for name in ["Identity", "Name", "Thumbprint", "Role"] {
        if let Ok(Some(v)) = p.string(name)
            && !v.is_empty()
        {
            return v;
        }
    }
    cmdlet
        .split_once('-')
        .map(|(_, n)| n)
        .unwrap_or(cmdlet)
        .to_string()
}

/// The line -WhatIf prints.
pub fn what_if(cmdlet: &str, target: &str) -> String {
    format!(
        "What if: Performing the operation \"{}\" on target \"{target}\".",
        operation(cmdlet)
    )
}

/// Refuses a high-impact call that was not confirmed.
pub fn require_confirmation(cmdlet: &str, p: &Params) -> Result<(), OnPremError> {
    if !high_impact(cmdlet, p) || p.bool("Confirm").ok().flatten() == Some(false) {
        return Ok(());
    }
    Err(OnPremError::ConfirmationRequired(format!(
        "Performing the operation \"{}\" on target \"{}\" needs confirmation, and this request cannot be asked; nothing was changed. Run it on a terminal to be asked, or add -Confirm:$false (--confirm:false on the command line) to confirm it in advance.",
        operation(cmdlet),
        target(cmdlet, p)
    )))
}

/// Checks a call against the cmdlet's parameter sets without running it: every parameter is
/// known, and one set has all its mandatory parameters. The set that fits, or why none does.
pub fn check_parameters(cmdlet: &str, p: &Params) -> Result<(), OnPremError> {
    let sets = parameter_sets(cmdlet);
    let given: Vec<&String> = p.names().collect();
    let in_set = |set: &[ParameterSpec], n: &str| {
        set.iter().any(|s| s.name.eq_ignore_ascii_case(n)) || crate::params::is_common(n)
    };
    if let Some(unknown) = given
        .iter()
        .find(|n| !sets.iter().any(|set| in_set(set, n)))
    {
        return Err(OnPremError::UnknownParameter((*unknown).clone()));
    }
    // Of the sets that take every parameter given, those missing the fewest mandatory ones.
    let mut closest: Vec<Vec<&str>> = Vec::new();
    for set in sets
        .iter()
        .filter(|set| given.iter().all(|n| in_set(set, n)))
    {
        let missing: Vec<&str> = set
            .iter()
            .filter(|s| s.mandatory && !p.has(&s.name))
            .map(|s| s.name.as_str())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        match closest.first().map(Vec::len) {
            Some(n) if n < missing.len() => {}
            Some(n) if n == missing.len() => closest.push(missing),
            _ => closest = vec![missing],
        }
    }
    if closest.is_empty() {
        return Err(OnPremError::InvalidArgument(
            "Parameter set cannot be resolved using the specified named parameters.".into(),
        ));
    }
    let alternatives: Vec<String> = closest.iter().map(|m| m.join(", ")).collect();
    Err(OnPremError::MissingParameter(alternatives.join(" or ")))
}

/// The read that shows the object a Set-, Remove- or Add- call names exists, as -WhatIf
/// resolves its target before it says what it would do.
pub fn lookup(
    cmdlet: &str,
    p: &Params,
) -> Option<(String, serde_json::Map<String, serde_json::Value>)> {
    let (verb, noun) = cmdlet.split_once('-')?;
    if !matches!(verb.to_ascii_lowercase().as_str(), "set" | "remove") {
        return None;
    }
    let key = match noun {
        "AuthConfig" => return None,
        "ExchangeCertificate" => "Thumbprint",
        _ => "Identity",
    };
    let get = crate::cmdlet_table::canonical(&format!("Get-{noun}"))?;
    let mut map = serde_json::Map::new();
    map.insert(key.to_string(), p.get(key)?.clone());
    Some((get.to_string(), map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn params(cmdlet: &str, v: Value) -> Params {
        let Value::Object(m) = v else { unreachable!() };
        Params::new(cmdlet, m)
    }

    #[test]
    fn what_changes_and_what_must_be_confirmed() {
        assert!(!changes("Get-Mailbox") && !changes("Test-OAuthConnectivity"));
        assert!(!changes("Export-ExchangeCertificate"));
        assert!(changes("New-Mailbox") && changes("Add-ManagementRoleEntry"));
        let p = |c: &str, v: Value| high_impact(c, &params(c, v));
        assert!(p("Remove-Mailbox", json!({"Identity": "x"})));
        assert!(p(
            "Set-PartnerApplication",
            json!({"Identity": "x", "Enabled": "$false"})
        ));
        assert!(!p(
            "Set-PartnerApplication",
            json!({"Identity": "x", "Enabled": true})
        ));
        assert!(p(
            "Set-AuthServer",
            json!({"Identity": "x", "Enabled": false})
        ));
        assert!(!p(
            "Set-AuthConfig",
            json!({"ClearPreviousCertificate": true})
        ));
        assert!(!p(
            "Set-Mailbox",
            json!({"Identity": "x", "DisplayName": "y"})
        ));
        let c = "Remove-Mailbox";
        assert!(require_confirmation(c, &params(c, json!({"Identity": "x"}))).is_err());
        assert!(
            require_confirmation(c, &params(c, json!({"Identity": "x", "Confirm": true}))).is_err()
        );
        assert!(
            require_confirmation(c, &params(c, json!({"Identity": "x", "Confirm": "$false"})))
                .is_ok()
        );
        assert_eq!(
            what_if(c, &target(c, &params(c, json!({"Identity": "alice"})))),
            "What if: Performing the operation \"Remove Mailbox\" on target \"alice\"."
        );
    }

    #[test]
    fn parameters_are_checked_against_the_sets() {
        let check = |c: &str, v: Value| check_parameters(c, &params(c, v));
        assert!(
            check(
                "Set-PartnerApplication",
                json!({"Identity": "x", "Enabled": false, "WhatIf": true})
            )
            .is_ok()
        );
        assert!(matches!(
            check("Set-PartnerApplication", json!({"Identity": "x", "Enabeld": false})),
            Err(OnPremError::UnknownParameter(n)) if n == "Enabeld"
        ));
        assert!(matches!(
            check("Remove-Mailbox", Value::Object(Map::new())),
            Err(OnPremError::MissingParameter(_))
        ));
        assert!(
            check(
                "New-PartnerApplication",
                json!({"Name": "a", "ApplicationIdentifier": "b"})
            )
            .is_ok()
        );
        assert!(
            check(
                "New-PartnerApplication",
                json!({"Name": "a", "AuthMetadataUrl": "u"})
            )
            .is_ok()
        );
        assert!(
            check(
                "New-PartnerApplication",
                json!({"Name": "a", "ApplicationIdentifier": "b", "AuthMetadataUrl": "u"})
            )
            .is_err()
        );
    }
}
