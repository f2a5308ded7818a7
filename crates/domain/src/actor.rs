//! Who is acting, with which roles, and the command context every decision receives.

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The roles of the seed's authorization matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, everywhere in the organization.
    SuperAdmin,
    /// Runs the restaurant: approves, cancels after send, grants large discounts.
    Manager,
    /// Raises and approves purchase orders; receives goods into procurement.
    ProcurementManager,
    /// Keeps the stock room: inventory, transfers, audits.
    StockController,
    /// Prepares ingredients (processing department).
    ProcessingStaff,
    /// Cooks and bumps tickets.
    KitchenStaff,
    /// Takes orders and payments.
    PosOperator,
    /// Reads the books; records expenses.
    Accountant,
}

/// The person behind a command, with the roles the API verified for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    /// The acting user.
    pub user_id: UserId,
    /// Their roles in the command's organization.
    pub roles: Vec<Role>,
}

impl Actor {
    /// True when the actor holds one of `roles`; a super admin holds them all.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| *r == Role::SuperAdmin || roles.contains(r))
    }

    /// True for managers (and super admins), who may override the limits staff work within.
    pub fn is_manager(&self) -> bool {
        self.has_any(&[Role::Manager])
    }
}

/// What every decision needs from outside: who acts, and when. The domain never reads a clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// The acting user and their roles.
    pub actor: Actor,
    /// The moment the command is decided.
    pub at: DateTime<Utc>,
}

impl Context {
    /// Shorthand for a context.
    pub fn new(actor: Actor, at: DateTime<Utc>) -> Self {
        Self { actor, at }
    }

    /// The acting user's id.
    pub fn by(&self) -> UserId {
        self.actor.user_id
    }
}
