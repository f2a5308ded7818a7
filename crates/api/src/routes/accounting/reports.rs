//! `/api/v1/accounting/...`: the P&L statement, menu engineering, the food cost ratio and wastage,
//! from the sales and stock read models together. Periods are `[from, to)` in the organization's
//! timezone; every amount is rounded to the cent only at the end.

use crate::access::Access::Roles;
use crate::access::BOOKKEEPERS;
use crate::auth::extract::Caller;
use crate::error::ApiError;
use crate::http::responses::{AfterErrors, CallerErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::read;
use axum::Json;
use axum::extract::{Query, State};
use brigade_domain::pnl::Grouping;
use brigade_domain::valuation::Method;
use brigade_projections::reports::{menu, pnl, stock};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;

use crate::views::{PeriodQuery, instants};

/// Both read models the cost reports read.
const SALES_AND_STOCK: &[&str] = &["sales", "stock"];

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

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(wastage), Roles(BOOKKEEPERS))
        .add(routes!(pl_statement), Roles(BOOKKEEPERS))
        .add(routes!(bcg_matrix), Roles(BOOKKEEPERS))
        .add(routes!(food_cost_ratio), Roles(BOOKKEEPERS))
}
