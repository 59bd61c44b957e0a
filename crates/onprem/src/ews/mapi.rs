//! EWS extended properties and the mailbox's MAPI properties, both ways.

use ews::{ExtendedFieldUri, ExtendedProperty};
use mailbox::{MapiProperty, PropertyName};

pub fn name_to_mailbox(u: &ExtendedFieldUri) -> PropertyName {
    PropertyName {
        distinguished_property_set_id: u.distinguished_property_set_id.clone(),
        property_set_id: u.property_set_id.clone(),
        property_tag: u.property_tag.clone(),
        property_name: u.property_name.clone(),
        property_id: u.property_id.clone(),
        property_type: u.property_type.clone(),
    }
}

pub fn name_to_ews(n: PropertyName) -> ExtendedFieldUri {
    ExtendedFieldUri {
        distinguished_property_set_id: n.distinguished_property_set_id,
        property_set_id: n.property_set_id,
        property_tag: n.property_tag,
        property_name: n.property_name,
        property_id: n.property_id,
        property_type: n.property_type,
    }
}

pub fn to_mailbox(p: &ExtendedProperty) -> MapiProperty {
    MapiProperty {
        uri: name_to_mailbox(&p.uri),
        values: p.values.clone(),
    }
}

pub fn to_ews(p: MapiProperty) -> ExtendedProperty {
    ExtendedProperty {
        uri: name_to_ews(p.uri),
        values: p.values,
    }
}
