//! `/api/v1/procurement`: suppliers, and purchase orders from draft to delivery.

pub mod purchase_orders;
pub mod suppliers;

use super::Routes;

/// Procurement's routes.
pub fn routes() -> Routes {
    suppliers::routes().merge(purchase_orders::routes())
}
