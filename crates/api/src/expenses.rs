//! `/api/v1/accounting/expenses`: operating expenses (labor, rent, utilities, marketing, other),
//! each its own stream, listed from the sales read model that the P&L reads.

use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::views::{ListQuery, Page, created, page_of_rows};
use axum::extract::{Query, State};
use axum::response::Response;
use brigade_domain::amount::Money;
use brigade_domain::expense::{Expense, ExpenseCategory, RecordExpense};
use chrono::NaiveDate;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// An expense.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"category": "labor", "amount": "1250.00", "date": "2026-11-21", "note": "Friday shifts"}))]
pub struct ExpenseBody {
    /// `labor`, `rent`, `utilities`, `marketing` or `other`.
    #[schema(value_type = String)]
    category: ExpenseCategory,
    /// More than zero.
    #[schema(value_type = String)]
    amount: Money,
    /// The day it belongs to (the P&L period).
    #[schema(value_type = String, format = Date)]
    date: NaiveDate,
    /// Free text.
    note: Option<String>,
}

/// Records an expense.
#[utoipa::path(post, path = "/api/v1/accounting/expenses", tag = "accounting", request_body = ExpenseBody, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
    responses((status = 201, description = "Recorded", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn record(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<ExpenseBody>,
) -> Response {
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
    responses((status = 200, description = "A page of expenses", body = Page), ReadErrors, CallerErrors, AfterErrors))]
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller, Query(query): Query<ListQuery>) -> Response {
    let sql = "SELECT expense_id, doc || jsonb_build_object('category', category, 'amount', amount::text, 'date', date) \
               FROM sales.expenses WHERE tenant_id = $1 AND ($2::uuid IS NULL OR expense_id > $2) AND $4::text IS NULL \
               ORDER BY expense_id LIMIT $3";
    page_of_rows(&state, &caller, &query, &["sales"], sql, None).await
}
