//! Suppliers that purchase orders are raised against.

use crate::actor::{Context, Role};
use crate::aggregate::{Aggregate, EventPayload};
use crate::catalog::{TextError, optional_text, text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A supplier's editable profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupplierProfile {
    /// Trading name.
    pub name: String,
    /// Contact person, email or phone, as the buyer writes it.
    pub contact: Option<String>,
    /// Payment terms such as "net 30".
    pub payment_terms: Option<String>,
}

impl SupplierProfile {
    fn checked(&self) -> Result<Self, TextError> {
        Ok(Self {
            name: text(&self.name, 120)?,
            contact: optional_text(self.contact.as_deref(), 240)?,
            payment_terms: optional_text(self.payment_terms.as_deref(), 120)?,
        })
    }
}

/// Commands on a supplier.
#[derive(Clone, Debug, PartialEq)]
pub enum SupplierCommand {
    /// Adds the supplier.
    Register(SupplierProfile),
    /// Replaces the profile.
    Update(SupplierProfile),
    /// No new purchase orders may be raised against it.
    Deactivate,
}

/// Events of a supplier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum SupplierEvent {
    /// The supplier exists.
    #[serde(rename = "supplier.registered")]
    Registered {
        /// Name and contact details.
        profile: SupplierProfile,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// The profile changed.
    #[serde(rename = "supplier.updated")]
    Updated {
        /// New profile.
        profile: SupplierProfile,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// The supplier is no longer used.
    #[serde(rename = "supplier.deactivated")]
    Deactivated {
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for SupplierEvent {}

/// Why a supplier command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SupplierError {
    /// Register twice.
    #[error("the supplier already exists")]
    AlreadyRegistered,
    /// Command before register.
    #[error("the supplier does not exist")]
    NotFound,
    /// Deactivated suppliers are read-only.
    #[error("the supplier is deactivated")]
    Deactivated,
    /// Only procurement maintains suppliers.
    #[error("only a manager or procurement manager may maintain suppliers")]
    NotAllowed,
    /// Bad text.
    #[error("supplier profile: {0}")]
    BadProfile(TextError),
}

/// A supplier's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Supplier {
    /// Profile; `None` until registered.
    pub profile: Option<SupplierProfile>,
    /// Whether purchase orders may be raised against it.
    pub active: bool,
}

impl Aggregate for Supplier {
    const CATEGORY: &'static str = "supplier";
    type Command = SupplierCommand;
    type Event = SupplierEvent;
    type Error = SupplierError;

    fn decide(&self, command: &SupplierCommand, ctx: &Context) -> Result<Vec<SupplierEvent>, SupplierError> {
        if !ctx.actor.has_any(&[Role::Manager, Role::ProcurementManager]) {
            return Err(SupplierError::NotAllowed);
        }
        let at = ctx.at;
        match (command, &self.profile) {
            (SupplierCommand::Register(p), None) => {
                let profile = p.checked().map_err(SupplierError::BadProfile)?;
                Ok(vec![SupplierEvent::Registered { profile, at }])
            }
            (SupplierCommand::Register(_), Some(_)) => Err(SupplierError::AlreadyRegistered),
            (_, None) => Err(SupplierError::NotFound),
            (_, Some(_)) if !self.active => Err(SupplierError::Deactivated),
            (SupplierCommand::Update(p), Some(current)) => {
                let profile = p.checked().map_err(SupplierError::BadProfile)?;
                if profile == *current {
                    return Ok(vec![]);
                }
                Ok(vec![SupplierEvent::Updated { profile, at }])
            }
            (SupplierCommand::Deactivate, Some(_)) => Ok(vec![SupplierEvent::Deactivated { at }]),
        }
    }

    fn evolve(&mut self, event: &SupplierEvent) {
        match event {
            SupplierEvent::Registered { profile, .. } => {
                self.profile = Some(profile.clone());
                self.active = true;
            }
            SupplierEvent::Updated { profile, .. } => self.profile = Some(profile.clone()),
            SupplierEvent::Deactivated { .. } => self.active = false,
        }
    }
}
