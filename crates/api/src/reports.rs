//! The reports: stock levels, alerts, valuation (FIFO or weighted average, now or as of a
//! moment) and usage from the stock read model; the P&L statement, menu engineering, food cost
//! ratio and wastage from the sales and stock read models together. Periods are `[from, to)` in
//! the organization's timezone; every amount is rounded to the cent only at the end.

use crate::auth::extract::Caller;
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::problem::Problem;
use crate::http::responses::{AfterErrors, CallerErrors, ReadErrors};
use crate::views::read;
use axum::Json;
use axum::extract::{Query, State};
use brigade_domain::pnl::Grouping;
use brigade_domain::valuation::Method;
use brigade_projections::reports::{self, menu, pnl, stock};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Both read models the cost reports read.
const SALES_AND_STOCK: &[&str] = &["sales", "stock"];

/// A department filter.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LevelsQuery {
    /// `procurement`, `stock`, `processing`, `kitchen` or `bar`; absent: all.
    department: Option<String>,
    /// Answer only once the stock read model has applied this global position (at most 2 s).
    #[serde(default, deserialize_with = "crate::views::position")]
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// A valuation.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValuationQuery {
    /// `fifo` (default) or `weighted_average`.
    method: Option<Method>,
    /// The moment to value at (RFC 3339); absent: now.
    #[param(value_type = Option<String>, format = DateTime)]
    as_of: Option<DateTime<Utc>>,
    /// Answer only once the stock read model has applied this global position (at most 2 s).
    #[serde(default, deserialize_with = "crate::views::position")]
    #[param(minimum = 0)]
    after: Option<i64>,
}

/// A period.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day (organization's timezone).
    #[param(value_type = String, format = Date)]
    from: NaiveDate,
    /// The day after the last.
    #[param(value_type = String, format = Date)]
    to: NaiveDate,
    /// Cost method: `fifo` (default) or `weighted_average`.
    method: Option<Method>,
    /// P&L only: `day`, `week` or `month` (default `day`).
    group_by: Option<Grouping>,
    /// Answer only once the read models have applied this global position (at most 2 s).
    #[serde(default, deserialize_with = "crate::views::position")]
    #[param(minimum = 0)]
    after: Option<i64>,
}

impl PeriodQuery {
    fn checked(&self) -> Result<(), ApiError> {
        if self.to <= self.from {
            return Err(Problem::bad_request(format!("to ({}) must be after from ({})", self.to, self.from)).into());
        }
        if (self.to - self.from).num_days() > 3660 {
            return Err(Problem::bad_request("a period is at most ten years").into());
        }
        Ok(())
    }
}

/// Stock on hand per item and department.
#[derive(Serialize, ToSchema)]
pub struct StockLevels {
    /// One row per item and department holding (or owing) any of it, by item name.
    pub levels: Vec<stock::Level>,
}

/// The items to reorder.
#[derive(Serialize, ToSchema)]
pub struct StockAlerts {
    /// Items whose organization-wide quantity on hand is below their minimum stock.
    pub alerts: Vec<stock::Alert>,
}

/// What was used and received over a period.
#[derive(Serialize, ToSchema)]
pub struct UsageAnswer {
    /// The first day of the period (organization's timezone).
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// The day after its last.
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// The figures.
    #[serde(flatten)]
    pub report: stock::UsageReport,
}

/// Valued wastage over a period.
#[derive(Serialize, ToSchema)]
pub struct WastageAnswer {
    /// The first day of the period (organization's timezone).
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// The day after its last.
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// How the wasted stock is valued.
    pub method: Method,
    /// Per item, department and reason (`spoilage`, `breakage`... or `cancelled_order`).
    pub wastage: Vec<stock::Usage>,
    /// Their value in all.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub total: Decimal,
}

/// Food and beverage cost against their sales over a period: the ratio a kitchen is held to.
#[derive(Serialize, ToSchema)]
pub struct FoodCostRatio {
    /// The first day of the period (organization's timezone).
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// The day after its last.
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// How the costs are valued.
    pub method: Method,
    /// Food lines of orders closed in the period (before discounts, as in the P&L).
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub food_sales: Decimal,
    /// What those lines' recipes consumed, valued.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub food_cost: Decimal,
    /// Food cost / food sales; absent when nothing was sold.
    #[schema(value_type = Option<brigade_domain::schema::Ratio>)]
    pub food_cost_pct: Option<Decimal>,
    /// Beverage lines of orders closed in the period.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub beverage_sales: Decimal,
    /// What those lines' recipes consumed, valued.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub beverage_cost: Decimal,
    /// Beverage cost / beverage sales; absent when nothing was sold.
    #[schema(value_type = Option<brigade_domain::schema::Ratio>)]
    pub beverage_cost_pct: Option<Decimal>,
    /// Food and beverage cost together / their sales together.
    #[schema(value_type = Option<brigade_domain::schema::Ratio>)]
    pub combined_cost_pct: Option<Decimal>,
}

/// Quantities per item and department.
#[utoipa::path(get, path = "/api/v1/stock/levels", tag = "stock", security(("bearer" = [])), params(LevelsQuery),
    responses((status = 200, description = "Stock on hand", body = StockLevels), ReadErrors, CallerErrors, AfterErrors))]
pub async fn levels(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<LevelsQuery>,
) -> Result<Json<StockLevels>, ApiError> {
    state.wait_after(q.after, &["stock"]).await?;
    let department = q.department.map(|d| d.to_ascii_lowercase());
    read(
        stock::levels(state.store.pool(), caller.0.org.0, department.as_deref())
            .await
            .map(|levels| StockLevels { levels }),
    )
}

