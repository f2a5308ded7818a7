//! `/api/v1/pos/orders`: what a POS terminal does with an order (place it, add and remove lines,
//! discount, fire it, serve, cancel) and reads back (the order, its kitchen status, its receipt).
//! Prices, stations and recipes come from the menu at the moment a line is taken; the tax rate
//! and the discount limit from the organization's settings at that moment.

use crate::access::Access::Roles;
use crate::access::{FRONT_AND_KITCHEN, FRONT_OF_HOUSE, ORDER_READERS};
use crate::auth::extract::Caller;
use crate::commands::{CommandRequest, Written};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::problem::Problem;
use crate::http::responses::{AfterErrors, CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::reference::Current;
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{AfterQuery, Created, Done, ListQuery, Page, Versioned, created, done, load_existing, read};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::amount::{Money, Percent};
use brigade_domain::customer::Customer;
use brigade_domain::ids::{CustomerId, LineId, OrderId};
use brigade_domain::order::{
    Discount, MAX_PORTIONS, NewLine, Order, OrderCommand, OrderStatus, OrderType, Payment, Totals,
};
use brigade_eventstore::TenantStore;
use brigade_projections::models::sale::SaleStatus;
use brigade_projections::models::ticket::{Ticket, TicketStatus};
use brigade_projections::reports::{kitchen, sales};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;
use uuid::Uuid;

/// A line as the POS takes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    /// The menu item.
    menu_item_id: Uuid,
    /// Portions, 1 to 999 (`MAX_PORTIONS`).
    #[schema(minimum = 1, maximum = 999)]
    quantity: u32,
    /// "no onions", "medium rare".
    #[serde(default)]
    modifications: Vec<String>,
    /// Free text for the kitchen.
    notes: Option<String>,
}

/// A new order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"order_type": "dine_in", "table": 12, "covers": 2,
    "lines": [{"menu_item_id": "0193a5b2-7c1e-7d3f-9a2b-4c5d6e7f8a90", "quantity": 2, "modifications": ["no onions"]}]}))]
pub struct PlaceOrder {
    /// `dine_in` (needs `table`), `takeout` or `delivery`.
    order_type: OrderType,
    /// Table number.
    table: Option<u16>,
    /// How many guests the order serves (covers).
    covers: Option<u16>,
    /// A customer of the organization.
    customer_id: Option<Uuid>,
    /// The POS's own order number; the server numbers the day's orders when absent.
    number: Option<u32>,
    /// Lines (may be empty and added later).
    #[serde(default)]
    lines: Vec<LineBody>,
}

/// A discount: `{"kind": "percent", "value": "10"}` or `{"kind": "amount", "value": "5.00"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountBody {
    /// Money off the check, or a percentage of it.
    kind: DiscountKind,
    /// The amount off, or the percentage.
    #[schema(value_type = brigade_domain::schema::Figure)]
    value: rust_decimal::Decimal,
    /// Why, in the words of whoever did it.
    reason: Option<String>,
}

/// How a discount is given.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    /// An amount of money off the check (`value` is money: "5.00").
    Amount,
    /// A percentage of the check (`value` is a percentage: "10").
    Percent,
}

/// Why an order is cancelled.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why, in the words of whoever did it.
    reason: Option<String>,
}

/// Filters of the order list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    /// Only orders in this state for the books: `open` (not yet both served and paid), `closed`
    /// or `cancelled`.
    status: Option<SaleStatus>,
}

/// The settings and the offers of `menu_items` now, and the day's next order number if `number`
/// (see `reference`).
async fn current(
    state: &AppState,
    store: &TenantStore,
    menu_items: &[Uuid],
    number: bool,
) -> Result<Current, ApiError> {
    state
        .reference
        .current(store, menu_items, number)
        .await
        .map_err(ApiError::internal)
}

