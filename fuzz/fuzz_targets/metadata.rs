//! Any bytes as an authentication metadata document: parse, derive identity and keys, write.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s2s::metadata::{MetadataDocument, MetadataFlavor};

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = MetadataDocument::parse(data) {
        let _ = doc.identity();
        let _ = doc.signing_certificates();
        let _ = doc.issuance_endpoint();
        let again = MetadataDocument::parse(doc.to_json(MetadataFlavor::Acs).as_bytes()).expect("own output parses");
        assert_eq!(again, doc);
    }
});
