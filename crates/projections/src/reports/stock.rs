//! Stock levels, low-stock alerts, valuation (now or as of a moment), usage and wastage.

use brigade_domain::amount::round_money;
use brigade_domain::valuation::Method;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::types::Json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Item, name and category or department, then two figures: the shape of several report rows.
type Row<A, B> = (Uuid, Option<String>, A, B, Decimal);

/// Quantity of one item in one department.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = StockLevel)]
pub struct Level {
    /// The inventory item.
    pub item_id: Uuid,
    /// The organization's stock-keeping unit.
    pub sku: Option<String>,
    /// The name people see on screens, tickets and receipts.
    pub name: Option<String>,
    /// The department whose stock it is.
    pub department: String,
    /// On hand.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub quantity: Decimal,
}

/// Levels per item and department (one department if given).
pub async fn levels(pool: &PgPool, tenant: Uuid, department: Option<&str>) -> Result<Vec<Level>, sqlx::Error> {
    let rows: Vec<Row<Option<String>, String>> = sqlx::query_as(
        "SELECT l.item_id, i.doc->>'sku', i.doc->>'name', l.department, l.quantity \
           FROM stock.levels l JOIN stock.items i USING (tenant_id, item_id) \
          WHERE l.tenant_id = $1 AND ($2::text IS NULL OR l.department = $2) \
          ORDER BY i.doc->>'name', l.department",
    )
    .bind(tenant)
    .bind(department)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(item_id, sku, name, department, quantity)| Level {
            item_id,
            sku,
            name,
            department,
            quantity: quantity.normalize(),
        })
        .collect())
}

/// An item below its minimum.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Alert {
    /// The inventory item.
    pub item_id: Uuid,
    /// The name people see on screens, tickets and receipts.
    pub name: Option<String>,
    /// On hand (all departments).
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub quantity: Decimal,
    /// Its minimum.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub minimum_stock: Decimal,
}

/// Items whose quantity on hand (all departments) is below their minimum.
pub async fn alerts(pool: &PgPool, tenant: Uuid) -> Result<Vec<Alert>, sqlx::Error> {
    let rows: Vec<(Uuid, Option<String>, Decimal, Decimal)> = sqlx::query_as(
        "SELECT item_id, doc->>'name', quantity, (doc->>'minimum_stock')::numeric FROM stock.items \
          WHERE tenant_id = $1 AND quantity < (doc->>'minimum_stock')::numeric ORDER BY doc->>'name'",
    )
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(item_id, name, quantity, minimum_stock)| Alert {
            item_id,
            name,
            quantity: quantity.normalize(),
            minimum_stock: minimum_stock.normalize(),
        })
        .collect())
}

/// One item's valuation.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemValue {
    /// The inventory item.
    pub item_id: Uuid,
    /// The name people see on screens, tickets and receipts.
    pub name: Option<String>,
    /// Its category, as the reports group it.
    pub category: Option<String>,
    /// On hand.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub quantity: Decimal,
    /// Value / quantity, to the cent (None when nothing is on hand).
    #[schema(value_type = Option<brigade_domain::schema::Amount>)]
    pub unit_cost: Option<Decimal>,
    /// Value, to the cent.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub value: Decimal,
}

/// Valuation of the stock.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Valuation {
    /// How the stock is valued: FIFO or weighted average.
    pub method: Method,
    /// As of (None: now).
    pub as_of: Option<DateTime<Utc>>,
    /// Per item.
    pub items: Vec<ItemValue>,
    /// Per category.
    #[schema(value_type = BTreeMap<String, brigade_domain::schema::Amount>)]
    pub categories: BTreeMap<String, Decimal>,
    /// In all.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub total: Decimal,
}

fn method_column(method: Method) -> &'static str {
    match method {
        Method::Fifo => "fifo",
        Method::WeightedAverage => "avco",
    }
}

