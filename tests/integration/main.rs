//! Hybrid's integration tests: one binary, one module per area.

mod cli;
mod cloud;
mod doctor;
mod ews;
mod ews_edge;
mod listener;
mod mailbox_search;
mod onprem;
mod partner;
mod shutdown;
mod store;
mod transport;
