//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the handlers' own annotations.
//! Routes are registered through `utoipa_axum`'s router together with their documentation, so a
//! route cannot be served without being documented; a test checks the other way round (every
//! documented operation is served).

use super::problem::Problem;
use crate::access::Access::Public;
use crate::routes::Routes;
use crate::state::AppState;
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

/// Every route of the server, and the document describing them (kept for `/openapi.json`).
pub fn build() -> (axum::Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    let (routes, _rules) = crate::routes::all().into_parts();
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes)
        .split_for_parts();
    let mut document = document;
    document_malformed_ids(&mut document);
    document_idempotency_keys(&mut document);
    unique_operation_ids(&mut document);
    let _ = DOCUMENT.set(document.clone());
    (router, document)
}

/// Operation ids are the handlers' names, and several modules name theirs alike (`list`, `get`,
/// `stream`): OpenAPI requires them unique, and generated clients name their functions and types
/// after them (two `list`s do not compile). A name used more than once is prefixed with the
/// resource its path names (`menu_items_list`, `pos_orders_list`); unique names stay as they are.
fn unique_operation_ids(document: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    let mut uses: HashMap<String, usize> = HashMap::new();
    for item in document.paths.paths.values() {
        for operation in operations(item) {
            *uses
                .entry(operation.operation_id.clone().unwrap_or_default())
                .or_default() += 1;
        }
    }
    for (path, item) in &mut document.paths.paths {
        let resource: Vec<&str> = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .filter(|s| !s.starts_with('{') && !s.is_empty())
            .collect();
        for operation in operations_mut(item) {
            let Some(id) = operation.operation_id.as_mut() else {
                continue;
            };
            if uses.get(id.as_str()).copied().unwrap_or(0) > 1 {
                let stem = resource
                    .iter()
                    .map(|s| s.replace(['-', '.'], "_"))
                    .collect::<Vec<_>>()
                    .join("_");
                *id = if stem.ends_with(id.as_str()) {
                    stem
                } else {
                    format!("{stem}_{id}")
                };
            }
        }
    }
}

fn operations(item: &utoipa::openapi::PathItem) -> impl Iterator<Item = &utoipa::openapi::path::Operation> {
    [&item.get, &item.put, &item.post, &item.delete, &item.patch]
        .into_iter()
        .flatten()
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// Every command a logged-in caller sends (`POST`, `PUT`, `DELETE` with a bearer token) may carry
/// an `Idempotency-Key` (see `idempotency.rs`): documented here for all of them at once, as the
/// layer applies it, unless the operation documents its own (payments require one).
fn document_idempotency_keys(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::{
        Required,
        schema::{ObjectBuilder, Type},
    };
    for item in document.paths.paths.values_mut() {
        for operation in [&mut item.put, &mut item.post, &mut item.delete].into_iter().flatten() {
            let by_user = operation
                .security
                .iter()
                .flatten()
                .any(|s| serde_json::to_value(s).is_ok_and(|v| v.get("bearer").is_some()));
            let parameters = operation.parameters.get_or_insert_with(Vec::new);
            let declared = parameters
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case("Idempotency-Key"));
            if by_user && !declared {
                let key = ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "Makes a retry of this request safe: a repeat with the same key gets the first answer and changes nothing",
                    ))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).max_length(Some(200))))
                    .build();
                parameters.push(key);
            }
        }
    }
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

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new().add(routes!(document), Public)
}
