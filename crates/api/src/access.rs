//! Who may call what: one table, every route of the API with the roles allowed on it (a super
//! admin holds every role). A layer looks the request's route up after routing: a public route
//! passes; any other needs a valid access token (401 otherwise) and one of the roles (403
//! otherwise). A route missing from the table is refused (and logged): access fails closed.
//! A test walks every role against every route of the table, and checks the table and the
//! OpenAPI document list the same routes.

use crate::auth::extract::{Caller, Unauthorized};
use crate::error::ApiError;
use crate::http::AppState;
use crate::http::problem::{Kind, Problem};
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use brigade_domain::Role;
use std::sync::Arc;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the route checks what it needs itself: health, login, bootstrap...).
    Public,
    /// Any logged-in user.
    AnyUser,
    /// Users holding one of these roles.
    Roles(&'static [Role]),
    /// The platform operator alone, with `Authorization: Bearer <BRIGADE_OPERATOR_TOKEN>`: the
    /// installation's own business (every organization's events flow through the same
    /// projections), so no organization's user has it, whatever their roles.
    Operator,
}

/// One route.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern, as routed (`/api/v1/audit/streams/{stream_id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule { method, path, access }
}

use Access::{AnyUser, Operator, Public, Roles};

/// The table.
pub const RULES: &[Rule] = &[
    rule("GET", "/health/live", Public),
    rule("GET", "/health/ready", Public),
    rule("GET", "/metrics", Public),
    rule("GET", "/openapi.json", Public),
    rule("POST", "/api/v1/auth/login", Public),
    rule("POST", "/api/v1/auth/refresh", Public),
    rule("POST", "/api/v1/auth/logout", Public),
    rule("GET", "/api/v1/auth/profile", AnyUser),
    rule("POST", "/api/v1/organizations", Public),
    rule("GET", "/api/v1/admin/projections", Operator),
    rule("POST", "/api/v1/admin/projections/{name}/retry", Operator),
    rule(
        "GET",
        "/api/v1/audit/streams/{stream_id}",
        Roles(&[Role::Manager, Role::Accountant]),
    ),
    rule("POST", "/api/v1/menu/items", Roles(MENU_EDITORS)),
    rule("GET", "/api/v1/menu/items", AnyUser),
    rule("PUT", "/api/v1/menu/items/{id}", Roles(MENU_EDITORS)),
    rule("GET", "/api/v1/menu/items/{id}", AnyUser),
    // Organizations and users.
    rule("POST", "/api/v1/auth/register", Public),
    rule("PUT", "/api/v1/auth/profile", AnyUser),
    rule("GET", "/api/v1/organizations/{id}/settings", AnyUser),
    rule("PUT", "/api/v1/organizations/{id}/settings", Roles(MANAGERS)),
    rule("GET", "/api/v1/organizations/{id}/users", Roles(MANAGERS)),
    rule("POST", "/api/v1/organizations/{id}/users", Roles(MANAGERS)),
    rule("PUT", "/api/v1/organizations/{id}/users/{user_id}", Roles(MANAGERS)),
    rule("DELETE", "/api/v1/organizations/{id}/users/{user_id}", Roles(MANAGERS)),
    rule(
        "POST",
        "/api/v1/organizations/{id}/users/{user_id}/approve",
        Roles(MANAGERS),
    ),
    // Catalog.
    rule("POST", "/api/v1/stock/inventory", Roles(INVENTORY_KEEPERS)),
    rule("GET", "/api/v1/stock/inventory", Roles(STOCK_READERS)),
    rule("PUT", "/api/v1/stock/inventory/{id}", Roles(INVENTORY_KEEPERS)),
    rule("GET", "/api/v1/stock/inventory/{id}", Roles(STOCK_READERS)),
    rule("POST", "/api/v1/procurement/suppliers", Roles(BUYERS)),
    rule("GET", "/api/v1/procurement/suppliers", Roles(PROCUREMENT_READERS)),
    rule("PUT", "/api/v1/procurement/suppliers/{id}", Roles(BUYERS)),
    rule("GET", "/api/v1/procurement/suppliers/{id}", Roles(PROCUREMENT_READERS)),
    // POS and payments.
    rule("POST", "/api/v1/pos/orders", Roles(FRONT_OF_HOUSE)),
    rule("GET", "/api/v1/pos/orders", Roles(ORDER_READERS)),
    rule("GET", "/api/v1/pos/orders/{id}", Roles(ORDER_READERS)),
    rule("POST", "/api/v1/pos/orders/{id}/items", Roles(FRONT_OF_HOUSE)),
    rule(
        "DELETE",
        "/api/v1/pos/orders/{id}/items/{line_id}",
        Roles(FRONT_OF_HOUSE),
    ),
    rule("POST", "/api/v1/pos/orders/{id}/discounts", Roles(FRONT_OF_HOUSE)),
    rule("POST", "/api/v1/pos/orders/{id}/send-to-kitchen", Roles(FRONT_OF_HOUSE)),
    rule("POST", "/api/v1/pos/orders/{id}/serve", Roles(FRONT_OF_HOUSE)),
    rule("POST", "/api/v1/pos/orders/{id}/cancel", Roles(FRONT_OF_HOUSE)),
    rule(
        "GET",
        "/api/v1/pos/orders/{id}/kitchen-status",
        Roles(FRONT_AND_KITCHEN),
    ),
    rule("GET", "/api/v1/pos/orders/{id}/receipt", Roles(ORDER_READERS)),
    rule("POST", "/api/v1/pos/customers", Roles(FRONT_OF_HOUSE)),
    rule("GET", "/api/v1/pos/customers", Roles(FRONT_OF_HOUSE)),
    rule("PUT", "/api/v1/pos/customers/{id}", Roles(FRONT_OF_HOUSE)),
    rule("GET", "/api/v1/pos/customers/{id}", Roles(FRONT_OF_HOUSE)),
    rule("POST", "/api/v1/pos/payments/process", Roles(FRONT_OF_HOUSE)),
    rule("POST", "/api/v1/pos/payments/refund", Roles(MANAGERS)),
    // Kitchen.
    rule("GET", "/api/v1/kitchen/orders", Roles(KITCHEN)),
    rule("POST", "/api/v1/kitchen/orders/{id}/start", Roles(KITCHEN)),
    rule(
        "POST",
        "/api/v1/kitchen/orders/{id}/items/{line_id}/ready",
        Roles(KITCHEN),
    ),
    rule("POST", "/api/v1/kitchen/orders/{id}/complete", Roles(KITCHEN)),
    rule("POST", "/api/v1/kitchen/orders/{id}/recall", Roles(KITCHEN)),
    rule("PUT", "/api/v1/kitchen/orders/{id}/priority", Roles(FRONT_AND_KITCHEN)),
    rule("GET", "/api/v1/kitchen/stream", Roles(FRONT_AND_KITCHEN)),
    // Procurement.
    rule("POST", "/api/v1/procurement/purchase-orders", Roles(BUYERS)),
    rule("GET", "/api/v1/procurement/purchase-orders", Roles(PROCUREMENT_READERS)),
    rule("PUT", "/api/v1/procurement/purchase-orders/{id}", Roles(BUYERS)),
    rule(
        "GET",
        "/api/v1/procurement/purchase-orders/{id}",
        Roles(PROCUREMENT_READERS),
    ),
    rule("POST", "/api/v1/procurement/purchase-orders/{id}/submit", Roles(BUYERS)),
    rule(
        "POST",
        "/api/v1/procurement/purchase-orders/{id}/approve",
        Roles(BUYERS),
    ),
    rule("POST", "/api/v1/procurement/purchase-orders/{id}/reject", Roles(BUYERS)),
    rule(
        "POST",
        "/api/v1/procurement/purchase-orders/{id}/receive",
        Roles(RECEIVERS),
    ),
    rule("POST", "/api/v1/procurement/purchase-orders/{id}/close", Roles(BUYERS)),
    rule("POST", "/api/v1/procurement/purchase-orders/{id}/cancel", Roles(BUYERS)),
    // Stock.
    rule("POST", "/api/v1/stock/transfers", Roles(STOCK_MOVERS)),
    rule("GET", "/api/v1/stock/transfers", Roles(STOCK_READERS)),
    rule("GET", "/api/v1/stock/transfers/{id}", Roles(STOCK_READERS)),
    rule("POST", "/api/v1/stock/transfers/{id}/validate", Roles(STOCK_MOVERS)),
    rule("POST", "/api/v1/stock/transfers/{id}/reject", Roles(STOCK_MOVERS)),
    rule("POST", "/api/v1/stock/transfers/{id}/cancel", Roles(STOCK_MOVERS)),
    rule(
        "POST",
        "/api/v1/stock/adjustments",
        Roles(&[Role::Manager, Role::StockController]),
    ),
    rule("GET", "/api/v1/stock/adjustments/{id}", Roles(STOCK_READERS)),
    rule("GET", "/api/v1/stock/levels", Roles(STOCK_READERS)),
    rule("GET", "/api/v1/stock/alerts", Roles(STOCK_READERS)),
    rule("GET", "/api/v1/stock/reports/valuation", Roles(VALUERS)),
    rule("GET", "/api/v1/stock/reports/usage", Roles(VALUERS)),
    // Accounting.
    rule("POST", "/api/v1/accounting/expenses", Roles(BOOKKEEPERS)),
    rule("GET", "/api/v1/accounting/expenses", Roles(BOOKKEEPERS)),
    rule("GET", "/api/v1/accounting/reports/pl-statement", Roles(BOOKKEEPERS)),
    rule(
        "GET",
        "/api/v1/accounting/product-categories/bcg-matrix",
        Roles(BOOKKEEPERS),
    ),
    rule("GET", "/api/v1/accounting/food-cost-ratio", Roles(BOOKKEEPERS)),
    rule("GET", "/api/v1/accounting/reports/wastage", Roles(BOOKKEEPERS)),
];