/// Values every item under `method`, now or as it stood at `as_of` (from the last movement at or
/// before that moment).
pub async fn valuation(
    pool: &PgPool,
    tenant: Uuid,
    method: Method,
    as_of: Option<DateTime<Utc>>,
) -> Result<Valuation, sqlx::Error> {
    let m = method_column(method);
    let sql = match as_of {
        None => format!(
            "SELECT item_id, doc->>'name', doc->>'category', quantity, value_{m} FROM stock.items \
              WHERE tenant_id = $1 AND $2::timestamptz IS NULL ORDER BY doc->>'name', item_id"
        ),
        Some(_) => format!(
            "SELECT DISTINCT ON (i.doc->>'name', m.item_id) m.item_id, i.doc->>'name', i.doc->>'category', \
                    m.quantity_after, m.value_{m}_after \
               FROM stock.movements m JOIN stock.items i USING (tenant_id, item_id) \
              WHERE m.tenant_id = $1 AND m.at <= $2 \
              ORDER BY i.doc->>'name', m.item_id, m.position DESC, m.ordinal DESC"
        ),
    };
    let rows: Vec<Row<Option<String>, Decimal>> = sqlx::query_as(&sql).bind(tenant).bind(as_of).fetch_all(pool).await?;
    let mut categories: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut total = Decimal::ZERO;
    let items = rows
        .into_iter()
        .map(|(item_id, name, category, quantity, value)| {
            total += value;
            *categories.entry(category.clone().unwrap_or_default()).or_default() += value;
            ItemValue {
                item_id,
                name,
                category,
                quantity: quantity.normalize(),
                unit_cost: (!quantity.is_zero()).then(|| round_money(value / quantity)),
                value: round_money(value),
            }
        })
        .collect();
    Ok(Valuation {
        method,
        as_of,
        items,
        categories: categories.into_iter().map(|(c, v)| (c, round_money(v))).collect(),
        total: round_money(total),
    })
}

/// Valued issues of one item from one department (or for one reason).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Usage {
    /// The inventory item.
    pub item_id: Uuid,
    /// The name people see on screens, tickets and receipts.
    pub name: Option<String>,
    /// Department (usage) or reason (wastage).
    pub group: String,
    /// Quantity issued.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub quantity: Decimal,
    /// Its cost, to the cent.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub cost: Decimal,
}

async fn grouped(
    pool: &PgPool,
    sql: &str,
    tenant: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Usage>, sqlx::Error> {
    let rows: Vec<Row<String, Decimal>> = sqlx::query_as(sql)
        .bind(tenant)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(item_id, name, group, quantity, cost)| Usage {
            item_id,
            name,
            group,
            quantity: quantity.normalize(),
            cost: round_money(cost),
        })
        .collect())
}

/// Kitchen and bar consumption in `[from, to)`, per item and department, valued.
pub async fn usage(
    pool: &PgPool,
    tenant: Uuid,
    method: Method,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Usage>, sqlx::Error> {
    let m = method_column(method);
    let sql = format!(
        "SELECT m.item_id, i.doc->>'name', m.department, -sum(m.quantity), sum(m.cost_{m}) \
           FROM stock.movements m JOIN stock.items i USING (tenant_id, item_id) \
          WHERE m.tenant_id = $1 AND m.kind = 'consumed' AND m.at >= $2 AND m.at < $3 \
          GROUP BY m.item_id, i.doc->>'name', m.department ORDER BY 2, 3"
    );
    grouped(pool, &sql, tenant, from, to).await
}

/// One stock adjustment, as the stock controller recorded it and as it was valued.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Adjustment {
    /// Its id (what `POST /api/v1/stock/adjustments` answered).
    pub id: Uuid,
    /// The inventory item.
    pub inventory_item_id: Uuid,
    /// The item's name.
    pub name: Option<String>,
    /// Where (stored under the department's wire name).
    #[schema(value_type = brigade_domain::catalog::Department)]
    pub department: String,
    /// The signed change, as a decimal string ("-0.5": stock lost).
    #[schema(value_type = brigade_domain::schema::Figure, example = "-0.5")]
    pub quantity: Decimal,
    /// Why (stored under the reason's wire name).
    #[schema(value_type = brigade_domain::stock::AdjustmentReason)]
    pub reason: String,
    /// What stock lost this way cost, FIFO ("0.00" for stock found).
    #[schema(value_type = brigade_domain::schema::Amount, example = "4.00")]
    pub cost_fifo: Decimal,
    /// The same under weighted average.
    #[schema(value_type = brigade_domain::schema::Amount, example = "4.30")]
    pub cost_weighted_average: Decimal,
    /// When it happened: the time of the command that decided it.
    pub at: DateTime<Utc>,
}

