//! The catalog beside the menu: inventory items (`/api/v1/stock/inventory`, read from the stock
//! read model, with quantities per department and value) and suppliers
//! (`/api/v1/procurement/suppliers`, read from their streams).

use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::views::{
    AfterQuery, Created, Done, ListQuery, Page, Versioned, created, done, found, from_stream, page_of_streams, read,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::amount::Quantity;
use brigade_domain::catalog::{InventoryCategory, UnitOfMeasure};
use brigade_domain::ids::InventoryItemId;
use brigade_domain::inventory_item::{InventoryItem, InventoryItemCommand, ItemDetails};
use brigade_domain::supplier::{Supplier, SupplierCommand, SupplierProfile};
use brigade_projections::reports::stock;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

/// A new inventory item.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "FLOUR-T55", "name": "Flour T55", "unit": "kg", "category": "food", "minimum_stock": "10"}))]
pub struct NewInventoryItem {
    /// Stock-keeping unit, unique in the organization (stored uppercase).
    sku: String,
    /// Unit of measure (`kg`, `l`, `piece`...).
    unit: UnitOfMeasure,
    /// Display name.
    name: String,
    /// `food`, `beverage` or `supplies`.
    category: InventoryCategory,
    /// An alert is raised below this quantity on hand.
    minimum_stock: Quantity,
    /// Optional ceiling for ordering.
    maximum_stock: Option<Quantity>,
}

/// An inventory item's details (what can change after it is registered).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Flour T55", "category": "food", "minimum_stock": "10", "maximum_stock": "80"}))]
pub struct InventoryDetails {
    /// Display name.
    name: String,
    /// `food`, `beverage` or `supplies`.
    category: InventoryCategory,
    /// An alert is raised below this quantity on hand.
    minimum_stock: Quantity,
    /// Optional ceiling for ordering.
    maximum_stock: Option<Quantity>,
}

impl From<InventoryDetails> for ItemDetails {
    fn from(d: InventoryDetails) -> Self {
        ItemDetails {
            name: d.name,
            category: d.category,
            minimum_stock: d.minimum_stock,
            maximum_stock: d.maximum_stock,
        }
    }
}

/// Registers an inventory item (its SKU claimed in the same append).
#[utoipa::path(post, path = "/api/v1/stock/inventory", tag = "stock", request_body = NewInventoryItem, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
    responses((status = 201, description = "Registered", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn add_item(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(item): Body<NewInventoryItem>,
) -> Created {
    let details = ItemDetails {
        name: item.name,
        category: item.category,
        minimum_stock: item.minimum_stock,
        maximum_stock: item.maximum_stock,
    };
    let id = request.new_id();
    created(
        request
            .run_flow::<InventoryItem, _, _, _>(&state, "Register", id, |store, ctx, meta| async move {
                store
                    .register_inventory_item(InventoryItemId(id), &item.sku, item.unit, details, &ctx, &meta)
                    .await
            })
            .await,
    )
}

/// Replaces an inventory item's details (the SKU and unit stay).
#[utoipa::path(put, path = "/api/v1/stock/inventory/{id}", tag = "stock", request_body = InventoryDetails, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The inventory item"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
    responses((status = 200, description = "Updated", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn update_item(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(details): Body<InventoryDetails>,
) -> Done {
    let command = InventoryItemCommand::Update {
        details: details.into(),
    };
    done(request.run::<InventoryItem>(&state, id, command).await)
}

/// Inventory items with their quantities per department and value, by id.
#[utoipa::path(get, path = "/api/v1/stock/inventory", tag = "stock", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of items", body = Page<stock::InventoryItemView>), ReadErrors, CallerErrors, AfterErrors))]
pub async fn list_items(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<stock::InventoryItemView>>, ApiError> {
    state.wait_after(query.after, &["stock"]).await?;
    read(stock::inventory_items(state.store.pool(), caller.0.org.0, query.page()).await)
}

/// One inventory item.
#[utoipa::path(get, path = "/api/v1/stock/inventory/{id}", tag = "stock", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The inventory item"), AfterQuery),
    responses((status = 200, description = "The item", body = stock::InventoryItemView), ReadErrors, CallerErrors, AfterErrors))]
pub async fn get_item(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<AfterQuery>,
) -> Result<Json<stock::InventoryItemView>, ApiError> {
    state.wait_after(query.after, &["stock"]).await?;
    let item = stock::inventory_item(state.store.pool(), caller.0.org.0, id).await;
    found(item, || format!("no inventory item {id}"))
}

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
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
    params(("id" = Uuid, Path, description = "The supplier"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
