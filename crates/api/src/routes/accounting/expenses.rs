//! `/api/v1/accounting/expenses`: operating expenses (labor, rent, utilities, marketing, other),
//! each its own stream, listed from the sales read model that the P&L reads.

use crate::access::Access::Roles;
use crate::access::BOOKKEEPERS;
use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{Created, ListQuery, Page, created, read};
use axum::Json;
use axum::extract::{Query, State};
use brigade_domain::amount::Money;
use brigade_domain::expense::{Expense, ExpenseCategory, RecordExpense};
use brigade_projections::reports::sales;
use chrono::NaiveDate;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;

/// An expense.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"category": "labor", "amount": "1250.00", "date": "2026-11-21", "note": "Friday shifts"}))]
pub struct ExpenseBody {
    /// `labor`, `rent`, `utilities`, `marketing` or `other`.
    category: ExpenseCategory,
    /// More than zero.
    amount: Money,
    /// The day it belongs to (the P&L period).
    #[schema(value_type = String, format = Date)]
    date: NaiveDate,
    /// Free text.
    note: Option<String>,
}

/// Records an expense.
#[utoipa::path(post, path = "/api/v1/accounting/expenses", tag = "accounting", request_body = ExpenseBody, security(("bearer" = [])),
    responses((status = 201, description = "Recorded", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn record(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<ExpenseBody>,
) -> Created {
    let command = RecordExpense {
        category: body.category,
        amount: body.amount,
        date: body.date,
        note: body.note,
    };
    created(request.create::<Expense>(&state, request.new_id(), command).await)
}

/// The expenses, by id.
#[utoipa::path(get, path = "/api/v1/accounting/expenses", tag = "accounting", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of expenses", body = Page<sales::ExpenseView>), ReadErrors, CallerErrors, AfterErrors))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<sales::ExpenseView>>, ApiError> {
    state.wait_after(query.after, &["sales"]).await?;
    read(sales::expenses(state.store.pool(), caller.0.org.0, query.page()).await)
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(record), Roles(BOOKKEEPERS))
        .add(routes!(list), Roles(BOOKKEEPERS))
}
