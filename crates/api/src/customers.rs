//! `/api/v1/pos/customers`: a customer's profile (kept only in the customer's own stream) and,
//! from the sales read model, their figures: closed orders, total spent, last order and loyalty
//! points (per whole unit of currency spent, at the organization's rate).

use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written, internal};
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::problem::Problem;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::views::{AfterQuery, ListQuery, Page, created, done, page_of_rows, with_id};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use brigade_domain::customer::{Customer, CustomerCommand, CustomerProfile};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

/// A customer's profile.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ada Moreau", "email": "ada@example.com", "phone": "+1 212 555 0100", "preferences": "no nuts"}))]
pub struct CustomerBody {
    /// Name.
    name: String,
    /// Email.
    email: Option<String>,
    /// Phone.
    phone: Option<String>,
    /// Preferences and allergies.
    preferences: Option<String>,
}

impl From<CustomerBody> for CustomerProfile {
    fn from(b: CustomerBody) -> Self {
        CustomerProfile {
            name: b.name,
            email: b.email,
            phone: b.phone,
            preferences: b.preferences,
        }
    }
}

/// Registers a customer.
#[utoipa::path(post, path = "/api/v1/pos/customers", tag = "pos", request_body = CustomerBody, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
    responses((status = 201, description = "Registered", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn add(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<CustomerBody>,
) -> Response {
    created(
        request
            .create::<Customer>(&state, request.new_id(), CustomerCommand::Register(body.into()))
            .await,
    )
}

/// Replaces a customer's profile.
#[utoipa::path(put, path = "/api/v1/pos/customers/{id}", tag = "pos", request_body = CustomerBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The customer"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
    responses((status = 200, description = "Updated", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn update(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<CustomerBody>,
) -> Response {
    done(
        request
            .run::<Customer>(&state, id, CustomerCommand::UpdateProfile(body.into()))
            .await,
    )
}

const CUSTOMER: &str = "SELECT customer_id, coalesce(doc->'profile', '{}'::jsonb) || jsonb_build_object(\
    'order_count', order_count, 'total_spent', round(total_spent, 2)::text, 'last_order_at', last_order_at, \
    'loyalty_points', loyalty_points::text) FROM sales.customers WHERE tenant_id = $1 AND doc->'profile' <> 'null'::jsonb";

/// The customers with their figures, by id.
#[utoipa::path(get, path = "/api/v1/pos/customers", tag = "pos", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of customers", body = Page), ReadErrors, CallerErrors, AfterErrors))]
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller, Query(query): Query<ListQuery>) -> Response {
    let sql = format!(
        "{CUSTOMER} AND ($2::uuid IS NULL OR customer_id > $2) AND $4::text IS NULL ORDER BY customer_id LIMIT $3"
    );
    page_of_rows(&state, &caller, &query, &["sales"], &sql, None).await
}

/// One customer with their figures.
#[utoipa::path(get, path = "/api/v1/pos/customers/{id}", tag = "pos", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The customer"), AfterQuery),
    responses((status = 200, description = "The customer", body = Object), ReadErrors, CallerErrors, AfterErrors))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<AfterQuery>,
) -> Response {
    if let Err(not_yet) = state.wait_after(query.after, &["sales"]).await {
        return not_yet;
    }
    let row: Result<Option<(Uuid, Value)>, _> = sqlx::query_as(&format!("{CUSTOMER} AND customer_id = $2"))
        .bind(caller.0.org.0)
        .bind(id)
        .fetch_optional(state.store.pool())
        .await;
    match row {
        Ok(Some((id, doc))) => Json(with_id(id, doc)).into_response(),
        Ok(None) => Problem::not_found(format!("no customer {id}")).into_response(),
        Err(e) => internal(e),
    }
}
