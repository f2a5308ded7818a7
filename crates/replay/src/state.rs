//! An aggregate's state at a moment or a version, folded from its events alone.
//!
//! Snapshots are not used: they are an optimisation outside the hash chain, and an auditor's
//! answer must rest only on what `verify` can vouch for.

use anyhow::{Context, bail};
use brigade_domain::Aggregate;
use brigade_domain::customer::Customer;
use brigade_domain::expense::Expense;
use brigade_domain::inventory_item::{InventoryItem, SkuClaim};
use brigade_domain::menu_item::MenuItem;
use brigade_domain::order::Order;
use brigade_domain::organization::Organization;
use brigade_domain::purchase_order::PurchaseOrder;
use brigade_domain::stock::StockLedger;
use brigade_domain::supplier::Supplier;
use brigade_domain::transfer::Transfer;
use brigade_domain::user::User;
use brigade_eventstore::RecordedEvent;
use serde_json::Value;

/// The state after `events` (a stream's first events, in order), as JSON, for the aggregate the
/// stream's category names.
pub fn fold(stream_id: &str, events: &[RecordedEvent]) -> anyhow::Result<Value> {
    let category = stream_id.split('-').next().unwrap_or_default();
    match category {
        c if c == Order::CATEGORY => fold_as::<Order>(events),
        c if c == PurchaseOrder::CATEGORY => fold_as::<PurchaseOrder>(events),
        c if c == StockLedger::CATEGORY => fold_as::<StockLedger>(events),
        c if c == Transfer::CATEGORY => fold_as::<Transfer>(events),
        c if c == Supplier::CATEGORY => fold_as::<Supplier>(events),
        c if c == InventoryItem::CATEGORY => fold_as::<InventoryItem>(events),
        c if c == SkuClaim::CATEGORY => fold_as::<SkuClaim>(events),
        c if c == MenuItem::CATEGORY => fold_as::<MenuItem>(events),
        c if c == Customer::CATEGORY => fold_as::<Customer>(events),
        c if c == Expense::CATEGORY => fold_as::<Expense>(events),
        c if c == Organization::CATEGORY => fold_as::<Organization>(events),
        c if c == User::CATEGORY => fold_as::<User>(events),
        other => bail!("streams of category {other:?} have no aggregate to fold; their events can still be listed"),
    }
}

fn fold_as<A: Aggregate>(events: &[RecordedEvent]) -> anyhow::Result<Value> {
    let mut state = A::default();
    for e in events {
        let event: A::Event = e.decode().with_context(|| {
            format!(
                "event {} of {} ({}) cannot be decoded",
                e.version, e.stream_id, e.event_type
            )
        })?;
        state.evolve(&event);
    }
    Ok(serde_json::to_value(&state)?)
}
