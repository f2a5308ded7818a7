//! `/api/v1/stock/levels`, `/alerts` and `/reports`: what is on hand per item and department, what
//! is below its minimum, what the stock is worth (FIFO or weighted average, now or as of a
//! moment), and what the kitchen and bar used against what came in, over a period.

use crate::access::Access::Roles;
use crate::access::{STOCK_READERS, VALUERS};
use crate::auth::extract::Caller;
use crate::error::ApiError;
use crate::http::responses::{AfterErrors, CallerErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::read;
use axum::Json;
use axum::extract::{Query, State};
use brigade_domain::valuation::Method;
use brigade_projections::reports::stock;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use crate::views::{PeriodQuery, instants};

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

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(levels), Roles(STOCK_READERS))
        .add(routes!(alerts), Roles(STOCK_READERS))
        .add(routes!(valuation), Roles(VALUERS))
        .add(routes!(usage), Roles(VALUERS))
}