/// The line `body`, at `at` in the request (`lines[2].` or nothing), priced from the menu now.
fn new_line(current: &Current, line_id: Uuid, body: LineBody, at: &str) -> Result<NewLine, ApiError> {
    if !(1..=MAX_PORTIONS).contains(&body.quantity) {
        let message = format!("must be between 1 and {MAX_PORTIONS}");
        return Err(Problem::invalid(format!("{at}quantity"), message).into());
    }
    let item = match current.offers.get(&body.menu_item_id) {
        Some(Ok(item)) => item.clone(),
        Some(Err(refusal)) => {
            let message = format!("menu item {}: {refusal}", body.menu_item_id);
            return Err(Problem::invalid(format!("{at}menu_item_id"), message).into());
        }
        None => return Err(ApiError::internal("an offer asked for was not looked up")),
    };
    Ok(NewLine {
        line_id: LineId(line_id),
        item,
        quantity: body.quantity,
        modifications: body.modifications,
        notes: body.notes,
    })
}

/// Places an order.
#[utoipa::path(post, path = "/api/v1/pos/orders", tag = "pos", request_body = PlaceOrder, security(("bearer" = [])),
    responses((status = 201, description = "Placed", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn place(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<PlaceOrder>,
) -> Created {
    let store = request.store(&state);
    let menu_items: Vec<Uuid> = body.lines.iter().map(|l| l.menu_item_id).collect();
    let current = current(&state, &store, &menu_items, body.number.is_none()).await?;
    if let Some(customer) = body.customer_id {
        let named = [crate::known::reference::<Customer>("customer_id", customer)];
        crate::known::all_exist(&store, &named).await?;
    }
    let mut lines = Vec::with_capacity(body.lines.len());
    for (n, line) in body.lines.into_iter().enumerate() {
        let id = request.derived_id(&format!("line {n}"));
        lines.push(new_line(&current, id, line, &format!("lines[{n}]."))?);
    }
    let Some(number) = body.number.or(current.number) else {
        return Err(ApiError::internal("no order number was taken"));
    };
    let command = OrderCommand::Place {
        number,
        order_type: body.order_type,
        table: body.table,
        covers: body.covers,
        customer_id: body.customer_id.map(CustomerId),
        lines,
        tax_rate: current.settings.tax_rate,
    };
    created(request.create::<Order>(&state, request.new_id(), command).await)
}

/// Adds a line to an open order.
#[utoipa::path(post, path = "/api/v1/pos/orders/{id}/items", tag = "pos", request_body = LineBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 201, description = "Added (GET the order for the line's id)", body = Written),
              JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn add_line(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<LineBody>,
) -> Created {
    let current = current(&state, &request.store(&state), &[body.menu_item_id], false).await?;
    let line = new_line(&current, request.derived_id("line"), body, "")?;
    created(request.run::<Order>(&state, id, OrderCommand::AddLine(line)).await)
}

/// Removes a line from an open order.
#[utoipa::path(delete, path = "/api/v1/pos/orders/{id}/items/{line_id}", tag = "pos", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order"), ("line_id" = Uuid, Path, description = "The line")),
    responses((status = 200, description = "Removed", body = Written), CallerErrors, CommandErrors))]
pub async fn remove_line(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path((id, line_id)): Path<(Uuid, Uuid)>,
) -> Done {
    done(
        request
            .run::<Order>(&state, id, OrderCommand::RemoveLine(LineId(line_id)))
            .await,
    )
}

/// Applies a discount (over the organization's limit: managers only).
#[utoipa::path(post, path = "/api/v1/pos/orders/{id}/discounts", tag = "pos", request_body = DiscountBody, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "Applied", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn discount(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<DiscountBody>,
) -> Done {
    let discount = match body.kind {
        DiscountKind::Amount => Money::new(body.value).map(Discount::Amount),
        DiscountKind::Percent => Percent::new(body.value).map(Discount::Percent),
    };
    let discount = discount.map_err(|e| ApiError::from(Problem::invalid("value", e.to_string())))?;
    let limit = current(&state, &request.store(&state), &[], false)
        .await?
        .settings
        .discount_limit;
    let command = OrderCommand::ApplyDiscount {
        discount,
        reason: body.reason,
        limit,
    };
    done(request.run::<Order>(&state, id, command).await)
}

