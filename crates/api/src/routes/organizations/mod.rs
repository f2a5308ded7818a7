//! `/api/v1/organizations` (the bootstrap) and `/api/v1/organizations/{id}/...`: an
//! organization's settings and its users. Managers add users (active at once) or approve those who registered with the
//! organization's invite code (pending until then); they change roles and deactivate. Every such
//! action is an event of the user's stream naming who did it. `{id}` must be the caller's own
//! organization: another one is 404.

pub mod bootstrap;

use crate::access::Access;
use crate::access::MANAGERS;
use crate::auth::accounts::{password_ok, username_of, with_login};
use crate::auth::extract::Caller;
use crate::auth::sessions;
use crate::commands::{CommandRequest, Written, refused};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::problem::Problem;
use crate::http::responses::{CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{Created, Done, ListQuery, Page, Versioned, done, from_stream, page_of_streams};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::ids::UserId;
use brigade_domain::organization::{Organization, OrganizationCommand, Settings};
use brigade_domain::user::{User, UserCommand, UserProfile};
use brigade_domain::{Actor, Aggregate, Context, Role};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// 404 unless `id` is the caller's organization.
fn own(caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    if caller.0.org.0 == id {
        Ok(())
    } else {
        Err(Problem::not_found(format!("no organization {id}")).into())
    }
}

/// The organization's settings, and (to managers) its invite code.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/settings", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The caller's organization")),
    responses((status = 200, description = "Settings", body = OrganizationSettings), ReadErrors, CallerErrors))]
pub async fn settings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<OrganizationSettings>, ApiError> {
    own(&caller, id)?;
    let org = from_stream::<Organization>(&state, &caller, id, "organization").await?;
    let manager = caller
        .0
        .roles
        .iter()
        .any(|r| matches!(r, Role::Manager | Role::SuperAdmin));
    let invite_code = manager.then(|| state.keys.invite_code(caller.0.org));
    Ok(Json(OrganizationSettings {
        id,
        name: org.state.name.unwrap_or_default(),
        version: org.version,
        settings: org.state.settings,
        invite_code,
    }))
}

/// An organization's name and settings.
#[derive(Serialize, ToSchema)]
pub struct OrganizationSettings {
    /// The organization.
    id: Uuid,
    /// Its name.
    name: String,
    /// Its stream's version: send it back as `expected_version` to change the settings safely.
    version: u64,
    /// What decisions and reports depend on.
    settings: Settings,
    /// The code new staff register with (`POST /api/v1/auth/register`); shown to managers only.
    invite_code: Option<String>,
}

/// Replaces the organization's settings (managers).
#[utoipa::path(put, path = "/api/v1/organizations/{id}/settings", tag = "organizations", request_body = Settings, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The caller's organization")),
    responses((status = 200, description = "Changed", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn change_settings(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(settings): Body<Settings>,
) -> Done {
    own(request.caller(), id)?;
    let changed = request
        .run::<Organization>(&state, id, OrganizationCommand::ChangeSettings { settings })
        .await;
    state.reference.forget_settings(id);
    done(changed)
}

/// A new user, added by a manager.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "leo.grill", "display_name": "Leo", "password": "a long passphrase", "roles": ["kitchen_staff"]}))]
pub struct NewUser {
    /// Login name (3 to 64 of a-z, 0-9, '.', '_', '-'), unique across the system.
    username: String,
    /// Display name.
    display_name: String,
    /// Password (10 to 256 characters).
    password: String,
    /// The roles granted: what the user may do.
    roles: Vec<Role>,
}

/// Roles to grant.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// The roles granted: what the user may do.
    roles: Vec<Role>,
}

/// A change to a user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// New roles.
    #[schema(value_type = Option<Vec<String>>)]
    roles: Option<Vec<Role>>,
    /// New display name.
    display_name: Option<String>,
}

