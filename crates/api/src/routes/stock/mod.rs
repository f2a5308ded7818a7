//! `/api/v1/stock`: inventory items, transfers between departments, adjustments, and the stock
//! reports (levels, alerts, valuation, usage).

pub mod adjustments;
pub mod inventory;
pub mod reports;
pub mod transfers;

use super::Routes;

/// The stock's routes.
pub fn routes() -> Routes {
    inventory::routes()
        .merge(transfers::routes())
        .merge(adjustments::routes())
        .merge(reports::routes())
}
