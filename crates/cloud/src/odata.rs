//! Graph's OData envelope: every answer names its `@odata.context`; a collection's items are
//! under `value`.

use crate::admin_types::GraphCollection;
use serde::Serialize;

pub const GRAPH_CONTEXT: &str = "https://graph.microsoft.com/v1.0/$metadata";

/// An entity with its context beside its own properties.
#[derive(Serialize)]
pub struct Entity<T> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(flatten)]
    pub entity: T,
}

/// One value that is not an entity (`Edm.Boolean` and the like).
#[derive(Serialize)]
pub struct Single<T> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub value: T,
}

pub fn entity<T>(path: &str, entity: T) -> Entity<T> {
    Entity {
        context: format!("{GRAPH_CONTEXT}#{path}"),
        entity,
    }
}

pub fn collection<T>(path: &str, value: Vec<T>) -> GraphCollection<T> {
    GraphCollection {
        context: format!("{GRAPH_CONTEXT}#{path}"),
        value,
    }
}

pub fn single<T>(path: &str, value: T) -> Single<T> {
    Single {
        context: format!("{GRAPH_CONTEXT}#{path}"),
        value,
    }
}
