//! `/api/v1/organizations/{id}/...` and `/api/v1/auth/register`: an organization's settings and
//! its users. Managers add users (active at once) or approve those who registered with the
//! organization's invite code (pending until then); they change roles and deactivate. Every such
//! action is an event of the user's stream naming who did it. `{id}` must be the caller's own
//! organization: another one is 404.

pub mod bootstrap;

use crate::access::Access;
use crate::access::MANAGERS;
use crate::auth::extract::Caller;
use crate::auth::{password, sessions};
use crate::commands::{CommandRequest, Written, refused};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::problem::{Kind, Problem};
use crate::http::responses::{CallerErrors, CommandErrors, JsonBodyErrors, ReadErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{Created, Done, ListQuery, Page, Versioned, created, done, from_stream, page_of_streams};
use axum::Json;
use axum::extract::{Path, Query, State};
use brigade_domain::ids::{TenantId, UserId};
use brigade_domain::organization::{Organization, OrganizationCommand, Settings};
use brigade_domain::user::{User, UserCommand, UserEvent, UserProfile};
use brigade_domain::{Actor, Aggregate, Context, Role, stream_id};
use brigade_eventstore::{CommandMeta, ExpectedVersion, StreamAppend};
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
    params(("id" = Uuid, Path, description = "The caller's organization"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
    /// Roles.
    roles: Vec<Role>,
}

/// A registration with an invite code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The organization's invite code (a manager reads it from the settings).
    invite_code: String,
    /// Login name.
    username: String,
    /// Display name.
    display_name: String,
    /// Password (10 to 256 characters).
    password: String,
}

/// Roles to grant.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// Roles.
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

/// A new password (in the body's `field`) is 10 to 256 characters.
fn password_ok(field: &str, password: &str) -> Result<(), ApiError> {
    if (10..=256).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(Problem::invalid(field, "must be 10 to 256 characters").into())
    }
}

/// The username a creating user event records (normalized by the domain).
fn username_of(events: &[UserEvent]) -> Option<String> {
    events.iter().find_map(|e| match e {
        UserEvent::Created { profile, .. } | UserEvent::SignedUp { profile, .. } => Some(profile.username.clone()),
        _ => None,
    })
}

/// Claims the username's login, then runs `append`; the login is released if nothing was written.
async fn with_login<F, Fut>(
    state: &AppState,
    user: UserId,
    tenant: TenantId,
    username: &str,
    password: String,
    append: F,
) -> Created
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Written, ApiError>>,
{
    let hash = password::hash(password).await.map_err(ApiError::internal)?;
    if !sessions::save_new_credential(state.store.pool(), user, tenant, username, &hash).await? {
        return Err(Problem::new(Kind::UsernameTaken, format!("{username} is taken")).into());
    }
    let written = append().await;
    if written.is_err() {
        if let Err(e) = sessions::forget_credential(state.store.pool(), user).await {
            tracing::error!(%e, "a login claimed for a user who was not created stays claimed");
        }
    }
    created(written)
}

/// Adds a user, active at once (managers).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/users", tag = "organizations", request_body = NewUser, security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The caller's organization"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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

/// Registers with an invite code: the account is pending until a manager approves it.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = Registration,
    responses((status = 201, description = "Registered, pending approval", body = Written),
              (status = 404, description = "No organization has that invite code", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Username taken", body = Problem, content_type = "application/problem+json"),
              JsonBodyErrors))]
