//! The mailbox domain: the distinguished folder tree every mailbox is created with, and the
//! search over items (restrictions, sort order, paging) that EWS FindItem needs. Storage is the
//! store's; the EWS wire format is the on-premises role's.

mod search;
mod tree;

pub use search::{Comparison, Containment, Field, Restriction, SortOrder, page};
pub use tree::{DISTINGUISHED, Distinguished, provision};