/// Fires the order: its lines go to their stations' screens, and the recipe consumption of every
/// line leaves the kitchen's (or the bar's) stock, in one append.
#[utoipa::path(post, path = "/api/v1/pos/orders/{id}/send-to-kitchen", tag = "pos", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "Sent", body = Written), CallerErrors, CommandErrors))]
pub async fn send(State(state): State<Arc<AppState>>, request: CommandRequest, Path(id): Path<Uuid>) -> Done {
    done(
        request
            .run_flow::<Order, _, _, _>(&state, "SendToKitchen", id, |store, ctx, meta| async move {
                store.send_to_kitchen(OrderId(id), &ctx, &meta).await
            })
            .await,
    )
}

/// The order is at the table.
#[utoipa::path(post, path = "/api/v1/pos/orders/{id}/serve", tag = "pos", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "Served", body = Written), CallerErrors, CommandErrors))]
pub async fn serve(State(state): State<Arc<AppState>>, request: CommandRequest, Path(id): Path<Uuid>) -> Done {
    done(request.run::<Order>(&state, id, OrderCommand::Serve).await)
}

/// Cancels the order (once the kitchen has it: managers only, and its ingredients are wastage).
#[utoipa::path(post, path = "/api/v1/pos/orders/{id}/cancel", tag = "pos", request_body = Option<CancelBody>, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "Cancelled", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    body: Option<Body<CancelBody>>,
) -> Done {
    let reason = body.and_then(|Body(b)| b.reason);
    done(request.run::<Order>(&state, id, OrderCommand::Cancel { reason }).await)
}

/// The orders (sales read model), by id.
#[utoipa::path(get, path = "/api/v1/pos/orders", tag = "pos", security(("bearer" = [])), params(ListQuery, OrderFilter),
    responses((status = 200, description = "A page of orders", body = Page<sales::OrderSummary>), ReadErrors, CallerErrors, AfterErrors))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
    Query(filter): Query<OrderFilter>,
) -> Result<Json<Page<sales::OrderSummary>>, ApiError> {
    state.wait_after(query.after, &["sales"]).await?;
    read(sales::orders(state.store.pool(), caller.0.org.0, query.page(), filter.status).await)
}

async fn order_of(state: &AppState, caller: &Caller, id: Uuid) -> Result<(Order, u64), ApiError> {
    load_existing::<Order>(state, caller, id, "order").await
}

/// An order as its stream has it now, with its money figures.
#[derive(Serialize, ToSchema)]
pub struct OrderView {
    /// The order.
    #[serde(flatten)]
    pub order: Versioned<Order>,
    /// Its figures now: subtotal, discount, tax, total, paid, outstanding, tips.
    pub totals: Totals,
}

/// One order, as its stream has it now: lines (with their ids and kitchen status), payments,
/// totals.
#[utoipa::path(get, path = "/api/v1/pos/orders/{id}", tag = "pos", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "The order", body = OrderView), ReadErrors, CallerErrors))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>, ApiError> {
    let (order, version) = order_of(&state, &caller, id).await?;
    let totals = order.totals();
    Ok(Json(OrderView {
        order: Versioned {
            id,
            version,
            state: order,
        },
        totals,
    }))
}

/// Where the kitchen is with an order.
#[derive(Serialize, ToSchema)]
pub struct KitchenStatus {
    /// The order.
    pub order_id: Uuid,
    /// `not_sent` until it is sent, then its ticket's status.
    pub status: KitchenProgress,
    /// The kitchen's ticket (absent until sent): lines with their ready state, rush, times.
    pub ticket: Option<Ticket>,
}

/// An order's progress in the kitchen.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KitchenProgress {
    /// Not sent to the kitchen yet.
    NotSent,
    /// Being taken (not on the kitchen screens).
    Draft,
    /// Sent; waiting to be started.
    Queued,
    /// Being cooked.
    Cooking,
    /// Every line is up.
    Ready,
    /// Brought back to the screens after being bumped.
    Recalled,
    /// At the table.
    Served,
    /// Cancelled: nothing further happens to it.
    Cancelled,
}

