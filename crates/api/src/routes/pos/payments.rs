//! `/api/v1/pos/payments`: taking a payment towards an order (split payments are several) and
//! refunding one. Both require an `Idempotency-Key`: a card terminal that times out and retries
//! must never charge twice. The order's stream is the lock: a payment is decided on the order's
//! latest version and appended only at that version, so 50 terminals racing on one bill can never
//! take more than its outstanding balance.

use crate::access::Access::Roles;
use crate::access::{FRONT_OF_HOUSE, MANAGERS};
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::problem::Problem;
use crate::http::responses::{CallerErrors, CommandErrors, JsonBodyErrors};
use crate::routes::Routes;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::amount::Money;
use brigade_domain::ids::{PaymentId, RefundId};
use brigade_domain::order::{Order, OrderCommand, PaymentMethod};
use brigade_projections::reports::sales;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// A payment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"order_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "method": "card", "amount": "25.20", "tip": "4.00"}))]
pub struct ProcessPayment {
    /// The order.
    order_id: Uuid,
    /// `cash`, `card`, `voucher` or `other`.
    method: PaymentMethod,
    /// Towards the bill; at most what is outstanding.
    amount: Money,
    /// On top of the bill (not revenue).
    tip: Option<Money>,
}

/// A refund.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"payment_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "amount": "5.00", "reason": "cold fries"}))]
pub struct RefundPayment {
    /// The payment refunded.
    payment_id: Uuid,
    /// At most what the payment captured less what was refunded from it.
    amount: Money,
    /// Why, in the words of whoever did it.
    reason: String,
}

/// What a payment or refund wrote.
#[derive(Serialize, ToSchema)]
pub struct PaymentWritten {
    /// The payment's id (for a refund: the refund's).
    id: Uuid,
    /// The order.
    order_id: Uuid,
    /// The order stream's version after it.
    version: u64,
    /// Global position of the event (pass as `after=`).
    position: i64,
}

fn answered(
    order_id: Uuid,
    id: Uuid,
    result: Result<Written, ApiError>,
) -> Result<(StatusCode, Json<PaymentWritten>), ApiError> {
    let w = result?;
    let written = PaymentWritten {
        id,
        order_id,
        version: w.version,
        position: w.position,
    };
    Ok((StatusCode::CREATED, Json(written)))
}

fn key_required(request: &CommandRequest) -> Result<(), ApiError> {
    if request.keyed() {
        return Ok(());
    }
    Err(Problem::new(
        crate::http::problem::Kind::IdempotencyKeyRequired,
        "payment commands need an Idempotency-Key header, so that a retry cannot pay twice",
    )
    .into())
}

/// Takes a payment towards an order.
#[utoipa::path(post, path = "/api/v1/pos/payments/process", tag = "payments", request_body = ProcessPayment, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Required: a retry with the same key is the same payment")),
    responses((status = 201, description = "Captured", body = PaymentWritten),
              (status = 428, description = "No Idempotency-Key", body = Problem, content_type = "application/problem+json"),
              JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn process(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<ProcessPayment>,
) -> Result<(StatusCode, Json<PaymentWritten>), ApiError> {
    key_required(&request)?;
    let payment_id = request.new_id();
    let command = OrderCommand::TakePayment {
        payment_id: PaymentId(payment_id),
        method: body.method,
        amount: body.amount,
        tip: body.tip.unwrap_or(Money::ZERO),
    };
    let result = request.run::<Order>(&state, body.order_id, command).await;
    answered(body.order_id, payment_id, result)
}

/// Refunds part or all of a payment.
#[utoipa::path(post, path = "/api/v1/pos/payments/refund", tag = "payments", request_body = RefundPayment, security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Required: a retry with the same key is the same refund")),
    responses((status = 201, description = "Refunded", body = PaymentWritten),
              (status = 428, description = "No Idempotency-Key", body = Problem, content_type = "application/problem+json"),
              JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn refund(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<RefundPayment>,
) -> Result<(StatusCode, Json<PaymentWritten>), ApiError> {
    key_required(&request)?;
    // A refund names the payment; the sales read model knows its order.
    let order = sales::order_of_payment(state.store.pool(), request.caller().0.org.0, body.payment_id).await?;
    let order_id = order.ok_or_else(|| {
        let detail = format!(
            "no payment {} (a payment taken a moment ago may need a second to be found)",
            body.payment_id
        );
        ApiError::from(Problem::not_found(detail))
    })?;
    let refund_id = request.new_id();
    let command = OrderCommand::Refund {
        refund_id: RefundId(refund_id),
        payment_id: PaymentId(body.payment_id),
        amount: body.amount,
        reason: body.reason,
    };
    let result = request.run::<Order>(&state, order_id, command).await;
    answered(order_id, refund_id, result)
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(process), Roles(FRONT_OF_HOUSE))
        .add(routes!(refund), Roles(MANAGERS))
}
