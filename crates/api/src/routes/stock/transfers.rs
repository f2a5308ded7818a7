//! `/api/v1/stock/transfers`: moving stock between departments, requested by one side, validated
//! by the receiving side, and moved atomically on validation only if the source holds it.

use crate::access::Access::Roles;
use crate::access::{STOCK_MOVERS, STOCK_READERS};
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
use brigade_domain::amount::Quantity;
use brigade_domain::catalog::Department;
use brigade_domain::ids::{InventoryItemId, TransferId};
use brigade_domain::transfer::{Transfer, TransferCommand, TransferLine};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// A line of a transfer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveLine {
    /// The inventory item.
    inventory_item_id: Uuid,
    /// How much (requested, or validated).
    quantity: Quantity,
}

/// A transfer request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "stock", "to": "kitchen", "lines": [{"inventory_item_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "quantity": "5"}]}))]
pub struct RequestBody {
    /// `procurement`, `stock`, `processing`, `kitchen` or `bar`.
    from: Department,
    /// Another department.
    to: Department,
    /// What is asked for.
    lines: Vec<MoveLine>,
    /// Free text.
    notes: Option<String>,
}

/// The quantities the receiving side accepts, one per requested line (0 to the requested).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    /// Validated quantities.
    lines: Vec<MoveLine>,
}

/// Why a transfer is rejected.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Why, in the words of whoever did it.
    reason: Option<String>,
}

/// Requests a transfer.
#[utoipa::path(post, path = "/api/v1/stock/transfers", tag = "stock", request_body = RequestBody, security(("bearer" = [])),
    responses((status = 201, description = "Requested", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn request(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<RequestBody>,
) -> Created {
    let named = crate::known::inventory_lines("lines", &body.lines, |l| l.inventory_item_id);
    crate::known::all_exist(&request.store(&state), &named).await?;
    let command = TransferCommand::Request {
        from: body.from,
        to: body.to,
        lines: body
            .lines
            .into_iter()
            .map(|l| TransferLine {
                inventory_item_id: InventoryItemId(l.inventory_item_id),
                requested: l.quantity,
            })
            .collect(),
        notes: body.notes,
    };
    created(request.create::<Transfer>(&state, request.new_id(), command).await)
}

/// Validates a transfer: the validated quantities leave the source and enter the destination in
/// one append (refused if the source does not hold them).
#[utoipa::path(post, path = "/api/v1/stock/transfers/{id}/validate", tag = "stock", request_body = ValidateBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The transfer")),
    responses((status = 200, description = "Validated", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn validate(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<ValidateBody>,
) -> Done {
    let lines: Vec<(InventoryItemId, Quantity)> = body
        .lines
        .into_iter()
        .map(|l| (InventoryItemId(l.inventory_item_id), l.quantity))
        .collect();
    done(
        request
            .run_flow::<Transfer, _, _, _>(&state, "Validate", id, |store, ctx, meta| async move {
                store.validate_transfer(TransferId(id), &lines, &ctx, &meta).await
            })
            .await,
    )
}

/// Rejects a transfer (the receiving side).
#[utoipa::path(post, path = "/api/v1/stock/transfers/{id}/reject", tag = "stock", request_body = RejectBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The transfer")),
    responses((status = 200, description = "Rejected", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn reject(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    body: Option<Body<RejectBody>>,
) -> Done {
    let reason = body.and_then(|Body(b)| b.reason);
    done(
        request
            .run::<Transfer>(&state, id, TransferCommand::Reject { reason })
            .await,
    )
}

/// Cancels a transfer (its requester).
#[utoipa::path(post, path = "/api/v1/stock/transfers/{id}/cancel", tag = "stock", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The transfer")),
    responses((status = 200, description = "Cancelled", body = Written), CallerErrors, CommandErrors))]
pub async fn cancel(State(state): State<Arc<AppState>>, request: CommandRequest, Path(id): Path<Uuid>) -> Done {
    done(request.run::<Transfer>(&state, id, TransferCommand::Cancel).await)
}

/// The transfers, by id.
#[utoipa::path(get, path = "/api/v1/stock/transfers", tag = "stock", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of transfers", body = Page<Versioned<Transfer>>), ReadErrors, CallerErrors))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Versioned<Transfer>>>, ApiError> {
    page_of_streams::<Transfer>(&state, &caller, &query, "transfer").await
}

/// One transfer.
#[utoipa::path(get, path = "/api/v1/stock/transfers/{id}", tag = "stock", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The transfer")),
    responses((status = 200, description = "The transfer", body = Versioned<Transfer>), ReadErrors, CallerErrors))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Versioned<Transfer>>, ApiError> {
    from_stream::<Transfer>(&state, &caller, id, "transfer").await.map(Json)
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(request), Roles(STOCK_MOVERS))
        .add(routes!(validate), Roles(STOCK_MOVERS))
        .add(routes!(reject), Roles(STOCK_MOVERS))
        .add(routes!(cancel), Roles(STOCK_MOVERS))
        .add(routes!(list), Roles(STOCK_READERS))
        .add(routes!(get), Roles(STOCK_READERS))
}
