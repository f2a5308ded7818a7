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
        (name = "pos", description = "Orders and customers at the point of sale"),
        (name = "payments", description = "Payments and refunds (Idempotency-Key required)"),
        (name = "kitchen", description = "The kitchen display: queue, cooks' actions, live feed"),
        (name = "procurement", description = "Suppliers and purchase orders"),
        (name = "stock", description = "Inventory items, transfers, adjustments, levels, valuation, usage"),
        (name = "accounting", description = "Expenses, P&L, menu engineering, food cost, wastage"),
    )
)]
struct ApiDoc;

/// Declares the security schemes the routes refer to: `bearer` (an organization's users' JWT
/// access tokens) and `operator` (the installation's operator token, `BRIGADE_OPERATOR_TOKEN`).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        let operator = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "The platform operator's token (BRIGADE_OPERATOR_TOKEN), not a user's",
            ))
            .build();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        components.add_security_scheme("operator", SecurityScheme::Http(operator));
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
        .routes(routes!(
            crate::auth::routes::profile,
            crate::organizations::change_profile
        ))
        .routes(routes!(crate::bootstrap::create))
        .routes(routes!(crate::operations::projections))
        .routes(routes!(crate::operations::retry))
        .routes(routes!(crate::operations::stream))
        .routes(routes!(crate::menu::add, crate::menu::list))
        .routes(routes!(crate::menu::update, crate::menu::get))
        .routes(routes!(crate::catalog::add_item, crate::catalog::list_items))
        .routes(routes!(crate::catalog::update_item, crate::catalog::get_item))
        .routes(routes!(crate::catalog::add_supplier, crate::catalog::list_suppliers))
        .routes(routes!(crate::catalog::update_supplier, crate::catalog::get_supplier))
        .routes(routes!(crate::orders::place, crate::orders::list))
        .routes(routes!(crate::orders::get))
        .routes(routes!(crate::orders::add_line))
        .routes(routes!(crate::orders::remove_line))
        .routes(routes!(crate::orders::discount))
        .routes(routes!(crate::orders::send))
        .routes(routes!(crate::orders::serve))
        .routes(routes!(crate::orders::cancel))
        .routes(routes!(crate::orders::kitchen_status))
        .routes(routes!(crate::orders::receipt))
        .routes(routes!(crate::customers::add, crate::customers::list))
        .routes(routes!(crate::customers::update, crate::customers::get))
        .routes(routes!(crate::payments::process))
        .routes(routes!(crate::payments::refund))
        .routes(routes!(crate::kitchen::queue))
        .routes(routes!(crate::kitchen::start))
        .routes(routes!(crate::kitchen::line_ready))
        .routes(routes!(crate::kitchen::complete))
        .routes(routes!(crate::kitchen::recall))
        .routes(routes!(crate::kitchen::priority))
        .routes(routes!(crate::kitchen::stream))
        .routes(routes!(crate::purchase_orders::draft, crate::purchase_orders::list))
        .routes(routes!(crate::purchase_orders::revise, crate::purchase_orders::get))
        .routes(routes!(crate::purchase_orders::submit))
        .routes(routes!(crate::purchase_orders::approve))
        .routes(routes!(crate::purchase_orders::reject))
        .routes(routes!(crate::purchase_orders::receive))
        .routes(routes!(crate::purchase_orders::close))
        .routes(routes!(crate::purchase_orders::cancel))
        .routes(routes!(crate::transfers::request, crate::transfers::list))
        .routes(routes!(crate::transfers::get))
        .routes(routes!(crate::transfers::validate))
        .routes(routes!(crate::transfers::reject))
        .routes(routes!(crate::transfers::cancel))
        .routes(routes!(crate::transfers::adjust))
        .routes(routes!(crate::transfers::get_adjustment))
        .routes(routes!(crate::reports::levels))
        .routes(routes!(crate::reports::alerts))
        .routes(routes!(crate::reports::valuation))
        .routes(routes!(crate::reports::usage))
        .routes(routes!(crate::expenses::record, crate::expenses::list))
        .routes(routes!(crate::reports::pl_statement))
        .routes(routes!(crate::reports::bcg_matrix))
        .routes(routes!(crate::reports::food_cost_ratio))
        .routes(routes!(crate::reports::wastage))
        .routes(routes!(
            crate::organizations::settings,
            crate::organizations::change_settings
        ))
        .routes(routes!(crate::organizations::users, crate::organizations::add_user))
        .routes(routes!(
            crate::organizations::change_user,
            crate::organizations::deactivate
        ))
        .routes(routes!(crate::organizations::approve))
        .routes(routes!(crate::organizations::register))
        .split_for_parts();
    let mut document = document;
    document_malformed_ids(&mut document);
    let _ = DOCUMENT.set(document.clone());
    (router, document)
}

/// Every operation with a UUID in its path can answer 400 (axum refuses an id that does not
/// parse before the handler runs): documented here for all of them at once, so no route can
/// forget it.
fn document_malformed_ids(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{KnownFormat, Schema, SchemaFormat};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let is_uuid = |schema: &Option<RefOr<Schema>>| matches!(schema, Some(RefOr::T(Schema::Object(o))) if o.format == Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let has_uuid = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == ParameterIn::Path && is_uuid(&p.schema));
            if has_uuid && !operation.responses.responses.contains_key("400") {
                let content = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build();
                let response = ResponseBuilder::new()
                    .description("An id in the path that is not a UUID")
                    .content(super::problem::PROBLEM_JSON, content)
                    .build();
                operation.responses.responses.insert("400".into(), RefOr::T(response));
            }
        }
    }
}
