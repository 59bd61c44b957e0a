use super::*;

#[test]
fn stored_objects_read_back_as_written() {
    let server = AuthServer {
        name: "ACS".into(),
        kind: AuthServerType::AzureAD,
        trust_any_ssl_certificate: true,
        metadata_fetches: vec![1_700_000_000],
        domain_name: vec!["contoso.com".into()],
        ..Default::default()
    };
    let v = serde_json::to_value(&server).unwrap();
    assert_eq!(v["Type"], "AzureAD");
    assert_eq!(v["TrustAnySSLCertificate"], true);
    assert_eq!(v["MetadataFetches"][0], "2023-11-14T22:13:20Z");
    let back: AuthServer = serde_json::from_value(v).unwrap();
    assert_eq!(back, server);
}

#[test]
fn the_first_releases_fetch_times_read_as_seconds() {
    let v = serde_json::json!({"Name": "SfB", "MetadataFetches": [1_700_000_000, "2023-11-14T22:13:21Z"]});
    let p: PartnerApplication = serde_json::from_value(v).unwrap();
    assert_eq!(p.metadata_fetches, vec![1_700_000_000, 1_700_000_001]);
    let bad = serde_json::json!({"MetadataFetches": ["yesterday"]});
    assert!(serde_json::from_value::<PartnerApplication>(bad).is_err());
}

#[test]
fn a_certificate_is_presented_without_its_der_and_key() {
    let c = ExchangeCertificate {
        thumbprint: "AB".into(),
        der: "MII".into(),
        key: Some("secret".into()),
        ..Default::default()
    };
    let stored = serde_json::to_value(&c).unwrap();
    assert_eq!(stored["_Key"], "secret");
    let shown = serde_json::to_value(CmdletObject::from(c.presented())).unwrap();
    assert!(shown.get("_Key").is_none() && shown.get("_Der").is_none());
    assert_eq!(shown["Thumbprint"], "AB");
}

#[test]
fn recipients_are_named_by_any_address() {
    let r = Recipient {
        name: "Alice".into(),
        email_addresses: vec![
            "SMTP:alice@contoso.com".into(),
            "SIP:alice@contoso.com".into(),
        ],
        ..Default::default()
    };
    assert!(r.is_named("alice") && r.is_named(" ALICE@contoso.com "));
    assert!(r.is_named("sip:alice@contoso.com"));
    assert!(!r.is_named("bob") && !r.is_named(""));
    // A mail user's own members show; a mailbox's absent ones do not.
    let v = serde_json::to_value(&r).unwrap();
    assert!(v.get("ExternalEmailAddress").is_none() && v.get("ArchiveStatus").is_none());
    assert_eq!(v["RecipientType"], "UserMailbox");
}
