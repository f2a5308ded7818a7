//! `/api/v1/pos`: the point of sale: orders from the till to the table, customers, payments.

pub mod customers;
pub mod floor;
pub mod orders;
pub mod payments;

use super::Routes;

/// The point of sale's routes.
pub fn routes() -> Routes {
    orders::routes()
        .merge(floor::routes())
        .merge(customers::routes())
        .merge(payments::routes())
}
