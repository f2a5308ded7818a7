//! A person who works with the system, in one organization: their login name, display name,
//! roles, and whether they may log in (`pending` until a manager approves a self-registration,
//! `active`, `deactivated`). Every change is an event saying who made it, so the record of admin
//! actions on users is the stream itself.
//!
//! Credentials are not here: a password hash does not belong in an append-only log that cannot
//! forget it. The API keeps them beside the store, keyed by the user's id.

use crate::actor::{Context, Role};
use crate::aggregate::{Aggregate, EventPayload};
use crate::catalog::{TextError, text};
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether a user may log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Registered with an invite code, waiting for a manager.
    Pending,
    /// May log in.
    Active,
    /// May not log in any more (kept: their past actions name them).
    Deactivated,
}

/// The state's name as the API and the events spell it (`active`), so that a refusal
/// names it in the client's words, not the code's.
impl std::fmt::Display for UserStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::wire::write_name(self, f)
    }
}

/// Who a user is to the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserProfile {
    /// Login name: 3 to 64 of `a-z 0-9 . _ -`, unique across the system.
    pub username: String,
    /// Name shown on screens and receipts.
    pub display_name: String,
}

/// Commands on a user.
#[derive(Clone, Debug, PartialEq)]
pub enum UserCommand {
    /// A manager adds a user, active at once, with roles.
    Create {
        /// The new user's id.
        user_id: UserId,
        /// Name and contact details.
        profile: UserProfile,
        /// Roles (at least one).
        roles: Vec<Role>,
    },
    /// The first administrator of a new organization (the bootstrap; no one to approve it). The
    /// context's actor is the new user.
    CreateFirstAdmin {
        /// Name and contact details.
        profile: UserProfile,
    },
    /// Someone registers with the organization's invite code; pending until approved. The
    /// context's actor is the new user.
    SignUp {
        /// Name and contact details.
        profile: UserProfile,
    },
    /// A manager lets a pending user in, with roles.
    Approve {
        /// Roles (at least one).
        roles: Vec<Role>,
    },
    /// A manager changes an active user's roles.
    ChangeRoles {
        /// The new roles (at least one).
        roles: Vec<Role>,
    },
    /// A manager takes away a user's access.
    Deactivate,
    /// The user (or a manager) changes the display name.
    Rename {
        /// New display name.
        display_name: String,
    },
}