impl From<TicketStatus> for KitchenProgress {
    fn from(status: TicketStatus) -> Self {
        match status {
            TicketStatus::Draft => Self::Draft,
            TicketStatus::Queued => Self::Queued,
            TicketStatus::Cooking => Self::Cooking,
            TicketStatus::Ready => Self::Ready,
            TicketStatus::Recalled => Self::Recalled,
            TicketStatus::Served => Self::Served,
            TicketStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// Where the kitchen is with the order (the kitchen read model's ticket).
#[utoipa::path(get, path = "/api/v1/pos/orders/{id}/kitchen-status", tag = "pos", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order"), AfterQuery),
    responses((status = 200, description = "The ticket, or `not_sent`", body = KitchenStatus), ReadErrors, CallerErrors, AfterErrors))]
pub async fn kitchen_status(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<AfterQuery>,
) -> Result<Json<KitchenStatus>, ApiError> {
    state.wait_after(query.after, &["kitchen_queue"]).await?;
    let ticket = kitchen::ticket(state.store.pool(), caller.0.org.0, id)
        .await
        .map_err(ApiError::internal)?;
    let status = match &ticket {
        Some(ticket) => ticket.status.into(),
        None => {
            order_of(&state, &caller, id).await?;
            KitchenProgress::NotSent
        }
    };
    Ok(Json(KitchenStatus {
        order_id: id,
        status,
        ticket,
    }))
}

/// The guest's receipt.
#[derive(Serialize, ToSchema)]
pub struct Receipt {
    /// The order.
    pub order_id: Uuid,
    /// Its number of the day.
    pub number: u32,
    /// Its table (dine-in).
    pub table: Option<u16>,
    /// Where the order is.
    pub status: Option<OrderStatus>,
    /// Served and fully paid.
    pub closed: bool,
    /// The organization's currency (ISO 4217).
    pub currency: String,
    /// The tax rate in force when the order was placed, in percent.
    pub tax_rate: Percent,
    /// What was ordered.
    pub lines: Vec<ReceiptLine>,
    /// What was paid, with tips and refunds.
    pub payments: Vec<Payment>,
    /// Subtotal, discount, tax, total, paid, outstanding, tips.
    pub totals: Totals,
}

/// One line of a receipt.
#[derive(Serialize, ToSchema)]
pub struct ReceiptLine {
    /// The menu item's name.
    pub name: String,
    /// How many portions.
    pub quantity: u32,
    /// Price of one.
    pub unit_price: Money,
    /// Price of all of them.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub total: rust_decimal::Decimal,
    /// "No onions".
    pub modifications: Vec<String>,
}

/// The guest's receipt: lines, subtotal, discount, tax, total, payments with tips and refunds,
/// what is still due.
#[utoipa::path(get, path = "/api/v1/pos/orders/{id}/receipt", tag = "pos", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order")),
    responses((status = 200, description = "The receipt", body = Receipt), ReadErrors, CallerErrors))]
pub async fn receipt(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Receipt>, ApiError> {
    let (order, _) = order_of(&state, &caller, id).await?;
    let currency = current(&state, &state.store.tenant(caller.0.org), &[], false)
        .await?
        .settings
        .currency;
    let lines = order
        .lines
        .iter()
        .map(|l| ReceiptLine {
            name: l.name.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            total: l.total(),
            modifications: l.modifications.clone(),
        })
        .collect();
    Ok(Json(Receipt {
        order_id: id,
        number: order.number,
        table: order.table,
        status: order.status,
        closed: order.closed,
        currency,
        tax_rate: order.tax_rate,
        lines,
        totals: order.totals(),
        payments: order.payments,
    }))
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(place), Roles(FRONT_OF_HOUSE))
        .add(routes!(add_line), Roles(FRONT_OF_HOUSE))
        .add(routes!(remove_line), Roles(FRONT_OF_HOUSE))
        .add(routes!(discount), Roles(FRONT_OF_HOUSE))
        .add(routes!(send), Roles(FRONT_OF_HOUSE))
        .add(routes!(serve), Roles(FRONT_OF_HOUSE))
        .add(routes!(cancel), Roles(FRONT_OF_HOUSE))
        .add(routes!(list), Roles(ORDER_READERS))
        .add(routes!(get), Roles(ORDER_READERS))
        .add(routes!(kitchen_status), Roles(FRONT_AND_KITCHEN))
        .add(routes!(receipt), Roles(ORDER_READERS))
}
