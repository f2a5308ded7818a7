//! `/api/v1/stock/inventory`: the organization's inventory items (ingredients and bought-in
//! goods): registered with a SKU unique in the organization, their details changed, and read
//! back with their stock per department and value under both methods.

use crate::access::Access::Roles;
use crate::access::{INVENTORY_KEEPERS, STOCK_READERS};
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
use brigade_domain::amount::Quantity;
use brigade_domain::catalog::{InventoryCategory, UnitOfMeasure};
use brigade_domain::ids::InventoryItemId;
use brigade_domain::inventory_item::{InventoryItem, InventoryItemCommand, ItemDetails};
use brigade_projections::reports::stock;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
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
    params(("id" = Uuid, Path, description = "The inventory item")),
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

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(add_item), Roles(INVENTORY_KEEPERS))
        .add(routes!(update_item), Roles(INVENTORY_KEEPERS))
        .add(routes!(list_items), Roles(STOCK_READERS))
        .add(routes!(get_item), Roles(STOCK_READERS))
}
