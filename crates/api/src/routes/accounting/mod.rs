//! `/api/v1/accounting`: expenses, and the reports the books are kept with (P&L, menu
//! engineering, food cost, wastage).

pub mod expenses;
pub mod reports;

use super::Routes;

/// Accounting's routes.
pub fn routes() -> Routes {
    expenses::routes().merge(reports::routes())
}
