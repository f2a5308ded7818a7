//! Menu engineering (Kasavana-Smith, with the BCG names) over `[from, to)`, per menu category and
//! over all items, from orders closed in the period. Items on offer that did not sell count as
//! items of the menu, judged on their list price and current recipe cost.

use super::{start_of, timezone};
use crate::models::sales::Offer;
use crate::models::{from_stored_name, stored_name};
use brigade_domain::catalog::MenuCategory;
use brigade_domain::ids::MenuItemId;
use brigade_domain::menu_engineering::{ItemSales, MenuAnalysis, analyse};
use brigade_domain::valuation::Method;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::types::Json;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MenuReport {
    /// First day.
    pub from: NaiveDate,
    /// Day after the last.
    pub to: NaiveDate,
    /// Method of the food costs.
    pub method: Method,
    /// Per menu category (`food`, `beverage`).
    pub categories: BTreeMap<String, MenuAnalysis>,
    /// All items together.
    pub overall: MenuAnalysis,
}

/// Builds the report.
pub async fn bcg_matrix(
    pool: &PgPool,
    tenant: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    method: Method,
) -> Result<MenuReport, sqlx::Error> {
    let tz = timezone(pool, tenant).await?;
    let (start, end) = (start_of(from, tz), start_of(to, tz));
    let (cost, value) = match method {
        Method::Fifo => ("cost_fifo", "value_fifo"),
        Method::WeightedAverage => ("cost_avco", "value_avco"),
    };
    let sold: Vec<(Uuid, String, String, Decimal, Decimal)> = sqlx::query_as(
        "SELECT menu_item_id, min(name), min(category), sum(quantity), sum(revenue) FROM sales.sold_lines \
          WHERE tenant_id = $1 AND closed_at >= $2 AND closed_at < $3 GROUP BY menu_item_id",
    )
    .bind(tenant)
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    let costs: HashMap<Uuid, Decimal> = sqlx::query_as::<_, (Uuid, Decimal)>(&format!(
        "SELECT m.menu_item_id, sum(m.{cost}) FROM stock.movements m \
           JOIN sales.orders o ON o.tenant_id = m.tenant_id AND o.order_id = m.order_id \
          WHERE m.tenant_id = $1 AND m.kind = 'consumed' AND o.closed_at >= $2 AND o.closed_at < $3 \
          GROUP BY m.menu_item_id"
    ))
    .bind(tenant)
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let offers: Vec<(Uuid, bool, Json<Offer>)> =
        sqlx::query_as("SELECT menu_item_id, active, doc FROM sales.menu_items WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_all(pool)
            .await?;
    // Current unit cost per inventory item: value / quantity, or the last receipt cost when none
    // is on hand.
    let unit_costs: HashMap<Uuid, Decimal> = sqlx::query_as::<_, (Uuid, Decimal)>(&format!(
        "SELECT item_id, CASE WHEN quantity > 0 THEN {value} / quantity \
                ELSE coalesce((doc->'valuation'->'fifo'->>'last_cost')::numeric, 0) END \
           FROM stock.items WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();

    let mut items: BTreeMap<Uuid, ItemSales> = BTreeMap::new();
    for (id, active, Json(offer)) in &offers {
        let list_cost = offer
            .details
            .recipe
            .iter()
            .map(|r| r.quantity.value() * unit_costs.get(&r.inventory_item_id.0).copied().unwrap_or_default())
            .sum();
        if *active {
            items.insert(
                *id,
                ItemSales {
                    menu_item_id: MenuItemId(*id),
                    name: offer.details.name.clone(),
                    category: offer.details.category,
                    sold: Decimal::ZERO,
                    revenue: Decimal::ZERO,
                    food_cost: Decimal::ZERO,
                    list_price: offer.details.sell_price.value(),
                    list_cost,
                },
            );
        }
    }
    for (id, name, category, quantity, revenue) in sold {
        let entry = items.entry(id).or_insert_with(|| ItemSales {
            menu_item_id: MenuItemId(id),
            name,
            category: from_stored_name(&category).unwrap_or(MenuCategory::Food),
            sold: Decimal::ZERO,
            revenue: Decimal::ZERO,
            food_cost: Decimal::ZERO,
            list_price: Decimal::ZERO,
            list_cost: Decimal::ZERO,
        });
        entry.sold = quantity;
        entry.revenue = revenue;
        entry.food_cost = costs.get(&id).copied().unwrap_or_default();
    }
    let all: Vec<ItemSales> = items.into_values().collect();
    let mut categories = BTreeMap::new();
    for category in [MenuCategory::Food, MenuCategory::Beverage] {
        let group: Vec<ItemSales> = all.iter().filter(|i| i.category == category).cloned().collect();
        if !group.is_empty() {
            categories.insert(stored_name(&category), analyse(&group));
        }
    }
    Ok(MenuReport {
        from,
        to,
        method,
        categories,
        overall: analyse(&all),
    })
}
