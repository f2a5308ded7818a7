//! `/api/v1/menu/items`: the menu (price, station, recipe). Commands go to the `menu_item`
//! aggregate; queries read the sales read model's copy of the menu.

use crate::access::Access::{AnyUser, Roles};
use crate::access::MENU_EDITORS;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::problem::Problem;
use crate::http::responses::{AfterErrors, CallerErrors, JsonBodyErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{AfterQuery, Created, Done, ListQuery, Page, created, done, found, read};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::menu_item::{MenuItem, MenuItemCommand, MenuItemDetails};
use brigade_projections::reports::sales;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// A menu item's details, as sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Bistro Burger", "category": "food", "sell_price": "16.00", "station": "grill",
                          "recipe": [{"inventory_item_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "quantity": "0.2"}]}))]
pub struct MenuItemBody {
    /// Display name.
    name: String,
    /// `food` or `beverage`.
    category: brigade_domain::catalog::MenuCategory,
    /// Price per portion before tax ("16.00").
    sell_price: brigade_domain::amount::Money,
    /// Kitchen station (`grill`, `fryer`, `bar`...).
    station: brigade_domain::catalog::Station,
    /// Ingredients per portion.
    recipe: Vec<brigade_domain::menu_item::RecipeLine>,
}

impl From<MenuItemBody> for MenuItemDetails {
    fn from(b: MenuItemBody) -> Self {
        MenuItemDetails {
            name: b.name,
            category: b.category,
            sell_price: b.sell_price,
            station: b.station,
            recipe: b.recipe,
        }
    }
}

/// Every ingredient of the recipe is an inventory item of the caller's organization.
async fn ingredients_known(state: &AppState, request: &CommandRequest, body: &MenuItemBody) -> Result<(), ApiError> {
    let named = crate::known::inventory_lines("recipe", &body.recipe, |l| l.inventory_item_id.0);
    crate::known::all_exist(&request.store(state), &named).await
}

/// Puts a new item on the menu.
#[utoipa::path(post, path = "/api/v1/menu/items", tag = "menu", request_body = MenuItemBody, security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = Written),
        JsonBodyErrors, CallerErrors,
        (status = 422, description = "Invalid details, or an Idempotency-Key reused for another request",
         body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<MenuItemBody>,
) -> Created {
    ingredients_known(&state, &request, &body).await?;
    let id = request.new_id();
    created(
        request
            .create::<MenuItem>(&state, id, MenuItemCommand::Add(body.into()))
            .await,
    )
}

/// Replaces an item's details (each changed aspect is recorded as its own event).
#[utoipa::path(put, path = "/api/v1/menu/items/{id}", tag = "menu", request_body = MenuItemBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The menu item")),
    responses(
        (status = 200, description = "Updated", body = Written),
        (status = 404, description = "No such item in the caller's organization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The item is withdrawn", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors, CallerErrors,
    ))]
pub async fn update(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<MenuItemBody>,
) -> Done {
    ingredients_known(&state, &request, &body).await?;
    done(
        request
            .run::<MenuItem>(&state, id, MenuItemCommand::Update(body.into()))
            .await,
    )
}

/// The menu, by item id.
#[utoipa::path(get, path = "/api/v1/menu/items", tag = "menu", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "A page of the menu", body = Page<sales::MenuItemView>),
        (status = 400, description = "Bad query parameters", body = Problem, content_type = "application/problem+json"),
        CallerErrors, AfterErrors,
    ))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: crate::auth::extract::Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<sales::MenuItemView>>, ApiError> {
    state.wait_after(query.after, &["sales"]).await?;
    read(sales::menu_items(state.store.pool(), caller.0.org.0, query.page()).await)
}

/// One menu item.
#[utoipa::path(get, path = "/api/v1/menu/items/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The menu item"), AfterQuery),
    responses(
        (status = 200, description = "The item", body = sales::MenuItemView),
        (status = 400, description = "Malformed id or query", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item in the caller's organization", body = Problem, content_type = "application/problem+json"),
        CallerErrors, AfterErrors,
    ))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: crate::auth::extract::Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<AfterQuery>,
) -> Result<Json<sales::MenuItemView>, ApiError> {
    state.wait_after(query.after, &["sales"]).await?;
    found(sales::menu_item(state.store.pool(), caller.0.org.0, id).await, || {
        format!("no menu item {id}")
    })
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(add), Roles(MENU_EDITORS))
        .add(routes!(update), Roles(MENU_EDITORS))
        .add(routes!(list), AnyUser)
        .add(routes!(get), AnyUser)
}
