//! The read models: each a projection with its own schema and tables.

mod docs;
pub mod kitchen;
pub mod sale;
pub mod sales;
pub mod stock;
pub mod stock_item;
pub mod ticket;

use crate::projection::Projection;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// How an enum is stored in a text column: its serde name (`kitchen`, `food`, `spoilage`), so
/// the tables, the JSON documents and the API all spell it one way.
pub(crate) fn stored_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Reads back what [`stored_name`] wrote.
pub(crate) fn from_stored_name<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// Every read model, in the order they are listed to operators.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(kitchen::KitchenQueue::default()),
        Arc::new(stock::StockValuation::default()),
        Arc::new(sales::Sales::default()),
    ]
}

/// The read model called `name`.
pub fn by_name(name: &str) -> Option<Arc<dyn Projection>> {
    all().into_iter().find(|p| p.name() == name)
}
