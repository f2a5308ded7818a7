//! `/api/v1/auth`: log in, refresh, log out, and the caller's profile.

use crate::access::Access::{AnyUser, Public};
use crate::auth::extract::Caller;
use crate::auth::{password, sessions, tokens};
use crate::error::ApiError;
use crate::http::body::Body;
use crate::http::problem::Problem;
use crate::http::responses::JsonBodyErrors;
use crate::routes::Routes;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::ids::{TenantId, UserId};
use brigade_domain::stream_id;
use brigade_domain::user::{User, UserStatus};
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
    /// Password.
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

/// This module's routes, each with who may call it.
pub fn routes() -> Routes {
    Routes::new()
        .add(routes!(login), Public)
        .add(routes!(refresh), Public)
        .add(routes!(logout), Public)
        .add(routes!(profile), AnyUser)
}