pub async fn register(State(state): State<Arc<AppState>>, Body(body): Body<Registration>) -> Created {
    let no_such = || ApiError::from(Problem::not_found("no organization has that invite code"));
    let tenant = state.keys.invited_to(&body.invite_code).ok_or_else(no_such)?;
    let organization = stream_id::<Organization>(tenant);
    if state.store.tenant(tenant).stream_version(&organization).await? == 0 {
        return Err(no_such());
    }
    password_ok("password", &body.password)?;
    let user = UserId(Uuid::now_v7());
    let ctx = Context::new(
        Actor {
            user_id: user,
            roles: vec![],
        },
        Utc::now(),
    );
    let command = UserCommand::SignUp {
        profile: UserProfile {
            username: body.username,
            display_name: body.display_name,
        },
    };
    let events = match User::default().decide(&command, &ctx) {
        Ok(events) => events,
        Err(refusal) => return Err(refused(&refusal)),
    };
    let username = username_of(&events).unwrap_or_default();
    let append = || async {
        let command_id = Uuid::now_v7();
        let meta = CommandMeta::direct(command_id, command_id, Some(user));
        let stream = stream_id::<User>(user);
        let appends = [StreamAppend::new(&stream, ExpectedVersion::NoStream, &events)];
        match state.store.tenant(tenant).append(&meta, &appends).await {
            Ok(outcome) => Ok(Written {
                id: user.0,
                version: outcome.version_of(&stream).unwrap_or(1),
                position: outcome.last_position().unwrap_or_default(),
            }),
            Err(e) => Err(ApiError::internal(e)),
        }
    };
    with_login(&state, user, tenant, &username, body.password, append).await
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
    params(("id" = Uuid, Path, description = "The caller's organization"), ("user_id" = Uuid, Path, description = "The user"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
    params(("id" = Uuid, Path, description = "The caller's organization"), ("user_id" = Uuid, Path, description = "The user"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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
    params(("id" = Uuid, Path, description = "The caller's organization"), ("user_id" = Uuid, Path, description = "The user"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry of this request safe")),
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

/// A change to one's own profile.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// New display name.
    display_name: Option<String>,
    /// To change the password: the current one...
    current_password: Option<String>,
    /// ...and the new one (10 to 256 characters). Other sessions are ended.
    new_password: Option<String>,
}

/// Changes the caller's display name and/or password.
#[utoipa::path(put, path = "/api/v1/auth/profile", tag = "auth", request_body = ProfileChange, security(("bearer" = [])),
    responses((status = 200, description = "Changed", body = Written), JsonBodyErrors, CallerErrors, CommandErrors))]
pub async fn change_profile(
    State(state): State<Arc<AppState>>,
    request: CommandRequest,
    Body(body): Body<ProfileChange>,
) -> Done {
    let me = request.caller().0.sub;
    match (&body.current_password, &body.new_password) {
        (None, None) => {}
        (Some(current), Some(new)) => {
            password_ok("new_password", new)?;
            let pool = state.store.pool();
            let stored = match sessions::password_hash_of(pool, me).await {
                Ok(stored) => stored,
                Err(e) => return Err(ApiError::internal(e)),
            };
            if password::verify(current.clone(), stored).await {
                let hash = match password::hash(new.clone()).await {
                    Ok(hash) => hash,
                    Err(e) => return Err(ApiError::internal(e)),
                };
                if let Err(e) = sessions::set_password(pool, me, &hash, Utc::now()).await {
                    return Err(ApiError::internal(e));
                }
            } else {
                {
                    let detail = "current_password is not the account's password";
                    return Err(Problem::new(Kind::WrongPassword, detail).into());
                }
            }
        }
        (Some(_), None) => {
            return Err(Problem::invalid("new_password", "missing: give it with current_password").into());
        }
        (None, Some(_)) => {
            return Err(Problem::invalid("current_password", "missing: give it with new_password").into());
        }
    }
    // Without a new name this renames to the current one: no event, and the answer is the user
    // stream's version and position as they stand.
    let display_name = match body.display_name {
        Some(name) => name,
        None => current_name(&state, &request).await,
    };
    done(
        request
            .run::<User>(&state, me.0, UserCommand::Rename { display_name })
            .await,
    )
}

async fn current_name(state: &AppState, request: &CommandRequest) -> String {
    let me = request.caller().0.sub;
    request
        .store(state)
        .load::<User>(&stream_id::<User>(me))
        .await
        .ok()
        .and_then(|u| u.state.profile)
        .map(|p| p.display_name)
        .unwrap_or_default()
}

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    bootstrap::routes()
        .add(routes!(settings), Access::AnyUser)
        .add(routes!(change_settings), Access::Roles(MANAGERS))
        .add(routes!(add_user), Access::Roles(MANAGERS))
        .add(routes!(register), Access::Public)
        .add(routes!(users), Access::Roles(MANAGERS))
        .add(routes!(approve), Access::Roles(MANAGERS))
        .add(routes!(change_user), Access::Roles(MANAGERS))
        .add(routes!(deactivate), Access::Roles(MANAGERS))
        .add(routes!(change_profile), Access::AnyUser)
}
