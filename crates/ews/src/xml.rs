//! A small, strict XML tree for SOAP: namespace-aware parsing with no DTDs, no entities but
//! the five predefined ones and character references, and limits on size, depth and count.

use crate::EwsError;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

pub const MAX_DEPTH: usize = 64;
pub const MAX_ELEMENTS: usize = 200_000;

/// An element: namespace URI, local name, attributes by local name, children in order.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Element {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    pub fn new(ns: &str, name: &str) -> Self {
        Element {
            ns: ns.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element with this local name (any namespace).
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// The concatenated text content (direct children only).
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// The content as markup: text escaped, child elements written back by local name. Some
    /// clients send an HTML body as unescaped markup inside `t:Body`; this recovers what they
    /// meant.
    pub fn inner_markup(&self) -> String {
        let mut out = String::new();
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(&escape(t)),
                Node::Element(e) => {
                    out.push('<');
                    out.push_str(&e.name);
                    for (k, v) in &e.attrs {
                        out.push_str(&format!(" {k}=\"{}\"", escape(v).replace('"', "&quot;")));
                    }
                    if e.children.is_empty() {
                        out.push_str("/>");
                    } else {
                        out.push('>');
                        out.push_str(&e.inner_markup());
                        out.push_str(&format!("</{}>", e.name));
                    }
                }
            }
        }
        out
    }

    /// The text of a child element, trimmed.
    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text().trim().to_string())
    }
}

fn bad(m: impl Into<String>) -> EwsError {
    EwsError::Malformed(m.into())
}

/// Parses a document into its root element.
pub fn parse(text: &str) -> Result<Element, EwsError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| bad(format!("not well-formed XML: {e}")))?;
        let ns_uri = match ns {
            ResolveResult::Bound(n) => n.as_ref().to_string(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(p) => {
                return Err(bad(format!("the prefix '{p}' is not declared")));
            }
        };
        match event {
            Event::Start(s) | Event::Empty(s) if root.is_some() => {
                let _ = s;
                return Err(bad("content after the root element"));
            }
            Event::Start(ref s) | Event::Empty(ref s) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(bad(format!("more than {MAX_ELEMENTS} elements")));
                }
                let mut el = Element::new(&ns_uri, s.local_name().as_ref());
                for a in s.attributes() {
                    let a = a.map_err(|e| bad(format!("bad attribute: {e}")))?;
                    let key = a.key.as_ref().to_string();
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        continue;
                    }
                    let local = key.rsplit(':').next().unwrap_or(&key).to_string();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| bad(format!("bad attribute value: {e}")))?
                        .into_owned();
                    el.attrs.push((local, value));
                }
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None => root = Some(el),
                    }
                } else {
                    if stack.len() >= MAX_DEPTH {
                        return Err(bad(format!("nested deeper than {MAX_DEPTH} elements")));
                    }
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| bad("an end tag without a start"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(c) => push_text(&mut stack, &c.into_inner())?,
            Event::GeneralRef(r) => {
                let name = r.to_string();
                let ch = match name.as_str() {
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "amp" => "&".to_string(),
                    "apos" => "'".to_string(),
                    "quot" => "\"".to_string(),
                    n if n.starts_with("#x") => char_ref(u32::from_str_radix(&n[2..], 16).ok())?,
                    n if n.starts_with('#') => char_ref(n[1..].parse().ok())?,
                    other => return Err(bad(format!("the entity '&{other};' is not allowed"))),
                };
                push_text(&mut stack, &ch)?;
            }
            Event::DocType(_) => {
                return Err(bad("document type declarations (DTDs) are not allowed"));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(bad("the document ends inside an element"));
    }
    root.ok_or_else(|| bad("no root element"))
}

fn char_ref(code: Option<u32>) -> Result<String, EwsError> {
    code.and_then(char::from_u32)
        .map(String::from)
        .ok_or_else(|| bad("a bad character reference"))
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), EwsError> {
    match stack.last_mut() {
        Some(el) => {
            match el.children.last_mut() {
                Some(Node::Text(t)) => t.push_str(text),
                _ => el.children.push(Node::Text(text.to_string())),
            }
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(bad("text outside the root element")),
    }
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_attributes_text_and_references() {
        let x = r#"<?xml version="1.0"?><s:Envelope xmlns:s="S" xmlns:t="T"><s:Body><t:A Id="1&amp;2">x &lt; y &#65;&#x42;<![CDATA[<raw>]]></t:A><B/></s:Body></s:Envelope>"#;
        let e = parse(x).unwrap();
        assert_eq!((e.ns.as_str(), e.name.as_str()), ("S", "Envelope"));
        let a = e.child("Body").unwrap().child("A").unwrap();
        assert_eq!(a.ns, "T");
        assert_eq!(a.attr("Id"), Some("1&2"));
        assert_eq!(a.text(), "x < y AB<raw>");
        assert_eq!(e.child("Body").unwrap().child("B").unwrap().ns, "");
        let mut w = crate::writer::Writer::new();
        w.element(a, "t");
        assert_eq!(
            w.finish(),
            r#"<t:A Id="1&amp;2">x &lt; y AB&lt;raw&gt;</t:A>"#
        );
    }

    #[test]
    fn refuses_dtds_entities_depth_and_garbage() {
        assert!(parse(r#"<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>"#).is_err());
        assert!(parse("<x>&e;</x>").is_err());
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deep).is_err());
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a/><b/>").is_err());
        assert!(parse("<p:a/>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a>&#xD800;</a>").is_err());
    }
}
