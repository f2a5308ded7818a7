//! `/api/v1/auth`: log in, refresh, log out, the caller's profile (and password), and
//! registering with an organization's invite code (pending until a manager approves).

use crate::access::Access::{AnyUser, Public};
use crate::auth::accounts::{password_ok, username_of, with_login};
use crate::auth::extract::Caller;
use crate::auth::{password, sessions, tokens};
use crate::commands::{CommandRequest, Written, refused};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::problem::Kind;
use crate::http::problem::Problem;
use crate::http::responses::JsonBodyErrors;
use crate::http::responses::{CallerErrors, CommandErrors};
use crate::routes::Routes;
use crate::state::AppState;
use crate::views::{Created, Done, done};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::ids::{TenantId, UserId};
use brigade_domain::organization::Organization;
use brigade_domain::stream_id;
use brigade_domain::user::{User, UserStatus};
use brigade_domain::user::{UserCommand, UserProfile};
use brigade_domain::{Actor, Aggregate, Context};
use brigade_eventstore::{CommandMeta, ExpectedVersion, StreamAppend};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::routes;
use uuid::Uuid;

/// Username and password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Login name.
    username: String,
    /// The password (10 to 256 characters).
    password: String,
}

/// A refresh token, to rotate or to end.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshToken {
    /// The refresh token from the last login or refresh.
    refresh_token: String,
}

/// Who a user is.
#[derive(Serialize, ToSchema)]
pub struct Profile {
    /// User id.
    id: Uuid,
    /// Their organization.
    organization_id: Uuid,
    /// Login name.
    username: String,
    /// Display name.
    display_name: String,
    /// Roles in the organization.
    #[schema(example = json!(["kitchen_staff"]))]
    roles: Vec<brigade_domain::Role>,
}

/// A login: tokens and the profile.
#[derive(Serialize, ToSchema)]
pub struct Session {
    /// JWT for `Authorization: Bearer`, valid `expires_in` seconds.
    access_token: String,
    /// Opaque; exchange at `/api/v1/auth/refresh` (once: each use returns a new one).
    refresh_token: String,
    /// Always `Bearer`.
    token_type: String,
    /// Seconds the access token is valid.
    expires_in: i64,
    /// The user.
    user: Profile,
}

const BAD_LOGIN: &str = "invalid username or password";

/// The user, if they may log in.
async fn active_user(state: &AppState, user: UserId, tenant: TenantId) -> Result<Profile, ApiError> {
    let loaded = state
        .store
        .tenant(tenant)
        .load::<User>(&stream_id::<User>(user))
        .await
        .map_err(ApiError::internal)?;
    let (Some(profile), Some(status)) = (loaded.state.profile, loaded.state.status) else {
        return Err(ApiError::unauthorized(BAD_LOGIN));
    };
    match status {
        UserStatus::Active => Ok(Profile {
            id: user.0,
            organization_id: tenant.0,
            username: profile.username,
            display_name: profile.display_name,
            roles: loaded.state.roles,
        }),
        UserStatus::Pending => Err(ApiError::not_active("the account waits for a manager's approval")),
        UserStatus::Deactivated => Err(ApiError::not_active("the account is deactivated")),
    }
}

fn session(state: &AppState, profile: Profile, refresh_token: String) -> Result<Json<Session>, ApiError> {
    let access_token = state
        .keys
        .issue(
            UserId(profile.id),
            TenantId(profile.organization_id),
            profile.roles.clone(),
            Utc::now(),
        )
        .map_err(ApiError::internal)?;
    Ok(Json(Session {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: tokens::ACCESS_TTL.num_seconds(),
        user: profile,
    }))
}

/// Logs in with a username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Login,
    responses(
        (status = 200, description = "Logged in", body = Session),
        (status = 401, description = "Wrong username or password", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is pending or deactivated", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
    ))]
pub async fn login(State(state): State<Arc<AppState>>, Body(body): Body<Login>) -> Result<Json<Session>, ApiError> {
    let credential = sessions::credential(state.store.pool(), body.username.trim())
        .await
        .map_err(ApiError::internal)?;
    let hash = credential.as_ref().map(|c| c.password_hash.clone());
    if !password::verify(body.password, hash).await {
        return Err(ApiError::unauthorized(BAD_LOGIN));
    }
    let credential = credential.ok_or(ApiError::unauthorized(BAD_LOGIN))?;
    let (user, tenant) = (UserId(credential.user_id), TenantId(credential.tenant_id));
    let profile = active_user(&state, user, tenant).await?;
    let refresh_token = sessions::start(state.store.pool(), user, tenant, Utc::now())
        .await
        .map_err(ApiError::internal)?;
    session(&state, profile, refresh_token)
}

/// Exchanges a refresh token for a new pair (the old refresh token is spent; presenting it again
/// ends every session of that login).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshToken,
    responses(
        (status = 200, description = "New tokens", body = Session),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account was deactivated", body = Problem, content_type = "application/problem+json"),
        JsonBodyErrors,
    ))]
pub async fn refresh(
    State(state): State<Arc<AppState>>,
    Body(body): Body<RefreshToken>,
) -> Result<Json<Session>, ApiError> {
    let pool = state.store.pool();
    let (user, tenant, next) = match sessions::rotate(pool, &body.refresh_token, Utc::now())
        .await
        .map_err(ApiError::internal)?
    {
        Ok(rotated) => rotated,
        Err(sessions::RefreshError::Reused) => {
            return Err(ApiError::unauthorized(
                "the refresh token was used before: every session of this login is ended; log in again",
            ));
        }
        Err(sessions::RefreshError::Invalid) => {
            return Err(ApiError::unauthorized("the refresh token is invalid or expired"));
        }
    };
    match active_user(&state, user, tenant).await {
        Ok(profile) => session(&state, profile, next),
        Err(refused) => {
            // No session for an account that may no longer log in.
            let _ = sessions::end(pool, &next, Utc::now()).await;
            Err(refused)
        }
    }
}

/// Ends the login the refresh token belongs to.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshToken,
    responses(
        (status = 204, description = "Logged out (every refresh token of the login is revoked)"),
        JsonBodyErrors,
    ))]
pub async fn logout(
    State(state): State<Arc<AppState>>,
    Body(body): Body<RefreshToken>,
) -> Result<StatusCode, ApiError> {
    // Unknown tokens too: logging out twice is not an error, and the answer tells nothing.
    sessions::end(state.store.pool(), &body.refresh_token, Utc::now())
        .await
        .map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's profile.
#[utoipa::path(get, path = "/api/v1/auth/profile", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Profile),
        (status = 401, description = "No valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is no longer active", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn profile(State(state): State<Arc<AppState>>, Caller(claims): Caller) -> Result<Json<Profile>, ApiError> {
    active_user(&state, claims.sub, claims.org).await.map(Json)
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
    Routes::new()
        .add(routes!(register), Public)
        .add(routes!(change_profile), AnyUser)
        .add(routes!(login), Public)
        .add(routes!(refresh), Public)
        .add(routes!(logout), Public)
        .add(routes!(profile), AnyUser)
}
