//! The sales read model's rows as the API serves them: orders, the menu, customers with their
//! figures, expenses. Each row's document is decoded into its type here, so what a client
//! receives is exactly the schema the OpenAPI document shows, and a row that no longer fits it
//! fails loudly instead of reaching a client in some other shape.

use super::page::{Page, PageRequest};
use crate::models::sale::{Sale, SaleLine, SaleStatus};
use crate::models::sales::Offer;
use brigade_domain::amount::{Money, round_money};
use brigade_domain::customer::CustomerProfile;
use brigade_domain::expense::ExpenseCategory;
use brigade_domain::ids::{CustomerId, UserId};
use brigade_domain::menu_item::MenuItemDetails;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

/// An order as the sales read model has it: what it sold and its closing figures.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OrderSummary {
    /// The order.
    pub id: Uuid,
    /// Its number of the day.
    pub number: u32,
    /// Open (taken, not yet both served and paid), closed or cancelled.
    pub status: SaleStatus,
    /// The customer, when known.
    pub customer_id: Option<CustomerId>,
    /// Guests, where counted.
    pub covers: Option<u16>,
    /// Its lines as sold.
    pub lines: Vec<SaleLine>,
    /// Whether it went to the kitchen (a cancellation after that is wastage).
    pub sent: bool,
    /// When its revenue was recognised (served and paid).
    pub closed_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Food lines' sales, before discounts.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub food_sales: Decimal,
    /// Beverage lines' sales, before discounts.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub beverage_sales: Decimal,
    /// Discounts given.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub discount: Decimal,
    /// Sales tax.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub tax: Decimal,
    /// Tips (not revenue).
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub tips: Decimal,
    /// Paid towards the bill, refunds deducted.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub paid: Decimal,
    /// How much of it has been refunded so far.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub refunded: Decimal,
}

impl OrderSummary {
    fn of(id: Uuid, sale: Sale) -> Self {
        Self {
            id,
            number: sale.number,
            status: sale.status,
            customer_id: sale.customer_id,
            covers: sale.covers,
            lines: sale.lines,
            sent: sale.sent,
            closed_at: sale.closed_at,
            cancelled_at: sale.cancelled_at,
            food_sales: round_money(sale.food_sales),
            beverage_sales: round_money(sale.beverage_sales),
            discount: round_money(sale.discount),
            tax: round_money(sale.tax),
            tips: round_money(sale.tips),
            paid: round_money(sale.paid),
            refunded: round_money(sale.refunded),
        }
    }
}

/// A page of the organization's orders, optionally only those in `status`.
pub async fn orders(
    pool: &PgPool,
    tenant: Uuid,
    page: PageRequest,
    status: Option<SaleStatus>,
) -> Result<Page<OrderSummary>, sqlx::Error> {
    let rows: Vec<(Uuid, Json<Sale>)> = sqlx::query_as(
        "SELECT order_id, doc FROM sales.orders \
          WHERE tenant_id = $1 AND ($2::uuid IS NULL OR order_id > $2) AND ($4::text IS NULL OR status = $4) \
          ORDER BY order_id LIMIT $3",
    )
    .bind(tenant)
    .bind(page.cursor)
    .bind(page.fetch())
    .bind(status.map(SaleStatus::as_str))
    .fetch_all(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(id, Json(sale))| (id, OrderSummary::of(id, sale)));
    Ok(Page::of(rows.collect(), page))
}

/// A menu item as offered now.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MenuItemView {
    /// The menu item.
    pub id: Uuid,
    /// Name, category, price, station and recipe.
    pub details: MenuItemDetails,
    /// On the menu (false once withdrawn: kept for the history of what was sold).
    pub active: bool,
}

/// A page of the menu.
pub async fn menu_items(pool: &PgPool, tenant: Uuid, page: PageRequest) -> Result<Page<MenuItemView>, sqlx::Error> {
    let rows: Vec<(Uuid, bool, Json<Offer>)> = sqlx::query_as(
        "SELECT menu_item_id, active, doc FROM sales.menu_items \
          WHERE tenant_id = $1 AND ($2::uuid IS NULL OR menu_item_id > $2) ORDER BY menu_item_id LIMIT $3",
    )
    .bind(tenant)
    .bind(page.cursor)
    .bind(page.fetch())
    .fetch_all(pool)
    .await?;
    let rows = rows.into_iter().map(|(id, active, Json(offer))| {
        (
            id,
            MenuItemView {
                id,
                details: offer.details,
                active,
            },
        )
    });
    Ok(Page::of(rows.collect(), page))
}