/// Events of a user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum UserEvent {
    /// Added by a manager (or as the first administrator), active.
    #[serde(rename = "user.created")]
    Created {
        /// The user's id.
        user_id: UserId,
        /// Name and contact details.
        profile: UserProfile,
        /// The roles granted: what the user may do.
        roles: Vec<Role>,
        /// Who added them (themselves, for the first administrator).
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Registered with an invite code, pending.
    #[serde(rename = "user.signed_up")]
    SignedUp {
        /// The user's id.
        user_id: UserId,
        /// Name and contact details.
        profile: UserProfile,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Let in by a manager.
    #[serde(rename = "user.approved")]
    Approved {
        /// Roles granted.
        roles: Vec<Role>,
        /// Who approved.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Roles changed.
    #[serde(rename = "user.roles_changed")]
    RolesChanged {
        /// The new roles.
        roles: Vec<Role>,
        /// Who changed them.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Access taken away.
    #[serde(rename = "user.deactivated")]
    Deactivated {
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Display name changed.
    #[serde(rename = "user.renamed")]
    Renamed {
        /// New display name.
        display_name: String,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for UserEvent {}

/// Why a user command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UserError {
    /// Created or signed up twice.
    #[error("the user already exists")]
    AlreadyExists,
    /// Command before creation.
    #[error("the user does not exist")]
    NotFound,
    /// Only managers administer users.
    #[error("only a manager may administer users")]
    NotAllowed,
    /// Only a super admin may make a super admin.
    #[error("only a super admin may grant the super_admin role")]
    SuperAdminOnly,
    /// Active users need a role.
    #[error("a user needs at least one role")]
    NoRoles,
    /// Approve a user who is not pending; change one who is not active.
    #[error("the user is {0}")]
    WrongStatus(UserStatus),
    /// Locking oneself out.
    #[error("a manager cannot deactivate their own account")]
    SelfDeactivation,
    /// Bad login name.
    #[error("username must be 3 to 64 of a-z, 0-9, '.', '_', '-'")]
    BadUsername,
    /// Bad display name.
    #[error("display name: {0}")]
    BadDisplayName(TextError),
}

/// A user's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// The user's id; `None` until created.
    pub user_id: Option<UserId>,
    /// Profile; `None` until created.
    pub profile: Option<UserProfile>,
    /// Roles (empty while pending).
    pub roles: Vec<Role>,
    /// Login status; `None` until created.
    pub status: Option<UserStatus>,
}

impl UserProfile {
    fn checked(&self) -> Result<Self, UserError> {
        let username = self.username.trim().to_owned();
        let valid = (3..=64).contains(&username.len())
            && username
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(UserError::BadUsername);
        }
        let display_name = text(&self.display_name, 120).map_err(UserError::BadDisplayName)?;
        Ok(Self { username, display_name })
    }
}

/// Roles as granted: sorted, without repeats, at least one, super admin only by a super admin.
fn granted(roles: &[Role], ctx: &Context) -> Result<Vec<Role>, UserError> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(UserError::NoRoles);
    }
    if roles.contains(&Role::SuperAdmin) && !ctx.actor.roles.contains(&Role::SuperAdmin) {
        return Err(UserError::SuperAdminOnly);
    }
    Ok(roles)
}

impl Aggregate for User {
    const CATEGORY: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;

    fn decide(&self, command: &UserCommand, ctx: &Context) -> Result<Vec<UserEvent>, UserError> {
        let (by, at) = (ctx.by(), ctx.at);
        let admin = ctx.actor.is_manager();
        match (command, self.status) {
            (
                UserCommand::Create { .. } | UserCommand::CreateFirstAdmin { .. } | UserCommand::SignUp { .. },
                Some(_),
            ) => Err(UserError::AlreadyExists),
            (
                UserCommand::Create {
                    user_id,
                    profile,
                    roles,
                },
                None,
            ) => {
                if !admin {
                    return Err(UserError::NotAllowed);
                }
                let profile = profile.checked()?;
                let roles = granted(roles, ctx)?;
                let user_id = *user_id;
                Ok(vec![UserEvent::Created {
                    user_id,
                    profile,
                    roles,
                    by,
                    at,
                }])
            }
            (UserCommand::CreateFirstAdmin { profile }, None) => {
                let profile = profile.checked()?;
                let roles = vec![Role::SuperAdmin, Role::Manager];
                Ok(vec![UserEvent::Created {
                    user_id: by,
                    profile,
                    roles,
                    by,
                    at,
                }])
            }
            (UserCommand::SignUp { profile }, None) => {
                let profile = profile.checked()?;
                Ok(vec![UserEvent::SignedUp {
                    user_id: by,
                    profile,
                    at,
                }])
            }
            (_, None) => Err(UserError::NotFound),
            (UserCommand::Rename { display_name }, Some(status)) => {
                if !admin && self.user_id != Some(by) {
                    return Err(UserError::NotAllowed);
                }
                if status == UserStatus::Deactivated {
                    return Err(UserError::WrongStatus(status));
                }
                let display_name = text(display_name, 120).map_err(UserError::BadDisplayName)?;
                if self.profile.as_ref().is_some_and(|p| p.display_name == display_name) {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::Renamed { display_name, by, at }])
            }
            (_, Some(_)) if !admin => Err(UserError::NotAllowed),
            (UserCommand::Approve { roles }, Some(UserStatus::Pending)) => {
                let roles = granted(roles, ctx)?;
                Ok(vec![UserEvent::Approved { roles, by, at }])
            }
            (UserCommand::ChangeRoles { roles }, Some(UserStatus::Active)) => {
                let roles = granted(roles, ctx)?;
                // Taking super admin away is a super admin's decision too.
                if self.roles.contains(&Role::SuperAdmin) && !ctx.actor.roles.contains(&Role::SuperAdmin) {
                    return Err(UserError::SuperAdminOnly);
                }
                if roles == self.roles {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::RolesChanged { roles, by, at }])
            }
            (UserCommand::Deactivate, Some(UserStatus::Pending | UserStatus::Active)) => {
                if self.user_id == Some(by) {
                    return Err(UserError::SelfDeactivation);
                }
                if self.roles.contains(&Role::SuperAdmin) && !ctx.actor.roles.contains(&Role::SuperAdmin) {
                    return Err(UserError::SuperAdminOnly);
                }
                Ok(vec![UserEvent::Deactivated { by, at }])
            }
            (_, Some(status)) => Err(UserError::WrongStatus(status)),
        }
    }

    fn evolve(&mut self, event: &UserEvent) {
        match event {
            UserEvent::Created {
                user_id,
                profile,
                roles,
                ..
            } => {
                self.user_id = Some(*user_id);
                self.profile = Some(profile.clone());
                self.roles = roles.clone();
                self.status = Some(UserStatus::Active);
            }
            UserEvent::SignedUp { user_id, profile, .. } => {
                self.user_id = Some(*user_id);
                self.profile = Some(profile.clone());
                self.status = Some(UserStatus::Pending);
            }
            UserEvent::Approved { roles, .. } => {
                self.roles = roles.clone();
                self.status = Some(UserStatus::Active);
            }
            UserEvent::RolesChanged { roles, .. } => self.roles = roles.clone(),
            UserEvent::Deactivated { .. } => self.status = Some(UserStatus::Deactivated),
            UserEvent::Renamed { display_name, .. } => {
                if let Some(profile) = &mut self.profile {
                    profile.display_name = display_name.clone();
                }
            }
        }
    }
}
