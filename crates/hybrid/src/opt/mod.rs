//! The command line's clap definitions, one module per role; the commands live beside them.

pub mod cloud;
pub mod onprem;
pub mod partner;
