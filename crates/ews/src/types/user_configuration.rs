//! User configurations (FAI items with a dictionary, XML and binary data).

use super::*;

/// `t:UserConfigurationName`: a name in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfigurationName {
    pub name: String,
    pub folder: Option<FolderRef>,
}

impl UserConfigurationName {
    pub fn new(name: &str, folder: FolderRef) -> UserConfigurationName {
        UserConfigurationName {
            name: name.into(),
            folder: Some(folder),
        }
    }

    pub fn parse(el: &Element) -> UserConfigurationName {
        UserConfigurationName {
            name: el.attr("Name").unwrap_or("").to_string(),
            folder: el.elements().next().map(FolderRef::parse),
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[("Name", &self.name)]);
        if let Some(f) = &self.folder {
            f.write(w);
        }
        w.close(name);
    }
}

/// A typed dictionary key or value: `t:Type` and its `t:Value`s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DictionaryObject {
    pub value_type: String,
    pub values: Vec<String>,
}

impl DictionaryObject {
    fn parse(el: &Element) -> DictionaryObject {
        let value_type = el.child_text("Type").unwrap_or_default();
        let values = el
            .children_named("Value")
            .map(|v| {
                let t = v.text();
                match (value_type.as_str(), parse_bool(&t)) {
                    ("Boolean", Some(b)) => bool_text(b).to_string(),
                    _ => t,
                }
            })
            .collect();
        DictionaryObject { value_type, values }
    }

    fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.leaf("t:Type", &self.value_type);
        for v in &self.values {
            w.leaf("t:Value", v);
        }
        w.close(name);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DictionaryEntry {
    pub key: DictionaryObject,
    pub value: Option<DictionaryObject>,
}

/// `t:UserConfiguration` / `m:UserConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfiguration {
    pub name: UserConfigurationName,
    pub item_id: Option<ItemId>,
    pub dictionary: Option<Vec<DictionaryEntry>>,
    pub xml_data: Option<String>,
    pub binary_data: Option<String>,
}

impl UserConfiguration {
    /// The dictionary of a `t:Dictionary` fragment written with the `t:` prefix and no
    /// namespace declaration (how the first release of Hybrid's store kept dictionaries).
    pub fn fragment_dictionary(text: &str) -> Option<Vec<DictionaryEntry>> {
        let wrapped = format!(
            r#"<w xmlns:t="{}"><t:UserConfigurationName Name="x"/>{text}</w>"#,
            crate::soap::NS_TYPES
        );
        let el = crate::xml::parse(&wrapped).ok()?;
        UserConfiguration::parse(&el).ok()?.dictionary
    }

    pub fn parse(el: &Element) -> Result<UserConfiguration, EwsError> {
        let name = el
            .child("UserConfigurationName")
            .map(UserConfigurationName::parse)
            .ok_or_else(|| bad("the user configuration has no UserConfigurationName"))?;
        let dictionary = el.child("Dictionary").map(|d| {
            d.children_named("DictionaryEntry")
                .map(|e| DictionaryEntry {
                    key: e
                        .child("DictionaryKey")
                        .map(DictionaryObject::parse)
                        .unwrap_or(DictionaryObject {
                            value_type: String::new(),
                            values: Vec::new(),
                        }),
                    value: e.child("DictionaryValue").map(DictionaryObject::parse),
                })
                .collect()
        });
        Ok(UserConfiguration {
            name,
            item_id: el.child("ItemId").map(ItemId::parse),
            dictionary,
            xml_data: el.child_text("XmlData"),
            binary_data: el.child_text("BinaryData"),
        })
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        self.name.write(w, "t:UserConfigurationName");
        if let Some(id) = &self.item_id {
            id.write(w, "t:ItemId");
        }
        if let Some(d) = &self.dictionary {
            w.open("t:Dictionary", &[]);
            for e in d {
                w.open("t:DictionaryEntry", &[]);
                e.key.write(w, "t:DictionaryKey");
                if let Some(v) = &e.value {
                    v.write(w, "t:DictionaryValue");
                }
                w.close("t:DictionaryEntry");
            }
            w.close("t:Dictionary");
        }
        w.opt_leaf("t:XmlData", self.xml_data.as_deref());
        w.opt_leaf("t:BinaryData", self.binary_data.as_deref());
        w.close(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_releases_dictionary_fragments_are_read() {
        let legacy = concat!(
            "<t:Dictionary><t:DictionaryEntry><t:DictionaryKey><t:Type>String</t:Type>",
            "<t:Value>k</t:Value></t:DictionaryKey><t:DictionaryValue><t:Type>Boolean</t:Type>",
            "<t:Value>true</t:Value></t:DictionaryValue></t:DictionaryEntry></t:Dictionary>"
        );
        let d = UserConfiguration::fragment_dictionary(legacy).unwrap();
        assert_eq!(d[0].key.values, vec!["k"]);
        assert_eq!(d[0].value.as_ref().unwrap().values, vec!["true"]);
        assert!(UserConfiguration::fragment_dictionary("<t:Dictionary>").is_none());
    }
}
