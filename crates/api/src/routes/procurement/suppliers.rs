//! `/api/v1/procurement/suppliers`: the suppliers purchase orders are raised to. They have no read
//! model of their own: a back office reads one, or a page, straight from their streams.

use crate::access::Access::Roles;
use crate::access::{BUYERS, PROCUREMENT_READERS};
use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::responses::{CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{Created, Done, ListQuery, Page, Versioned, created, done, from_stream, page_of_streams};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::supplier::{Supplier, SupplierCommand, SupplierProfile};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// A supplier's profile.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Greenfield Farm Produce", "contact": "orders@greenfield.example", "payment_terms": "net 14"}))]
pub struct SupplierBody {
    /// Trading name.
    name: String,
    /// Contact person, email or phone.
    contact: Option<String>,
    /// Payment terms ("net 30").
    payment_terms: Option<String>,
}

impl From<SupplierBody> for SupplierProfile {
    fn from(b: SupplierBody) -> Self {
        SupplierProfile {
            name: b.name,
            contact: b.contact,
            payment_terms: b.payment_terms,
        }
    }
}

/// Registers a supplier.
#[utoipa::path(post, path = "/api/v1/procurement/suppliers", tag = "procurement", request_body = SupplierBody, security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn add_supplier(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<SupplierBody>,
) -> Created {
    let id = request.new_id();
    created(
        request
            .create::<Supplier>(&state, id, SupplierCommand::Register(body.into()))
            .await,
    )
}

/// Replaces a supplier's profile.
#[utoipa::path(put, path = "/api/v1/procurement/suppliers/{id}", tag = "procurement", request_body = SupplierBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The supplier")),
    responses((status = 200, description = "Updated", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn update_supplier(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<SupplierBody>,
) -> Done {
    done(
        request
            .run::<Supplier>(&state, id, SupplierCommand::Update(body.into()))
            .await,
    )
}

/// The suppliers, by id (read from their streams).
#[utoipa::path(get, path = "/api/v1/procurement/suppliers", tag = "procurement", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of suppliers", body = Page<Versioned<Supplier>>), ReadErrors, CallerErrors))]
pub async fn list_suppliers(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Versioned<Supplier>>>, ApiError> {
    page_of_streams::<Supplier>(&state, &caller, &query, "supplier").await
}

/// One supplier.
#[utoipa::path(get, path = "/api/v1/procurement/suppliers/{id}", tag = "procurement", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The supplier")),
    responses((status = 200, description = "The supplier", body = Versioned<Supplier>), ReadErrors, CallerErrors))]
pub async fn get_supplier(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Versioned<Supplier>>, ApiError> {
    from_stream::<Supplier>(&state, &caller, id, "supplier").await.map(Json)
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(add_supplier), Roles(BUYERS))
        .add(routes!(update_supplier), Roles(BUYERS))
        .add(routes!(list_suppliers), Roles(PROCUREMENT_READERS))
        .add(routes!(get_supplier), Roles(PROCUREMENT_READERS))
}
