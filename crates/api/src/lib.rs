//! Brigade's server side: for now the schema migration and the demo restaurant; the REST API
//! (issue #4) is built here on the same command handling.

pub mod demo;
mod demo_data;
