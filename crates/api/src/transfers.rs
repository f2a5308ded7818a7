//! `/api/v1/stock/transfers` and `/api/v1/stock/adjustments`: moving stock between departments
//! (requested by one side, validated by the receiving side, moved atomically on validation and
//! only if the source holds it), and correcting it (counts, spoilage, wastage, breakage).

use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::body::Body;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::views::{Created, Done, ListQuery, Page, Versioned, created, done, from_stream, page_of_streams};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::amount::{Quantity, SignedQuantity};
use brigade_domain::catalog::Department;
use brigade_domain::ids::{AdjustmentId, InventoryItemId, TransferId};
use brigade_domain::inventory_item::InventoryItem;
use brigade_domain::stock::{AdjustmentReason, StockCommand, StockLedger};
use brigade_domain::transfer::{Transfer, TransferCommand, TransferLine};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
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
    /// Why.
    reason: Option<String>,
}

/// A stock adjustment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"inventory_item_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "department": "kitchen", "quantity": "-1.5", "reason": "spoilage"}))]
pub struct AdjustmentBody {
    /// The inventory item.
    inventory_item_id: Uuid,
    /// Where.
    department: Department,
    /// Signed change (negative: stock lost, valued and reported as wastage).
    quantity: SignedQuantity,
    /// `stock_audit`, `spoilage`, `wastage` or `breakage`.
    reason: AdjustmentReason,
    /// Free text.
    note: Option<String>,
}

/// Requests a transfer.
#[utoipa::path(post, path = "/api/v1/stock/transfers", tag = "stock", request_body = RequestBody, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
    params(("id" = Uuid, Path, description = "The transfer"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
    params(("id" = Uuid, Path, description = "The transfer"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
    params(("id" = Uuid, Path, description = "The transfer"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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

/// Adjusts an item's stock in one department.
#[utoipa::path(post, path = "/api/v1/stock/adjustments", tag = "stock", request_body = AdjustmentBody, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