/// The adjustment `id` of `tenant`, if the stock read model has it.
pub async fn adjustment(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<Option<Adjustment>, sqlx::Error> {
    type AdjustmentRow = (
        Uuid,
        Option<String>,
        String,
        Decimal,
        Option<String>,
        Decimal,
        Decimal,
        DateTime<Utc>,
    );
    let row: Option<AdjustmentRow> = sqlx::query_as(
        "SELECT m.item_id, i.doc->>'name', m.department, m.quantity, m.reason, m.cost_fifo, m.cost_avco, m.at \
           FROM stock.movements m JOIN stock.items i USING (tenant_id, item_id) \
          WHERE m.tenant_id = $1 AND m.adjustment_id = $2",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(item, name, department, quantity, reason, fifo, avco, at)| Adjustment {
            id,
            inventory_item_id: item,
            name,
            department,
            quantity: quantity.normalize(),
            reason: reason.unwrap_or_default(),
            cost_fifo: round_money(fifo),
            cost_weighted_average: round_money(avco),
            at,
        },
    ))
}

/// What the kitchen and the bar used in a period, valued, beside what came in at the back door:
/// the two figures a manager sets against each other first.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    /// How the usage is valued.
    pub method: Method,
    /// Consumption per item and department.
    pub usage: Vec<Usage>,
    /// Its value in all.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub used_value: Decimal,
    /// Deliveries per item and department, at their cost.
    pub received: Vec<Usage>,
    /// Their value in all.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub received_value: Decimal,
}

