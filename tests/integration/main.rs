//! Hybrid's integration tests: one binary, one module per area.

mod cli;
mod cloud;
mod onprem;
mod store;
