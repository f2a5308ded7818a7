//! `/api/v1/procurement/purchase-orders`: draft, revise, submit, approve (by someone other than
//! the buyer who raised it), reject, receive goods at their actual cost (into the procurement
//! department's stock, in the same append), close, cancel. Read from the orders' own streams.

use crate::access::Access::Roles;
use crate::access::{BUYERS, PROCUREMENT_READERS, RECEIVERS};
use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::responses::{CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::known;
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{Created, Done, ListQuery, Page, Versioned, created, done, from_stream, page_of_streams};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::amount::{Money, Quantity};
use brigade_domain::ids::{InventoryItemId, PurchaseOrderId, ReceiptId, SupplierId};
use brigade_domain::purchase_order::{PoCommand, PoLine, PurchaseOrder, ReceivedLine};
use brigade_domain::supplier::Supplier;
use chrono::NaiveDate;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// A line ordered.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderedLine {
    /// The inventory item.
    inventory_item_id: Uuid,
    /// How much.
    quantity: Quantity,
    /// Agreed price per unit.
    unit_price: Money,
}

/// A new purchase order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"supplier_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "expected_on": "2026-11-23",
    "lines": [{"inventory_item_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "quantity": "25", "unit_price": "1.10"}]}))]
pub struct DraftBody {
    /// A supplier of the organization.
    supplier_id: Uuid,
    /// What is ordered.
    lines: Vec<OrderedLine>,
    /// When the goods are expected.
    #[schema(value_type = Option<String>, format = Date)]
    expected_on: Option<NaiveDate>,
}

/// A revised draft.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviseBody {
    /// What is ordered.
    lines: Vec<OrderedLine>,
    /// When the goods are expected.
    #[schema(value_type = Option<String>, format = Date)]
    expected_on: Option<NaiveDate>,
}

/// A line delivered.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveredLine {
    /// The inventory item.
    inventory_item_id: Uuid,
    /// How much arrived.
    quantity: Quantity,
    /// What each unit actually cost.
    unit_cost: Money,
}

/// A delivery.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveBody {
    /// What arrived.
    lines: Vec<DeliveredLine>,
    /// Accept more than was ordered.
    #[serde(default)]
    allow_over_receipt: bool,
}

/// Why (rejecting or cancelling).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why, in the words of whoever did it.
    reason: Option<String>,
}

fn lines(lines: Vec<OrderedLine>) -> Vec<PoLine> {
    lines
        .into_iter()
        .map(|l| PoLine {
            inventory_item_id: InventoryItemId(l.inventory_item_id),
            quantity: l.quantity,
            unit_price: l.unit_price,
        })
        .collect()
}

