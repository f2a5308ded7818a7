//! `/api/v1/pos/customers`: a customer's profile (kept only in the customer's own stream) and,
//! from the sales read model, their figures: closed orders, total spent, last order and loyalty
//! points (per whole unit of currency spent, at the organization's rate).

use crate::access::Access::Roles;
use crate::access::FRONT_OF_HOUSE;
use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{AfterQuery, Created, Done, ListQuery, Page, created, done, found, read};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::customer::{Customer, CustomerCommand, CustomerProfile};
use brigade_projections::reports::sales;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// A customer's profile.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ada Moreau", "email": "ada@example.com", "phone": "+1 212 555 0100", "preferences": "no nuts"}))]
pub struct CustomerBody {
    /// The name people see on screens, tickets and receipts.
    name: String,
    /// An email address, if given.
    email: Option<String>,
    /// A phone number, if given.
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
    responses((status = 201, description = "Registered", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn add(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<CustomerBody>,
) -> Created {
    created(
        request
            .create::<Customer>(&state, request.new_id(), CustomerCommand::Register(body.into()))
            .await,
    )
}

/// Replaces a customer's profile.
#[utoipa::path(put, path = "/api/v1/pos/customers/{id}", tag = "pos", request_body = CustomerBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The customer")),
    responses((status = 200, description = "Updated", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn update(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<CustomerBody>,
) -> Done {
    done(
        request
            .run::<Customer>(&state, id, CustomerCommand::UpdateProfile(body.into()))
            .await,
    )
}

/// The customers with their figures, by id.
#[utoipa::path(get, path = "/api/v1/pos/customers", tag = "pos", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of customers", body = Page<sales::CustomerView>), ReadErrors, CallerErrors, AfterErrors))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<sales::CustomerView>>, ApiError> {
    state.wait_after(query.after, &["sales"]).await?;
    read(sales::customers(state.store.pool(), caller.0.org.0, query.page()).await)
}

/// One customer with their figures.
#[utoipa::path(get, path = "/api/v1/pos/customers/{id}", tag = "pos", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The customer"), AfterQuery),
    responses((status = 200, description = "The customer", body = sales::CustomerView), ReadErrors, CallerErrors, AfterErrors))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<AfterQuery>,
) -> Result<Json<sales::CustomerView>, ApiError> {
    state.wait_after(query.after, &["sales"]).await?;
    let customer = sales::customer_by_id(state.store.pool(), caller.0.org.0, id).await;
    found(customer, || format!("no customer {id}"))
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(add), Roles(FRONT_OF_HOUSE))
        .add(routes!(update), Roles(FRONT_OF_HOUSE))
        .add(routes!(list), Roles(FRONT_OF_HOUSE))
        .add(routes!(get), Roles(FRONT_OF_HOUSE))
}