// Who does what, from the seed's authorization matrix (a manager runs the whole restaurant).
use Role::{Accountant, KitchenStaff, Manager, PosOperator, ProcessingStaff, ProcurementManager, StockController};

/// Managers only (users, settings, refunds).
const MANAGERS: &[Role] = &[Manager];
/// Who edits the menu: managers, and processing staff (who own the recipes).
const MENU_EDITORS: &[Role] = &[Manager, ProcessingStaff];
/// The POS: orders, customers, payments.
const FRONT_OF_HOUSE: &[Role] = &[Manager, PosOperator];
/// Who reads orders and receipts: the POS and the books.
const ORDER_READERS: &[Role] = &[Manager, PosOperator, Accountant];
/// The kitchen screens and their cooks.
const KITCHEN: &[Role] = &[Manager, KitchenStaff];
/// The POS asks where an order is and flags a rush; the kitchen sees it.
const FRONT_AND_KITCHEN: &[Role] = &[Manager, PosOperator, KitchenStaff];
/// Suppliers and purchase orders.
const BUYERS: &[Role] = &[Manager, ProcurementManager];
/// Goods in at the back door: buyers and the stock controller.
const RECEIVERS: &[Role] = &[Manager, ProcurementManager, StockController];
/// Who reads suppliers and purchase orders.
const PROCUREMENT_READERS: &[Role] = &[Manager, ProcurementManager, StockController, Accountant];
/// Who maintains inventory items.
const INVENTORY_KEEPERS: &[Role] = &[Manager, ProcurementManager, StockController];
/// Who moves stock between departments (the domain checks the validating side).
const STOCK_MOVERS: &[Role] = &[
    Manager,
    ProcurementManager,
    StockController,
    ProcessingStaff,
    KitchenStaff,
];
/// Who reads quantities.
const STOCK_READERS: &[Role] = &[
    Manager,
    ProcurementManager,
    StockController,
    ProcessingStaff,
    KitchenStaff,
    Accountant,
];
/// Who reads the stock's value.
const VALUERS: &[Role] = &[Manager, StockController, Accountant];
/// Expenses and financial reports.
const BOOKKEEPERS: &[Role] = &[Manager, Accountant];

