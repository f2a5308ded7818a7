//! Brigade's server side: the schema migration, the demo restaurant, and the HTTP server: the REST
//! API of `spec/api.md`, one module per family of routes (named after what it serves), on one
//! command path (`commands`), one access table (`access`) and one set of query helpers (`views`).

// Handlers' helpers return the finished error `Response` for an early exit: one per request, so
// its size (128 bytes) costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod access;
pub mod auth;
pub mod bootstrap;
pub mod catalog;
pub mod commands;
pub mod customers;
pub mod demo;
mod demo_data;
pub mod demo_logins;
pub mod error;
pub mod expenses;
pub mod http;
pub mod idempotency;
pub mod kitchen;
pub mod known;
pub mod menu;
pub mod operations;
mod order_numbers;
pub mod orders;
pub mod organizations;
pub mod payments;
pub mod purchase_orders;
pub mod reference;
mod reference_check;
pub mod refusals;
pub mod reports;
pub mod transfers;
pub mod views;