/// Drafts a purchase order.
#[utoipa::path(post, path = "/api/v1/procurement/purchase-orders", tag = "procurement", request_body = DraftBody, security(("bearer" = [])),
    responses((status = 201, description = "Drafted", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn draft(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<DraftBody>,
) -> Created {
    let mut named = vec![known::reference::<Supplier>("supplier_id", body.supplier_id)];
    named.extend(known::inventory_lines("lines", &body.lines, |l| l.inventory_item_id));
    known::all_exist(&request.store(&state), &named).await?;
    let command = PoCommand::Draft {
        supplier_id: SupplierId(body.supplier_id),
        lines: lines(body.lines),
        expected_on: body.expected_on,
    };
    created(request.create::<PurchaseOrder>(&state, request.new_id(), command).await)
}

/// Revises a draft.
#[utoipa::path(put, path = "/api/v1/procurement/purchase-orders/{id}", tag = "procurement", request_body = ReviseBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The purchase order")),
    responses((status = 200, description = "Revised", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn revise(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<ReviseBody>,
) -> Done {
    let named = known::inventory_lines("lines", &body.lines, |l| l.inventory_item_id);
    known::all_exist(&request.store(&state), &named).await?;
    let command = PoCommand::Revise {
        lines: lines(body.lines),
        expected_on: body.expected_on,
    };
    done(request.run::<PurchaseOrder>(&state, id, command).await)
}

macro_rules! po_action {
    ($(#[$doc:meta])* $name:ident, $path:literal, $command:expr) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, tag = "procurement", security(("bearer" = [])),
            params(("id" = Uuid, Path, description = "The purchase order")),
            responses((status = 200, description = "Done", body = Written), CallerErrors, CommandErrors))]
        pub async fn $name(State(state): State<Arc<AppState>>, request: CommandRequest, Path(id): Path<Uuid>) -> Done {
            done(request.run::<PurchaseOrder>(&state, id, $command).await)
        }
    };
}

po_action!(
    /// Submits a draft for approval.
    submit, "/api/v1/procurement/purchase-orders/{id}/submit", PoCommand::Submit
);
po_action!(
    /// Approves a submitted order (a buyer other than the one who raised it).
    approve, "/api/v1/procurement/purchase-orders/{id}/approve", PoCommand::Approve
);
po_action!(
    /// Closes a received order.
    close, "/api/v1/procurement/purchase-orders/{id}/close", PoCommand::Close
);

/// Rejects a submitted order.
#[utoipa::path(post, path = "/api/v1/procurement/purchase-orders/{id}/reject", tag = "procurement", request_body = ReasonBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The purchase order")),
    responses((status = 200, description = "Rejected", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn reject(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    body: Option<Body<ReasonBody>>,
) -> Done {
    let reason = body.and_then(|Body(b)| b.reason).unwrap_or_default();
    done(
        request
            .run::<PurchaseOrder>(&state, id, PoCommand::Reject { reason })
            .await,
    )
}

/// Cancels an order nothing was received on.
#[utoipa::path(post, path = "/api/v1/procurement/purchase-orders/{id}/cancel", tag = "procurement", request_body = ReasonBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The purchase order")),
    responses((status = 200, description = "Cancelled", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    body: Option<Body<ReasonBody>>,
) -> Done {
    let reason = body.and_then(|Body(b)| b.reason);
    done(
        request
            .run::<PurchaseOrder>(&state, id, PoCommand::Cancel { reason })
            .await,
    )
}

/// Receives goods (all or part) at their actual unit cost: each line enters the procurement
/// department's stock as a FIFO layer, in the same append as the receipt.
#[utoipa::path(post, path = "/api/v1/procurement/purchase-orders/{id}/receive", tag = "procurement", request_body = ReceiveBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The purchase order")),
    responses((status = 200, description = "Received", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn receive(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<ReceiveBody>,
) -> Done {
    let received: Vec<ReceivedLine> = body
        .lines
        .into_iter()
        .map(|l| ReceivedLine {
            inventory_item_id: InventoryItemId(l.inventory_item_id),
            quantity: l.quantity,
            unit_cost: l.unit_cost,
        })
        .collect();
    let receipt = ReceiptId(request.derived_id("receipt"));
    let allow = body.allow_over_receipt;
    done(
        request
            .run_flow::<PurchaseOrder, _, _, _>(&state, "Receive", id, |store, ctx, meta| async move {
                store
                    .receive_goods(PurchaseOrderId(id), receipt, &received, allow, &ctx, &meta)
                    .await
            })
            .await,
    )
}

/// The purchase orders, by id.
#[utoipa::path(get, path = "/api/v1/procurement/purchase-orders", tag = "procurement", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of purchase orders", body = Page<Versioned<PurchaseOrder>>), ReadErrors, CallerErrors))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Versioned<PurchaseOrder>>>, ApiError> {
    page_of_streams::<PurchaseOrder>(&state, &caller, &query, "purchase order").await
}

/// One purchase order.
#[utoipa::path(get, path = "/api/v1/procurement/purchase-orders/{id}", tag = "procurement", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The purchase order")),
    responses((status = 200, description = "The purchase order", body = Versioned<PurchaseOrder>), ReadErrors, CallerErrors))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Versioned<PurchaseOrder>>, ApiError> {
    from_stream::<PurchaseOrder>(&state, &caller, id, "purchase order")
        .await
        .map(Json)
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(draft), Roles(BUYERS))
        .add(routes!(revise), Roles(BUYERS))
        .add(routes!(reject), Roles(BUYERS))
        .add(routes!(cancel), Roles(BUYERS))
        .add(routes!(receive), Roles(RECEIVERS))
        .add(routes!(list), Roles(PROCUREMENT_READERS))
        .add(routes!(get), Roles(PROCUREMENT_READERS))
        .add(routes!(submit), Roles(BUYERS))
        .add(routes!(approve), Roles(BUYERS))
        .add(routes!(close), Roles(BUYERS))
}
