//! `POST /api/v1/organizations`: the first organization and its first administrator, created
//! without touching the database by hand. Open without a token only while the system has no
//! organization at all, or to whoever presents the configured bootstrap secret
//! (`X-Bootstrap-Secret`, `BRIGADE_BOOTSTRAP_SECRET`). The organization and its administrator are
//! written in one append: there is never one without the other.

use crate::access::Access::Public;
use crate::auth::{password, sessions};
use crate::commands::Refusal as _;
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::problem::{Kind, Problem};
use crate::http::responses::JsonBodyErrors;
use crate::routes::Routes;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use brigade_domain::ids::{TenantId, UserId};
use brigade_domain::organization::{Organization, OrganizationCommand, Settings};
use brigade_domain::user::{User, UserCommand, UserProfile};
use brigade_domain::{Actor, Aggregate, Context, Role, stream_id};
use brigade_eventstore::{CommandMeta, ExpectedVersion, StreamAppend};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// The organization and its first administrator.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    /// The organization's name.
    name: String,
    /// Currency, tax rate, timezone, kitchen thresholds...: each field may be left out and takes
    /// the default shown; the whole object too.
    settings: Option<InitialSettings>,
    /// Its first administrator (super admin and manager).
    admin: NewAdmin,
}

/// The settings an organization starts with: any field left out takes its default (USD, no tax,
/// UTC, amber after 5 minutes and red after 8 on the kitchen display, discounts above 10% need a
/// manager, one loyalty point per unit spent).
#[derive(Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(default)]
pub struct InitialSettings {
    /// ISO 4217 code, three uppercase letters.
    currency: String,
    /// Sales tax added to every order, in percent.
    tax_rate: brigade_domain::amount::Percent,
    /// IANA timezone: the organization's days, weeks and months.
    timezone: String,
    /// A ticket turns amber on the kitchen display after this many seconds.
    kitchen_amber_after_secs: u32,
    /// ...and red after this many.
    kitchen_red_after_secs: u32,
    /// Discounts above this percentage of the check need a manager.
    discount_limit: brigade_domain::amount::Percent,
    /// Loyalty points per whole unit of currency spent.
    #[schema(value_type = brigade_domain::schema::Figure)]
    loyalty_points_per_unit: rust_decimal::Decimal,
}

impl Default for InitialSettings {
    fn default() -> Self {
        Settings::default().into()
    }
}

impl From<Settings> for InitialSettings {
    fn from(s: Settings) -> Self {
        Self {
            currency: s.currency,
            tax_rate: s.tax_rate,
            timezone: s.timezone,
            kitchen_amber_after_secs: s.kitchen_amber_after_secs,
            kitchen_red_after_secs: s.kitchen_red_after_secs,
            discount_limit: s.discount_limit,
            loyalty_points_per_unit: s.loyalty_points_per_unit,
        }
    }
}

impl From<InitialSettings> for Settings {
    fn from(s: InitialSettings) -> Self {
        Self {
            currency: s.currency,
            tax_rate: s.tax_rate,
            timezone: s.timezone,
            kitchen_amber_after_secs: s.kitchen_amber_after_secs,
            kitchen_red_after_secs: s.kitchen_red_after_secs,
            discount_limit: s.discount_limit,
            loyalty_points_per_unit: s.loyalty_points_per_unit,
        }
    }
}

/// A first administrator.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdmin {
    /// Login name (3 to 64 of a-z, 0-9, '.', '_', '-').
    username: String,
    /// Display name.
    display_name: String,
    /// Password (10 to 256 characters).
    password: String,
}

/// What was created.
#[derive(Serialize, ToSchema)]
pub struct Bootstrapped {
    /// The organization's id.
    id: Uuid,
    /// The organization stream's version.
    version: u64,
    /// Global position of the last event written.
    position: i64,
    /// The administrator's user id.
    admin_id: Uuid,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
    Problem::invalid(field, message).into()
}

