//! `GET /api/v1/auth/permissions`: the routes the caller may call, read from the same access
//! table the [`authorize`](crate::access::authorize) layer applies. The screens draw a button or a
//! screen only when its route is listed, so they hold no rule of their own: a change of the table
//! changes what each person sees, and a screen can never offer what the API would refuse.

use crate::access::Access::AnyUser;
use crate::access::{Access, allows, rules};
use crate::auth::extract::Caller;
use crate::http::responses::CallerErrors;
use crate::routes::Routes;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

/// A route the caller may call.
#[derive(Serialize, ToSchema)]
pub struct Permitted {
    /// Its method.
    #[schema(example = "POST")]
    method: String,
    /// Its path pattern, as the OpenAPI document writes it.
    #[schema(example = "/api/v1/kitchen/orders/{id}/start")]
    path: String,
}

/// What the caller may do.
#[derive(Serialize, ToSchema)]
pub struct Permissions {
    /// Every route open to the caller's roles (the platform operator's routes are never listed:
    /// they take the operator token, which no user holds).
    routes: Vec<Permitted>,
}

/// The routes the caller's roles allow.
#[utoipa::path(get, path = "/api/v1/auth/permissions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The caller's routes", body = Permissions), CallerErrors))]
pub async fn permissions(Caller(claims): Caller) -> Json<Permissions> {
    let routes = rules()
        .iter()
        .filter(|rule| rule.access != Access::Operator && allows(rule.access, &claims.roles))
        .map(|rule| Permitted {
            method: rule.method.clone(),
            path: rule.path.clone(),
        })
        .collect();
    Json(Permissions { routes })
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new().add(routes!(permissions), AnyUser)
}
