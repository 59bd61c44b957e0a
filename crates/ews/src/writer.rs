//! The one XML writer of the crate: elements with their prefixes, attributes and text, all
//! escaped. Request, response, fault and Autodiscover documents are all written through it.

use crate::xml::{Element, Node};

/// Escapes what XML requires: `&`, `<` and `>` in text, and `"` too in attribute values.
fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            // A literal CR would be read back as LF (XML line-end handling).
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Writer {
        Writer {
            out: String::with_capacity(1024),
        }
    }

    /// A document starting with the XML declaration.
    pub fn document() -> Writer {
        let mut w = Writer::new();
        w.out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
        w
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v, true);
            self.out.push('"');
        }
    }

    /// `<name attrs>`.
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.tag(name, attrs);
        self.out.push('>');
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name attrs/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.tag(name, attrs);
        self.out.push_str("/>");
    }

    /// `<name attrs>text</name>`.
    pub fn leaf_with(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        self.text(text);
        self.close(name);
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) {
        self.leaf_with(name, &[], text);
    }

    /// A leaf only when there is a value.
    pub fn opt_leaf(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(name, t);
        }
    }

    pub fn bool_leaf(&mut self, name: &str, value: Option<bool>) {
        if let Some(v) = value {
            self.leaf(name, if v { "true" } else { "false" });
        }
    }

    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text, false);
    }

    /// A kept element tree, with `prefix:` on its name and its descendants' names.
    pub fn element(&mut self, el: &Element, prefix: &str) {
        let name = format!("{prefix}:{}", el.name);
        let attrs: Vec<(&str, &str)> = el
            .attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if el.children.is_empty() {
            self.empty(&name, &attrs);
            return;
        }
        self.open(&name, &attrs);
        for c in &el.children {
            match c {
                Node::Text(t) => self.text(t),
                Node::Element(e) => self.element(e, prefix),
            }
        }
        self.close(&name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_nests() {
        let mut w = Writer::document();
        w.open("t:A", &[("Id", "1&\"2\"")]);
        w.leaf("t:B", "x < y");
        w.empty("t:C", &[]);
        w.close("t:A");
        assert_eq!(
            w.finish(),
            r#"<?xml version="1.0" encoding="utf-8"?><t:A Id="1&amp;&quot;2&quot;"><t:B>x &lt; y</t:B><t:C/></t:A>"#
        );
    }
}
