//! Who may call what. Each route module registers every handler with its [`Access`] (see
//! `routes::Routes::add`), naming the role groups below; the table of those rules is what the
//! [`authorize`] layer applies after routing (a super admin holds every role): a public route
//! passes; any other needs a valid access token (401 otherwise) and one of the roles (403
//! otherwise). A route missing from the table (served some other way) is refused and logged:
//! access fails closed. A test walks every role against every rule, and checks the table and the
//! OpenAPI document list the same routes.

use crate::auth::extract::{Caller, Unauthorized};
use crate::error::ApiError;
use crate::http::problem::{Kind, Problem};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use brigade_domain::Role;
use std::sync::{Arc, OnceLock};

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

/// One route's rule, as its module registered it (`routes::Routes::add`).
#[derive(Clone, Debug)]
pub struct Rule {
    /// HTTP method (`GET`, `POST`...).
    pub method: String,
    /// Path pattern, as routed (`/api/v1/audit/streams/{stream_id}`).
    pub path: String,
    /// Who may call it.
    pub access: Access,
}

use Access::{AnyUser, Operator, Public, Roles};

static RULES: OnceLock<Vec<Rule>> = OnceLock::new();

/// Every route's rule: the table the [`authorize`] layer applies, made from the routes' own
/// registration (built once, with the router).
pub fn rules() -> &'static [Rule] {
    RULES.get_or_init(|| crate::routes::all().into_parts().1)
}

// Who does what, from the seed's authorization matrix (a manager runs the whole restaurant).
use Role::{Accountant, KitchenStaff, Manager, PosOperator, ProcessingStaff, ProcurementManager, StockController};

/// Managers only (users, settings, refunds).
pub const MANAGERS: &[Role] = &[Manager];
/// Who edits the menu: managers, and processing staff (who own the recipes).
pub const MENU_EDITORS: &[Role] = &[Manager, ProcessingStaff];
/// The POS: orders, customers, payments.
pub const FRONT_OF_HOUSE: &[Role] = &[Manager, PosOperator];
/// Who reads orders and receipts: the POS and the books.
pub const ORDER_READERS: &[Role] = &[Manager, PosOperator, Accountant];
/// The kitchen screens and their cooks.
pub const KITCHEN: &[Role] = &[Manager, KitchenStaff];
/// The POS asks where an order is and flags a rush; the kitchen sees it.
pub const FRONT_AND_KITCHEN: &[Role] = &[Manager, PosOperator, KitchenStaff];
/// Suppliers and purchase orders.
pub const BUYERS: &[Role] = &[Manager, ProcurementManager];
/// Goods in at the back door: buyers and the stock controller.
pub const RECEIVERS: &[Role] = &[Manager, ProcurementManager, StockController];
/// Who reads suppliers and purchase orders.
pub const PROCUREMENT_READERS: &[Role] = &[Manager, ProcurementManager, StockController, Accountant];
/// Who maintains inventory items.
pub const INVENTORY_KEEPERS: &[Role] = &[Manager, ProcurementManager, StockController];
/// Who moves stock between departments (the domain checks the validating side).
pub const STOCK_MOVERS: &[Role] = &[
    Manager,
    ProcurementManager,
    StockController,
    ProcessingStaff,
    KitchenStaff,
];
/// Who reads quantities.
pub const STOCK_READERS: &[Role] = &[
    Manager,
    ProcurementManager,
    StockController,
    ProcessingStaff,
    KitchenStaff,
    Accountant,
];
/// Who reads the stock's value.
pub const VALUERS: &[Role] = &[Manager, StockController, Accountant];
/// Who reads a stream's audit trail.
pub const AUDITORS: &[Role] = &[Manager, Accountant];
/// Who corrects stock by adjustment.
pub const STOCK_CONTROLLERS: &[Role] = &[Manager, StockController];
/// Expenses and financial reports.
pub const BOOKKEEPERS: &[Role] = &[Manager, Accountant];

/// The rule of a route.
pub fn rule_for(method: &Method, path: &str) -> Option<&'static Rule> {
    rules().iter().find(|r| r.method == method.as_str() && r.path == path)
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
        if rules().iter().any(|r| r.path == path) {
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
