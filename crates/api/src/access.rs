//! Who may call what: one table, every route of the API with the roles allowed on it (a super
//! admin holds every role). A layer looks the request's route up after routing: a public route
//! passes; any other needs a valid access token (401 otherwise) and one of the roles (403
//! otherwise). A route missing from the table is refused (and logged): access fails closed.
//! A test walks every role against every route of the table, and checks the table and the
//! OpenAPI document list the same routes.

use crate::auth::extract::{Caller, Unauthorized};
use crate::http::AppState;
use crate::http::problem::Problem;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
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

use Access::{AnyUser, Public, Roles};

/// Super admins only (a super admin holds every role, so the empty list means "nobody else").
const SUPER_ADMIN_ONLY: Access = Roles(&[]);

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
    rule("GET", "/api/v1/admin/projections", SUPER_ADMIN_ONLY),
    rule("POST", "/api/v1/admin/projections/{name}/retry", SUPER_ADMIN_ONLY),
    rule(
        "GET",
        "/api/v1/audit/streams/{stream_id}",
        Roles(&[Role::Manager, Role::Accountant]),
    ),
    rule("POST", "/api/v1/menu/items", Roles(MENU_EDITORS)),
    rule("GET", "/api/v1/menu/items", AnyUser),
    rule("PUT", "/api/v1/menu/items/{id}", Roles(MENU_EDITORS)),
    rule("GET", "/api/v1/menu/items/{id}", AnyUser),
];

/// Who edits the menu: managers, and processing staff (who own the recipes).
const MENU_EDITORS: &[Role] = &[Role::Manager, Role::ProcessingStaff];

/// The rule of a route.
pub fn rule_for(method: &Method, path: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.method == method.as_str() && r.path == path)
}

/// Whether `roles` may call a route with `access`.
pub fn allows(access: Access, roles: &[Role]) -> bool {
    match access {
        Public | AnyUser => true,
        Roles(allowed) => roles.iter().any(|r| *r == Role::SuperAdmin || allowed.contains(r)),
    }
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
        return Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail).into_response();
    };
    if rule.access == Public {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let caller = match Caller::from_parts(&parts, &state) {
        Ok(caller) => caller,
        Err(Unauthorized(detail)) => return Unauthorized(detail).into_response(),
    };
    if let Err(wait) = state.limiter.check(caller.0.org, caller.0.sub) {
        let mut problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("this user's request rate is over the limit; retry in {wait} s"),
        );
        problem.retry_after = Some(wait);
        return problem.into_response();
    }
    if !allows(rule.access, &caller.0.roles) {
        let detail = format!("{} {path} needs one of the roles this route allows", parts.method);
        return Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail).into_response();
    }
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(caller);
    next.run(request).await
}
