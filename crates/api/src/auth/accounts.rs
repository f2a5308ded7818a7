//! Accounts: the checks and the two-step write every way of creating a user shares (a manager
//! adding one, someone registering with an invite code, the bootstrap's first administrator):
//! the password's length, and the login claimed for the username before the user's stream is
//! written, released again if nothing was.

use crate::auth::{password, sessions};
use crate::commands::Written;
use crate::error::ApiError;
use crate::http::problem::{Kind, Problem};
use crate::state::AppState;
use crate::views::{Created, created};
use brigade_domain::ids::{TenantId, UserId};
use brigade_domain::user::UserEvent;

/// A new password (in the body's `field`) is 10 to 256 characters.
pub(crate) fn password_ok(field: &str, password: &str) -> Result<(), ApiError> {
    if (10..=256).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(Problem::invalid(field, "must be 10 to 256 characters").into())
    }
}

/// The username a creating user event records (normalized by the domain).
pub(crate) fn username_of(events: &[UserEvent]) -> Option<String> {
    events.iter().find_map(|e| match e {
        UserEvent::Created { profile, .. } | UserEvent::SignedUp { profile, .. } => Some(profile.username.clone()),
        _ => None,
    })
}

/// Claims the username's login, then runs `append`; the login is released if nothing was written.
pub(crate) async fn with_login<F, Fut>(
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