/// One menu item, if the organization has it.
pub async fn menu_item(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<Option<MenuItemView>, sqlx::Error> {
    let row: Option<(bool, Json<Offer>)> =
        sqlx::query_as("SELECT active, doc FROM sales.menu_items WHERE tenant_id = $1 AND menu_item_id = $2")
            .bind(tenant)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(active, Json(offer))| MenuItemView {
        id,
        details: offer.details,
        active,
    }))
}

/// A customer's profile and what they have spent.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomerView {
    /// The customer.
    pub id: Uuid,
    /// Name, contact and preferences.
    #[serde(flatten)]
    pub profile: CustomerProfile,
    /// Closed orders.
    pub order_count: i64,
    /// Spent on closed orders (net sales and tax), less refunds.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub total_spent: Decimal,
    /// Their last closed order.
    pub last_order_at: Option<DateTime<Utc>>,
    /// Loyalty points earned.
    #[schema(value_type = brigade_domain::schema::Figure)]
    pub loyalty_points: Decimal,
}

/// The customer columns, and only customers with a profile (figures can arrive first).
const CUSTOMER: &str = "SELECT customer_id, doc->'profile', order_count, total_spent, last_order_at, loyalty_points \
    FROM sales.customers WHERE tenant_id = $1 AND doc->'profile' <> 'null'::jsonb";

type CustomerRow = (
    Uuid,
    Json<CustomerProfile>,
    i64,
    Decimal,
    Option<DateTime<Utc>>,
    Decimal,
);

fn customer((id, Json(profile), order_count, spent, last_order_at, points): CustomerRow) -> (Uuid, CustomerView) {
    let view = CustomerView {
        id,
        profile,
        order_count,
        total_spent: round_money(spent),
        last_order_at,
        loyalty_points: points.normalize(),
    };
    (id, view)
}

/// A page of the customers.
pub async fn customers(pool: &PgPool, tenant: Uuid, page: PageRequest) -> Result<Page<CustomerView>, sqlx::Error> {
    let rows: Vec<CustomerRow> = sqlx::query_as(&format!(
        "{CUSTOMER} AND ($2::uuid IS NULL OR customer_id > $2) ORDER BY customer_id LIMIT $3"
    ))
    .bind(tenant)
    .bind(page.cursor)
    .bind(page.fetch())
    .fetch_all(pool)
    .await?;
    Ok(Page::of(rows.into_iter().map(customer).collect(), page))
}

/// One customer, if the organization has them.
pub async fn customer_by_id(pool: &PgPool, tenant: Uuid, id: Uuid) -> Result<Option<CustomerView>, sqlx::Error> {
    let row: Option<CustomerRow> = sqlx::query_as(&format!("{CUSTOMER} AND customer_id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|row| customer(row).1))
}

/// An expense as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ExpenseView {
    /// The expense.
    pub id: Uuid,
    /// Its line of the P&L.
    pub category: ExpenseCategory,
    /// Its amount.
    pub amount: Money,
    /// The day it belongs to (organization's timezone).
    pub date: NaiveDate,
    /// Free text.
    pub note: Option<String>,
    /// Who recorded it.
    pub by: UserId,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// What the expense row keeps in its document.
#[derive(Deserialize)]
struct ExpenseDoc {
    note: Option<String>,
    by: UserId,
    at: DateTime<Utc>,
}

/// A page of the expenses.
pub async fn expenses(pool: &PgPool, tenant: Uuid, page: PageRequest) -> Result<Page<ExpenseView>, sqlx::Error> {
    type ExpenseRow = (Uuid, Json<ExpenseCategory>, Decimal, NaiveDate, Json<ExpenseDoc>);
    let rows: Vec<ExpenseRow> = sqlx::query_as(
        "SELECT expense_id, to_jsonb(category), amount, date, doc FROM sales.expenses \
          WHERE tenant_id = $1 AND ($2::uuid IS NULL OR expense_id > $2) ORDER BY expense_id LIMIT $3",
    )
    .bind(tenant)
    .bind(page.cursor)
    .bind(page.fetch())
    .fetch_all(pool)
    .await?;
    let rows = rows.into_iter().map(|(id, Json(category), amount, date, Json(doc))| {
        let view = ExpenseView {
            id,
            category,
            amount: Money::from_computed(amount),
            date,
            note: doc.note,
            by: doc.by,
            at: doc.at,
        };
        (id, view)
    });
    Ok(Page::of(rows.collect(), page))
}

/// The order a payment was taken for, once the sales read model has the payment.
pub async fn order_of_payment(pool: &PgPool, tenant: Uuid, payment_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT order_id FROM sales.payments WHERE tenant_id = $1 AND payment_id = $2")
        .bind(tenant)
        .bind(payment_id)
        .fetch_optional(pool)
        .await
}
