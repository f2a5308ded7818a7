//! The ids a request body names must be the caller's organization's: a supplier, a customer, an
//! ingredient of a recipe, an item of a purchase order or a transfer that does not exist there
//! (or is another organization's, which reads the same) is refused with a 422 naming each such
//! field, and nothing is written. Without this, a menu item could consume the stock of an item
//! its organization has never heard of, and the valuation would show a nameless row. Every
//! reference of a request is checked in one query.

use crate::error::ApiError;
use crate::http::problem::Problem;
use brigade_domain::inventory_item::InventoryItem;
use brigade_domain::{Aggregate, stream_id};
use brigade_eventstore::TenantStore;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A field of a request that names an aggregate.
pub struct Reference {
    field: String,
    stream: String,
    missing: String,
}

/// The field `field` names the aggregate `A` with `id`.
pub fn reference<A: Aggregate>(field: impl Into<String>, id: Uuid) -> Reference {
    Reference {
        field: field.into(),
        stream: stream_id::<A>(id),
        missing: format!("no {} {id}", A::CATEGORY.replace('_', " ")),
    }
}

/// The inventory items of a body's lines: `lines[0].inventory_item_id`, ...
pub fn inventory_lines<T>(list: &str, lines: &[T], id: impl Fn(&T) -> Uuid) -> Vec<Reference> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| reference::<InventoryItem>(format!("{list}[{i}].inventory_item_id"), id(line)))
        .collect()
}

/// Checks that every reference names an aggregate of `store`'s organization, in one query.
pub async fn all_exist(store: &TenantStore, references: &[Reference]) -> Result<(), ApiError> {
    let streams: Vec<String> = references.iter().map(|r| r.stream.clone()).collect();
    let found = store.existing_streams(&streams).await.map_err(ApiError::internal)?;
    let errors: BTreeMap<String, Vec<String>> = references
        .iter()
        .filter(|r| !found.contains(&r.stream))
        .map(|r| (r.field.clone(), vec![r.missing.clone()]))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid_fields(errors).into())
    }
}