/// The rule of a route.
pub fn rule_for(method: &Method, path: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.method == method.as_str() && r.path == path)
}

/// Whether `roles` may call a route with `access`.
pub fn allows(access: Access, roles: &[Role]) -> bool {
    match access {
        Public | AnyUser => true,
        Roles(allowed) => roles.iter().any(|r| *r == Role::SuperAdmin || allowed.contains(r)),
        Operator => false,
    }
}

/// The platform operator's routes: the bearer token must be the configured operator token. No
/// token is a 401; an organization's access token, or a wrong token, a 403.
fn operator(state: &AppState, request: &Request) -> Result<(), ApiError> {
    // The scheme is case-insensitive (RFC 9110); the token is not.
    let presented = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(presented) = presented else {
        return Err(Unauthorized("this route needs the operator token (Authorization: Bearer)").into());
    };
    if crate::auth::secret::matches(state.config.operator_token.as_deref(), Some(presented)) {
        return Ok(());
    }
    let detail = if state.config.operator_token.is_some() {
        "this route is the platform operator's: it needs the operator token, not an organization's user"
    } else {
        "this route is the platform operator's, and this server has no operator token (BRIGADE_OPERATOR_TOKEN)"
    };
    Err(Problem::new(Kind::Forbidden, detail).into())
}

/// The layer: applies the table to every routed request.
pub async fn authorize(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(path) = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()) else {
        // Not routed: the fallback answers 404.
        return next.run(request).await;
    };
    let Some(rule) = rule_for(request.method(), &path) else {
        if RULES.iter().any(|r| r.path == path) {
            // A known path with another method: the router answers 405.
            return next.run(request).await;
        }
        tracing::error!(method = %request.method(), path, "route missing from the access table: refused");
        let detail = format!("{} {path} is not open to anyone yet", request.method());
        return Problem::new(Kind::Forbidden, detail).into_response();
    };
    if rule.access == Public {
        return next.run(request).await;
    }
    if rule.access == Operator {
        return match operator(&state, &request) {
            Ok(()) => next.run(request).await,
            Err(refused) => refused.into_response(),
        };
    }
    let (parts, body) = request.into_parts();
    let caller = match Caller::from_parts(&parts, &state) {
        Ok(caller) => caller,
        Err(Unauthorized(detail)) => return Unauthorized(detail).into_response(),
    };
    if let Err(wait) = state.limiter.check(caller.0.org, caller.0.sub) {
        let mut problem = Problem::new(
            Kind::RateLimited,
            format!("this user's request rate is over the limit; retry in {wait} s"),
        );
        problem.retry_after = Some(wait);
        return problem.into_response();
    }
    match state.deactivated.contains(state.store.pool(), caller.0.sub).await {
        Ok(false) => {}
        Ok(true) => {
            let detail = "the account is deactivated";
            return Problem::new(Kind::AccountNotActive, detail).into_response();
        }
        Err(e) => return ApiError::internal(e).into_response(),
    }
    if !allows(rule.access, &caller.0.roles) {
        let detail = format!("{} {path} needs one of the roles this route allows", parts.method);
        return Problem::new(Kind::Forbidden, detail).into_response();
    }
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(caller);
    next.run(request).await
}
