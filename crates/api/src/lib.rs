//! Brigade's server side: the REST API of `spec/api.md` over the event store and the read models,
//! the schema migration, and the demo restaurant. `routes/` holds the handlers, a module per
//! family of URLs; `commands` runs a domain command for a request; `access` says who may call
//! what; `http/` is the server and its layers; `state` is what handlers share.

pub mod access;
pub mod auth;
pub mod commands;
pub mod demo;
pub mod error;
pub mod feeds;
pub mod http;
pub mod idempotency;
pub mod known;
pub mod reference;
pub mod refusals;
pub mod routes;
pub mod state;
pub mod views;
