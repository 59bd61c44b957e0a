//! `m:FindItem` and `m:FindFolder`: one search type for both (a page of items or of folders).

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Traversal {
    #[default]
    Shallow,
    Deep,
    Associated,
    SoftDeleted,
}

impl Traversal {
    fn parse(v: Option<&str>) -> Result<Traversal, EwsError> {
        Ok(match v.unwrap_or("Shallow") {
            "Shallow" => Traversal::Shallow,
            "Deep" => Traversal::Deep,
            "Associated" => Traversal::Associated,
            "SoftDeleted" => Traversal::SoftDeleted,
            other => return Err(bad(format!("'{other}' is not a Traversal"))),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Traversal::Shallow => "Shallow",
            Traversal::Deep => "Deep",
            Traversal::Associated => "Associated",
            Traversal::SoftDeleted => "SoftDeleted",
        }
    }
}

/// `m:CalendarView`: calendar items and occurrences that overlap `start`..`end` (xs:dateTime).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarView {
    pub start: String,
    pub end: String,
    pub max_entries: Option<u32>,
}

impl CalendarView {
    fn parse(el: &Element) -> CalendarView {
        CalendarView {
            start: el.attr("StartDate").unwrap_or("").to_string(),
            end: el.attr("EndDate").unwrap_or("").to_string(),
            max_entries: el
                .attr("MaxEntriesReturned")
                .and_then(|m| m.trim().parse().ok()),
        }
    }

    fn write(&self, w: &mut Writer) {
        let max = self.max_entries.map(|m| m.to_string());
        let mut attrs = Vec::new();
        if let Some(m) = &max {
            attrs.push(("MaxEntriesReturned", m.as_str()));
        }
        attrs.push(("StartDate", self.start.as_str()));
        attrs.push(("EndDate", self.end.as_str()));
        w.empty("m:CalendarView", &attrs);
    }
}

/// A search: shape, paging, restriction and sort order over parent folders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Find {
    pub traversal: Traversal,
    pub shape: Shape,
    pub paging: Option<IndexedPageView>,
    /// FindItem's `m:CalendarView`: the occurrences in a window instead of a page of items.
    pub calendar_view: Option<CalendarView>,
    pub restriction: Option<Restriction>,
    pub sort: Vec<FieldOrder>,
    pub parent_folder_ids: Vec<FolderRef>,
    /// FindItem's `m:QueryString`: an Advanced Query Syntax search.
    pub query_string: Option<String>,
}

impl OperationBody for Find {
    fn parse(op: &Element) -> Result<Find, EwsError> {
        let (view, shape_name) = if op.name == "FindItem" {
            ("IndexedPageItemView", "ItemShape")
        } else {
            ("IndexedPageFolderView", "FolderShape")
        };
        Ok(Find {
            traversal: Traversal::parse(op.attr("Traversal"))?,
            shape: Shape::parse(op.child(shape_name))?,
            paging: op.child(view).map(IndexedPageView::parse).transpose()?,
            calendar_view: op.child("CalendarView").map(CalendarView::parse),
            restriction: restriction_in(op),
            sort: FieldOrder::parse_all(op.child("SortOrder")),
            parent_folder_ids: FolderRef::parse_all(op.child("ParentFolderIds")),
            query_string: op
                .child_text("QueryString")
                .filter(|q| !q.trim().is_empty()),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let item = element == "m:FindItem";
        let (shape, view) = if item {
            ("m:ItemShape", "m:IndexedPageItemView")
        } else {
            ("m:FolderShape", "m:IndexedPageFolderView")
        };
        w.open(element, &[("Traversal", self.traversal.name())]);
        self.shape.write(w, shape);
        if let Some(p) = &self.paging {
            p.write(w, view);
        }
        if let Some(v) = &self.calendar_view {
            v.write(w);
        }
        write_restriction_and_sort(w, self.restriction.as_ref(), &self.sort);
        write_folder_refs(w, "m:ParentFolderIds", &self.parent_folder_ids);
        w.opt_leaf("m:QueryString", self.query_string.as_deref());
        w.close(element);
    }
}
