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
    tags((name = "operations", description = "Health, readiness, metrics, this document"))
)]
struct ApiDoc;

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
        .split_for_parts();
    let _ = DOCUMENT.set(document.clone());
    (router, document)
}