/// Adds a user, active at once (managers).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/users", tag = "organizations", request_body = NewUser, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The caller's organization")),
    responses((status = 201, description = "Added", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn add_user(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path(id): Path<Uuid>,
    Body(body): Body<NewUser>,
) -> Created {
    own(request.caller(), id)?;
    password_ok("password", &body.password)?;
    let user = UserId(request.new_id());
    let command = UserCommand::Create {
        user_id: user,
        profile: UserProfile {
            username: body.username,
            display_name: body.display_name,
        },
        roles: body.roles,
    };
    // Decided once here for the normalized username (and a refusal before any login is claimed).
    let claims = &request.caller().0;
    let ctx = Context::new(
        Actor {
            user_id: claims.sub,
            roles: claims.roles.clone(),
        },
        Utc::now(),
    );
    let username = match User::default().decide(&command, &ctx) {
        Ok(events) => username_of(&events).unwrap_or_default(),
        Err(refusal) => return Err(refused(&refusal)),
    };
    let append = || request.run::<User>(&state, user.0, command);
    with_login(&state, user, claims.org, &username, body.password, append).await
}

/// The organization's users, by id.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/users", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The caller's organization"), ListQuery),
    responses((status = 200, description = "A page of users", body = Page<Versioned<User>>), ReadErrors, CallerErrors))]
pub async fn users(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Page<Versioned<User>>>, ApiError> {
    own(&caller, id)?;
    page_of_streams::<User>(&state, &caller, &query, "user").await
}

/// Approves a pending user with roles (managers).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/users/{user_id}/approve", tag = "organizations", request_body = Roles, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The caller's organization"), ("user_id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "Approved", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn approve(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path((id, user)): Path<(Uuid, Uuid)>,
    Body(body): Body<Roles>,
) -> Done {
    own(request.caller(), id)?;
    done(
        request
            .run::<User>(&state, user, UserCommand::Approve { roles: body.roles })
            .await,
    )
}

/// Changes a user's roles and/or display name (managers).
#[utoipa::path(put, path = "/api/v1/organizations/{id}/users/{user_id}", tag = "organizations", request_body = UserChange, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The caller's organization"), ("user_id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "Changed", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn change_user(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path((id, user)): Path<(Uuid, Uuid)>,
    Body(body): Body<UserChange>,
) -> Done {
    own(request.caller(), id)?;
    if body.roles.is_none() && body.display_name.is_none() {
        return Err(Problem::invalid("body", "nothing to change: give roles, display_name or both").into());
    }
    let mut last = None;
    if let Some(display_name) = body.display_name {
        match request
            .run::<User>(&state, user, UserCommand::Rename { display_name })
            .await
        {
            Ok(w) => last = Some(w),
            Err(refused) => return Err(refused),
        }
    }
    if let Some(roles) = body.roles {
        let roles_change = request.next_command("roles");
        match roles_change
            .run::<User>(&state, user, UserCommand::ChangeRoles { roles })
            .await
        {
            Ok(w) => last = Some(w),
            Err(refused) => return Err(refused),
        }
    }
    done(last.ok_or_else(|| ApiError::internal("no change was run")))
}

/// Deactivates a user (managers; not oneself): their refresh tokens are revoked and their access
/// tokens refused from the next request on (within a second on other servers).
#[utoipa::path(delete, path = "/api/v1/organizations/{id}/users/{user_id}", tag = "organizations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The caller's organization"), ("user_id" = Uuid, Path, description = "The user")),
    responses((status = 200, description = "Deactivated", body = Written), CallerErrors, CommandErrors))]
pub async fn deactivate(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Path((id, user)): Path<(Uuid, Uuid)>,
) -> Done {
    own(request.caller(), id)?;
    let written = request.run::<User>(&state, user, UserCommand::Deactivate).await;
    if written.is_ok() {
        // The event is the record; this makes the user's live tokens stop working at once.
        if let Err(e) = sessions::deactivate(state.store.pool(), UserId(user), Utc::now()).await {
            return Err(ApiError::internal(e));
        }
        state.deactivated.add(UserId(user));
    }
    done(written)
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    bootstrap::routes()
        .add(routes!(settings), Access::AnyUser)
        .add(routes!(change_settings), Access::Roles(MANAGERS))
        .add(routes!(add_user), Access::Roles(MANAGERS))
        .add(routes!(users), Access::Roles(MANAGERS))
        .add(routes!(approve), Access::Roles(MANAGERS))
        .add(routes!(change_user), Access::Roles(MANAGERS))
        .add(routes!(deactivate), Access::Roles(MANAGERS))
}