/// Creates an organization and its first administrator.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = Bootstrap,
    params(("X-Bootstrap-Secret" = Option<String>, Header, description = "Needed once an organization exists")),
    responses(
        (status = 201, description = "Created", body = Bootstrapped),
        (status = 401, description = "An organization exists and no X-Bootstrap-Secret was given", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An X-Bootstrap-Secret was given and it is not the server's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The username is taken", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
        (status = 422, description = "Invalid name, settings, username or password", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Body(body): Body<Bootstrap>,
) -> Result<(StatusCode, Json<Bootstrapped>), ApiError> {
    let presented = headers.get("x-bootstrap-secret").and_then(|v| v.to_str().ok());
    // One bootstrap at a time, so "no organization yet" cannot let two through.
    let section = state.store.exclusive("bootstrap").await?;
    let created = bootstrap(&state, presented, body).await;
    section.release().await;
    created
}

async fn bootstrap(
    state: &AppState,
    presented: Option<&str>,
    body: Bootstrap,
) -> Result<(StatusCode, Json<Bootstrapped>), ApiError> {
    let pool = state.store.pool();
    let configured = state.config.bootstrap_secret.as_deref();
    let matched = crate::auth::secret::matches(configured, presented);
    // A secret that was sent and is wrong is told apart from none sent: the operator mistyped it,
    // or the server has none configured (so none can be right).
    if presented.is_some() && !matched {
        let detail = if configured.is_some() {
            "X-Bootstrap-Secret does not match this server's bootstrap secret"
        } else {
            "this server has no bootstrap secret configured (BRIGADE_BOOTSTRAP_SECRET), so X-Bootstrap-Secret cannot match"
        };
        return Err(Problem::new(Kind::Forbidden, detail).into());
    }
    if !matched && state.store.any_event_of_type("organization.established").await? {
        return Err(ApiError::unauthorized(
            "an organization exists: bootstrapping another needs X-Bootstrap-Secret",
        ));
    }
    let length = body.admin.password.chars().count();
    if !(10..=256).contains(&length) {
        return Err(invalid("admin.password", "must be 10 to 256 characters"));
    }
    let (tenant, admin) = (TenantId(Uuid::now_v7()), UserId(Uuid::now_v7()));
    let ctx = Context::new(
        Actor {
            user_id: admin,
            roles: vec![Role::SuperAdmin],
        },
        Utc::now(),
    );
    let establish = OrganizationCommand::Establish {
        name: body.name,
        settings: body.settings.map(Settings::from).unwrap_or_default(),
    };
    let organization = Organization::default().decide(&establish, &ctx).map_err(|e| {
        let field = match e.field() {
            None | Some("name") => "name".to_owned(),
            Some(setting) => format!("settings.{setting}"),
        };
        invalid(field, e.to_string())
    })?;
    let profile = UserProfile {
        username: body.admin.username,
        display_name: body.admin.display_name,
    };
    let first_admin = User::default()
        .decide(&UserCommand::CreateFirstAdmin { profile }, &ctx)
        .map_err(|e| invalid(format!("admin.{}", e.field().unwrap_or("username")), e.to_string()))?;
    let username = match first_admin.first() {
        Some(brigade_domain::user::UserEvent::Created { profile, .. }) => profile.username.clone(),
        _ => return Err(ApiError::internal("the first administrator was not created")),
    };
    let hash = password::hash(body.admin.password).await.map_err(ApiError::internal)?;
    // The login claims the username first (unique across the system).
    if !sessions::save_new_credential(pool, admin, tenant, &username, &hash).await? {
        return Err(Problem::new(Kind::UsernameTaken, format!("{username} is taken")).into());
    }
    let command_id = Uuid::now_v7();
    let meta = CommandMeta::direct(command_id, command_id, Some(admin));
    let appends = [
        StreamAppend::new(
            stream_id::<Organization>(tenant),
            ExpectedVersion::NoStream,
            &organization,
        ),
        StreamAppend::new(stream_id::<User>(admin), ExpectedVersion::NoStream, &first_admin),
    ];
    match state.store.tenant(tenant).append(&meta, &appends).await {
        Ok(outcome) => {
            let version = outcome.streams.first().map_or(0, |s| s.version);
            let position = outcome.positions.last().copied().unwrap_or_default();
            let created = Bootstrapped {
                id: tenant.0,
                version,
                position,
                admin_id: admin.0,
            };
            Ok((StatusCode::CREATED, Json(created)))
        }
        Err(e) => {
            let _ = sessions::forget_credential(pool, admin).await;
            Err(ApiError::internal(e))
        }
    }
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new().add(routes!(create), Public)
}
