//! `/api/v1/stock/adjustments`: a department's stock corrected (an audit's count, spoilage,
//! breakage), answered with the adjustment's id and read back valued.

use crate::access::Access::Roles;
use crate::access::{STOCK_CONTROLLERS, STOCK_READERS};
use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{Created, created};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::amount::SignedQuantity;
use brigade_domain::catalog::Department;
use brigade_domain::ids::AdjustmentId;
use brigade_domain::inventory_item::InventoryItem;
use brigade_domain::stock::{AdjustmentReason, StockCommand, StockLedger};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// A stock adjustment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"inventory_item_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "department": "kitchen", "quantity": "-1.5", "reason": "spoilage"}))]
pub struct AdjustmentBody {
    /// The inventory item.
    inventory_item_id: Uuid,
    /// The department whose stock it is.
    department: Department,
    /// Signed change (negative: stock lost, valued and reported as wastage).
    quantity: SignedQuantity,
    /// `stock_audit`, `spoilage`, `wastage` or `breakage`.
    reason: AdjustmentReason,
    /// Free text.
    note: Option<String>,
}

/// Adjusts an item's stock in one department.
#[utoipa::path(post, path = "/api/v1/stock/adjustments", tag = "stock", request_body = AdjustmentBody, security(("bearer" = [])),
    responses((status = 201, description = "Adjusted: `id` is the adjustment's (read it back at /stock/adjustments/{id}); version and position are of the item's stock ledger", body = Written),
              JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn adjust(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<AdjustmentBody>,
) -> Created {
    let item = body.inventory_item_id;
    let named = [crate::known::reference::<InventoryItem>("inventory_item_id", item)];
    crate::known::all_exist(&request.store(&state), &named).await?;
    let adjustment = request.new_id();
    let command = StockCommand::Adjust {
        adjustment_id: AdjustmentId(adjustment),
        department: body.department,
        quantity: body.quantity,
        reason: body.reason,
        note: body.note,
    };
    let written = request.run::<StockLedger>(&state, item, command).await;
    created(written.map(|w| Written { id: adjustment, ..w }))
}

/// One stock adjustment, valued (stock read model).
#[utoipa::path(get, path = "/api/v1/stock/adjustments/{id}", tag = "stock", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The adjustment"), crate::views::AfterQuery),
    responses((status = 200, description = "The adjustment", body = brigade_projections::reports::stock::Adjustment),
              ReadErrors, CallerErrors, AfterErrors))]
pub async fn get_adjustment(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<crate::views::AfterQuery>,
) -> Result<Json<brigade_projections::reports::stock::Adjustment>, ApiError> {
    state.wait_after(query.after, &["stock"]).await?;
    let adjustment = brigade_projections::reports::stock::adjustment(state.store.pool(), caller.0.org.0, id).await;
    crate::views::found(adjustment, || format!("no adjustment {id}"))
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(adjust), Roles(STOCK_CONTROLLERS))
        .add(routes!(get_adjustment), Roles(STOCK_READERS))
}
