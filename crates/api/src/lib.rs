//! Brigade's server side: the schema migration, the demo restaurant, and the HTTP server (for
//! now health, readiness and metrics; the REST API's routes (issue #4) are built here on the same
//! command handling).

pub mod access;
pub mod auth;
pub mod bootstrap;
pub mod commands;
pub mod demo;
mod demo_data;
pub mod demo_logins;
pub mod http;
pub mod idempotency;
pub mod menu;
pub mod operations;
