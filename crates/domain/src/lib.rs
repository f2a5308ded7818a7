//! Brigade's domain: what happens in a restaurant, as commands that produce events.
//!
//! Every aggregate is a pure decider (`decide(state, command, context) -> events | error`,
//! `evolve(state, event)`). This crate does no I/O, reads no clock and draws no random numbers:
//! the caller passes "now", the actor and new ids in. The valuation, menu engineering and P&L
//! arithmetic live here too, so projections, the replay CLI and tests share one implementation.

pub mod actor;
pub mod aggregate;
pub mod amount;
pub mod catalog;
pub mod customer;
pub mod event;
pub mod expense;
pub mod flow;
pub mod ids;
pub mod inventory_item;
pub mod menu_engineering;
pub mod menu_item;
pub mod order;
pub mod organization;
pub mod pnl;
pub mod purchase_order;
pub mod schema;
pub mod stock;
pub mod supplier;
pub mod transfer;
pub mod user;
pub mod valuation;
mod wire;

pub use actor::{Actor, Context, Role};
pub use aggregate::{Aggregate, DecodeError, EventPayload, stream_id};
pub use event::DomainEvent;
