//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the handlers' own annotations.
//! Routes are registered through `utoipa_axum`'s router together with their documentation, so a
//! route cannot be served without being documented; a test checks the other way round (every
//! documented operation is served).

use super::AppState;
use super::problem::Problem;
use axum::Json;
use axum::response::IntoResponse;
use std::sync::{Arc, OnceLock};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document's fixed parts; the paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Brigade",
        description = "The event-sourced core of a restaurant: orders, payments, purchase orders, stock. \
                       Every error is application/problem+json (RFC 9457)."
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Log in, refresh, log out, profile"),
        (name = "organizations", description = "Organizations and their users"),
        (name = "operations", description = "Health, readiness, metrics, projections, this document"),
        (name = "audit", description = "Who did what"),
        (name = "menu", description = "Menu items: price, station, recipe"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` security scheme (JWT access tokens) the routes refer to.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();

/// The OpenAPI document of every route this server serves.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn document() -> impl IntoResponse {
    Json(DOCUMENT.get().cloned().unwrap_or_else(ApiDoc::openapi))
}

/// Every documented route, and the document describing them.
pub fn routes() -> (axum::Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(super::health::live))
        .routes(routes!(super::health::ready))
        .routes(routes!(super::metrics::render))
        .routes(routes!(document))
        .routes(routes!(crate::auth::routes::login))
        .routes(routes!(crate::auth::routes::refresh))
        .routes(routes!(crate::auth::routes::logout))
        .routes(routes!(crate::auth::routes::profile))
        .routes(routes!(crate::bootstrap::create))
        .routes(routes!(crate::operations::projections))
        .routes(routes!(crate::operations::retry))
        .routes(routes!(crate::operations::stream))
        .routes(routes!(crate::menu::add, crate::menu::list))
        .routes(routes!(crate::menu::update, crate::menu::get))
        .split_for_parts();
    let _ = DOCUMENT.set(document.clone());
    (router, document)
}