/// [`UsageReport`] over `[from, to)`.
pub async fn usage_report(
    pool: &PgPool,
    tenant: Uuid,
    method: Method,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<UsageReport, sqlx::Error> {
    let usage = usage(pool, tenant, method, from, to).await?;
    let received = received(pool, tenant, from, to).await?;
    Ok(UsageReport {
        method,
        // Sums of cents stay in cents; rounding gives an empty sum its "0.00".
        used_value: round_money(usage.iter().map(|u| u.cost).sum()),
        usage,
        received_value: round_money(received.iter().map(|u| u.cost).sum()),
        received,
    })
}

/// Goods received in `[from, to)`, per item and department, at the cost on their delivery (the
/// same under either valuation method).
pub async fn received(
    pool: &PgPool,
    tenant: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Usage>, sqlx::Error> {
    let sql = "SELECT m.item_id, i.doc->>'name', m.department, sum(m.quantity), sum(m.quantity * m.unit_cost) \
                 FROM stock.movements m JOIN stock.items i USING (tenant_id, item_id) \
                WHERE m.tenant_id = $1 AND m.kind = 'received' AND m.at >= $2 AND m.at < $3 \
                GROUP BY m.item_id, i.doc->>'name', m.department ORDER BY 2, 3";
    grouped(pool, sql, tenant, from, to).await
}

/// Wastage in `[from, to)`, per item and reason, valued: negative adjustments (by their reason)
/// and what orders cancelled after being sent had consumed (`cancelled_order`).
pub async fn wastage(
    pool: &PgPool,
    tenant: Uuid,
    method: Method,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Usage>, sqlx::Error> {
    let m = method_column(method);
    let sql = format!(
        "SELECT item_id, name, reason, sum(quantity), sum(cost) FROM ( \
            SELECT m.item_id, i.doc->>'name' AS name, m.reason, -m.quantity AS quantity, m.cost_{m} AS cost \
              FROM stock.movements m JOIN stock.items i USING (tenant_id, item_id) \
             WHERE m.tenant_id = $1 AND m.kind = 'adjusted' AND m.quantity < 0 AND m.at >= $2 AND m.at < $3 \
            UNION ALL \
            SELECT m.item_id, i.doc->>'name', 'cancelled_order', -m.quantity, m.cost_{m} \
              FROM stock.movements m JOIN stock.items i USING (tenant_id, item_id) \
              JOIN sales.orders o ON o.tenant_id = m.tenant_id AND o.order_id = m.order_id \
             WHERE m.tenant_id = $1 AND m.kind = 'consumed' AND o.sent AND o.cancelled_at >= $2 AND o.cancelled_at < $3 \
          ) w GROUP BY item_id, name, reason ORDER BY 2, 3"
    );
    grouped(pool, &sql, tenant, from, to).await
}

/// An inventory item with its stock: how much is where, and what it is worth both ways.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InventoryItemView {
    /// The item.
    pub id: Uuid,
    /// The organization's stock-keeping unit.
    pub sku: String,
    /// Its name.
    pub name: String,
    /// Unit of measure (`kg`, `l`, `each`...).
    pub unit: String,
    /// Food, beverage or supplies.
    pub category: Option<brigade_domain::catalog::InventoryCategory>,
    /// Below this organization-wide quantity it shows in the alerts.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub minimum_stock: Decimal,
    /// Reorder up to this, where set.
    #[schema(value_type = Option<brigade_domain::schema::Figure>)]
    pub maximum_stock: Option<Decimal>,
    /// On hand per department (negative where the kitchen used more than it was given).
    #[schema(value_type = BTreeMap<String, brigade_domain::schema::Figure>)]
    pub departments: BTreeMap<brigade_domain::catalog::Department, Decimal>,
    /// On hand in all.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub quantity: Decimal,
    /// Its value under FIFO.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub value_fifo: Decimal,
    /// Its value at the weighted average cost.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub value_weighted_average: Decimal,
    /// The weighted average cost of one unit now.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub average_cost: Decimal,
    /// The FIFO lots on hand, oldest first: what is left of each delivery and what it cost.
    pub layers: Vec<Lot>,
}

/// What is left of one delivery.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Lot {
    /// Quantity left.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub quantity: Decimal,
    /// What one unit cost.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub unit_cost: Decimal,
}

impl InventoryItemView {
    fn of(id: Uuid, item: crate::models::stock_item::StockItem) -> Self {
        let v = &item.valuation;
        Self {
            id,
            sku: item.sku.unwrap_or_default(),
            name: item.name.unwrap_or_default(),
            unit: item.unit.unwrap_or_default(),
            category: item.category,
            minimum_stock: item.minimum_stock.normalize(),
            maximum_stock: item.maximum_stock.map(|m| m.normalize()),
            departments: item.departments.iter().map(|(d, q)| (*d, q.normalize())).collect(),
            quantity: v.quantity().normalize(),
            value_fifo: round_money(v.value(Method::Fifo)),
            value_weighted_average: round_money(v.value(Method::WeightedAverage)),
            average_cost: v.avco.average().normalize(),
            layers: v
                .fifo
                .layers()
                .map(|l| Lot {
                    quantity: l.quantity.normalize(),
                    unit_cost: l.unit_cost.normalize(),
                })
                .collect(),
        }
    }
}

/// A page of the organization's inventory items (those registered: stock can be moved for an id
/// before its item is).
pub async fn inventory_items(
    pool: &PgPool,
    tenant: Uuid,
    page: super::page::PageRequest,
) -> Result<super::page::Page<InventoryItemView>, sqlx::Error> {
    let rows: Vec<(Uuid, Json<crate::models::stock_item::StockItem>)> = sqlx::query_as(
        "SELECT item_id, doc FROM stock.items \
          WHERE tenant_id = $1 AND ($2::uuid IS NULL OR item_id > $2) AND doc->>'sku' IS NOT NULL \
          ORDER BY item_id LIMIT $3",
    )
    .bind(tenant)
    .bind(page.cursor)
    .bind(page.fetch())
    .fetch_all(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(id, Json(item))| (id, InventoryItemView::of(id, item)));
    Ok(super::page::Page::of(rows.collect(), page))
}

/// One inventory item, if the organization has registered it.
pub async fn inventory_item(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<Option<InventoryItemView>, sqlx::Error> {
    let row: Option<Json<crate::models::stock_item::StockItem>> = sqlx::query_scalar(
        "SELECT doc FROM stock.items WHERE tenant_id = $1 AND item_id = $2 AND doc->>'sku' IS NOT NULL",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|Json(item)| InventoryItemView::of(id, item)))
}
