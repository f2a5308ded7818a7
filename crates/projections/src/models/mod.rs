//! The read models: each a projection with its own schema and tables.

mod docs;
pub mod kitchen;
pub mod sale;
pub mod sales;
pub mod stock;
pub mod stock_item;
pub mod ticket;

use crate::projection::Projection;
use std::sync::Arc;

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
