//! The ids a request body names must be the caller's organization's: an ingredient of a recipe,
//! an item of a purchase order or a transfer that does not exist there (or is another
//! organization's, which reads the same) is refused with a 422 naming each such field, and
//! nothing is written. Without this, a menu item could consume the stock of an item its
//! organization has never heard of, and the valuation would show a nameless row.

use crate::commands::internal;
use crate::http::problem::Problem;
use axum::response::{IntoResponse, Response};
use brigade_domain::inventory_item::InventoryItem;
use brigade_domain::stream_id;
use brigade_eventstore::TenantStore;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Checks that each `(field, id)` names an inventory item of `store`'s organization, in one query.
pub async fn inventory_items(store: &TenantStore, named: &[(String, Uuid)]) -> Result<(), Response> {
    let streams: Vec<String> = named.iter().map(|(_, id)| stream_id::<InventoryItem>(*id)).collect();
    let found = store.existing_streams(&streams).await.map_err(internal)?;
    let errors: BTreeMap<String, Vec<String>> = named
        .iter()
        .zip(&streams)
        .filter(|(_, stream)| !found.contains(*stream))
        .map(|((field, id), _)| (field.clone(), vec![format!("no inventory item {id}")]))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid_fields(errors).into_response())
    }
}

/// `(field, id)` pairs for the lines of a body: `lines[0].inventory_item_id`, ...
pub fn fields<T>(list: &str, lines: &[T], id: impl Fn(&T) -> Uuid) -> Vec<(String, Uuid)> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| (format!("{list}[{i}].inventory_item_id"), id(line)))
        .collect()
}
