//! Response shapes and paging.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaseShape {
    #[default]
    IdOnly,
    Default,
    AllProperties,
}

impl BaseShape {
    fn parse(t: &str) -> Result<BaseShape, EwsError> {
        Ok(match t {
            "IdOnly" => BaseShape::IdOnly,
            "Default" => BaseShape::Default,
            "AllProperties" => BaseShape::AllProperties,
            other => return Err(bad(format!("'{other}' is not a BaseShape"))),
        })
    }

    fn name(self) -> &'static str {
        match self {
            BaseShape::IdOnly => "IdOnly",
            BaseShape::Default => "Default",
            BaseShape::AllProperties => "AllProperties",
        }
    }
}

/// `m:ItemShape` / `m:FolderShape`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shape {
    pub base: BaseShape,
    pub include_mime_content: bool,
    pub body_type: Option<String>,
    pub additional: Vec<PropertyPath>,
}

impl Shape {
    pub fn id_only() -> Shape {
        Shape::default()
    }

    pub fn with(fields: &[&str]) -> Shape {
        Shape {
            additional: fields.iter().map(|f| PropertyPath::field(f)).collect(),
            ..Shape::default()
        }
    }

    pub fn parse(el: Option<&Element>) -> Result<Shape, EwsError> {
        let Some(el) = el else {
            return Ok(Shape::default());
        };
        Ok(Shape {
            base: BaseShape::parse(&el.child_text("BaseShape").unwrap_or_default())?,
            include_mime_content: el
                .child_text("IncludeMimeContent")
                .and_then(|t| parse_bool(&t))
                .unwrap_or(false),
            body_type: el.child_text("BodyType"),
            additional: el
                .child("AdditionalProperties")
                .map(|a| a.elements().filter_map(PropertyPath::parse).collect())
                .unwrap_or_default(),
        })
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.leaf("t:BaseShape", self.base.name());
        if self.include_mime_content {
            w.leaf("t:IncludeMimeContent", "true");
        }
        w.opt_leaf("t:BodyType", self.body_type.as_deref());
        if !self.additional.is_empty() {
            w.open("t:AdditionalProperties", &[]);
            for p in &self.additional {
                p.write(w);
            }
            w.close("t:AdditionalProperties");
        }
        w.close(name);
    }
}

/// `m:IndexedPageItemView` / `m:IndexedPageFolderView`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedPageView {
    pub max_entries: Option<u32>,
    pub offset: u32,
    /// `Beginning` (false) or `End` (true).
    pub from_end: bool,
}

impl IndexedPageView {
    pub fn new(max_entries: u32, offset: u32) -> IndexedPageView {
        IndexedPageView {
            max_entries: Some(max_entries),
            offset,
            from_end: false,
        }
    }

    pub fn parse(el: &Element) -> Result<IndexedPageView, EwsError> {
        let num = |n: &str| -> Result<Option<u32>, EwsError> {
            el.attr(n)
                .map(|v| {
                    v.trim()
                        .parse::<u32>()
                        .map_err(|_| bad(format!("{n} '{v}' is not a non-negative integer")))
                })
                .transpose()
        };
        Ok(IndexedPageView {
            max_entries: num("MaxEntriesReturned")?,
            offset: num("Offset")?.unwrap_or(0),
            from_end: el.attr("BasePoint") == Some("End"),
        })
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        let max = self.max_entries.map(|m| m.to_string());
        let offset = self.offset.to_string();
        let mut attrs = Vec::new();
        if let Some(m) = &max {
            attrs.push(("MaxEntriesReturned", m.as_str()));
        }
        attrs.push(("Offset", offset.as_str()));
        attrs.push(("BasePoint", if self.from_end { "End" } else { "Beginning" }));
        w.empty(name, &attrs);
    }
}