/// Items below their minimum stock (organization-wide on hand).
#[utoipa::path(get, path = "/api/v1/stock/alerts", tag = "stock", security(("bearer" = [])), params(crate::views::AfterQuery),
    responses((status = 200, description = "Items below their minimum", body = StockAlerts), ReadErrors, CallerErrors, AfterErrors))]
pub async fn alerts(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<crate::views::AfterQuery>,
) -> Result<Json<StockAlerts>, ApiError> {
    state.wait_after(q.after, &["stock"]).await?;
    read(
        stock::alerts(state.store.pool(), caller.0.org.0)
            .await
            .map(|alerts| StockAlerts { alerts }),
    )
}

/// The stock's value per item and category.
#[utoipa::path(get, path = "/api/v1/stock/reports/valuation", tag = "stock", security(("bearer" = [])), params(ValuationQuery),
    responses((status = 200, description = "The stock's value", body = stock::Valuation), ReadErrors, CallerErrors, AfterErrors))]
pub async fn valuation(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<ValuationQuery>,
) -> Result<Json<stock::Valuation>, ApiError> {
    state.wait_after(q.after, &["stock"]).await?;
    read(
        stock::valuation(
            state.store.pool(),
            caller.0.org.0,
            q.method.unwrap_or_default(),
            q.as_of,
        )
        .await,
    )
}

async fn instants(
    state: &AppState,
    caller: &Caller,
    q: &PeriodQuery,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    q.checked()?;
    let tz = reports::timezone(state.store.pool(), caller.0.org.0)
        .await
        .map_err(ApiError::internal)?;
    Ok((reports::start_of(q.from, tz), reports::start_of(q.to, tz)))
}

/// Kitchen and bar consumption per item and department, valued.
#[utoipa::path(get, path = "/api/v1/stock/reports/usage", tag = "stock", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, description = "Usage and receipts", body = UsageAnswer), ReadErrors, CallerErrors, AfterErrors))]
pub async fn usage(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<UsageAnswer>, ApiError> {
    state.wait_after(q.after, &["stock"]).await?;
    let (start, end) = instants(&state, &caller, &q).await?;
    let method = q.method.unwrap_or_default();
    read(
        stock::usage_report(state.store.pool(), caller.0.org.0, method, start, end)
            .await
            .map(|report| UsageAnswer {
                from: q.from,
                to: q.to,
                report,
            }),
    )
}

/// Valued wastage per item and reason: negative adjustments, and what orders cancelled after
/// being sent had consumed.
#[utoipa::path(get, path = "/api/v1/accounting/reports/wastage", tag = "accounting", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, description = "Wastage", body = WastageAnswer), ReadErrors, CallerErrors, AfterErrors))]
pub async fn wastage(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<WastageAnswer>, ApiError> {
    state.wait_after(q.after, SALES_AND_STOCK).await?;
    let (start, end) = instants(&state, &caller, &q).await?;
    let method = q.method.unwrap_or_default();
    read(
        stock::wastage(state.store.pool(), caller.0.org.0, method, start, end)
            .await
            .map(|rows| {
                let total = brigade_domain::amount::round_money(rows.iter().map(|r| r.cost).sum());
                WastageAnswer {
                    from: q.from,
                    to: q.to,
                    method,
                    wastage: rows,
                    total,
                }
            }),
    )
}

/// The P&L statement by day, week or month.
#[utoipa::path(get, path = "/api/v1/accounting/reports/pl-statement", tag = "accounting", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, description = "The statement", body = pnl::PlReport), ReadErrors, CallerErrors, AfterErrors))]
pub async fn pl_statement(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<pnl::PlReport>, ApiError> {
    state.wait_after(q.after, SALES_AND_STOCK).await?;
    q.checked()?;
    let group_by = q.group_by.unwrap_or(Grouping::Day);
    read(
        pnl::statement(
            state.store.pool(),
            caller.0.org.0,
            q.from,
            q.to,
            group_by,
            q.method.unwrap_or_default(),
        )
        .await,
    )
}

/// Menu engineering: each item's popularity and contribution margin, classed star, plowhorse,
/// puzzle or dog, per menu category and overall.
#[utoipa::path(get, path = "/api/v1/accounting/product-categories/bcg-matrix", tag = "accounting", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, description = "The matrix", body = menu::MenuReport), ReadErrors, CallerErrors, AfterErrors))]
pub async fn bcg_matrix(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<menu::MenuReport>, ApiError> {
    state.wait_after(q.after, SALES_AND_STOCK).await?;
    q.checked()?;
    read(
        menu::bcg_matrix(
            state.store.pool(),
            caller.0.org.0,
            q.from,
            q.to,
            q.method.unwrap_or_default(),
        )
        .await,
    )
}

/// Food and beverage cost against their sales over the period.
#[utoipa::path(get, path = "/api/v1/accounting/food-cost-ratio", tag = "accounting", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, description = "The ratios", body = FoodCostRatio), ReadErrors, CallerErrors, AfterErrors))]
pub async fn food_cost_ratio(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<FoodCostRatio>, ApiError> {
    state.wait_after(q.after, SALES_AND_STOCK).await?;
    q.checked()?;
    let method = q.method.unwrap_or_default();
    read(
        pnl::statement(
            state.store.pool(),
            caller.0.org.0,
            q.from,
            q.to,
            Grouping::Month,
            method,
        )
        .await
        .map(|r| {
            let t = r.total;
            FoodCostRatio {
                from: q.from,
                to: q.to,
                method,
                food_sales: t.food_sales,
                food_cost: t.food_cost,
                food_cost_pct: t.ratios.food_cost_pct,
                beverage_sales: t.beverage_sales,
                beverage_cost: t.beverage_cost,
                beverage_cost_pct: t.ratios.beverage_cost_pct,
                combined_cost_pct: t.ratios.cost_of_sales_pct,
            }
        }),
    )
}
