//! The domain crate's integration tests, one binary (one link) for all of them: a module per
//! subject.

mod support;

mod arithmetic;
mod catalog;
mod event_json;
mod invariants;
mod order;
mod purchase_order;
mod refusals;
mod stock;
mod user;
