//! Customers. Personal data lives only in the customer's own stream; orders refer to the id, so
//! a profile can be corrected (or erased, later) without touching order history.

use crate::actor::Context;
use crate::aggregate::{Aggregate, EventPayload};
use crate::catalog::{TextError, optional_text, text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A customer's profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomerProfile {
    /// Name as the customer gave it.
    pub name: String,
    /// Email, if given.
    pub email: Option<String>,
    /// Phone, if given.
    pub phone: Option<String>,
    /// Preferences and allergies, free text.
    pub preferences: Option<String>,
}

impl CustomerProfile {
    fn checked(&self) -> Result<Self, CustomerError> {
        let email = optional_text(self.email.as_deref(), 254).map_err(CustomerError::BadProfile)?;
        if let Some(e) = &email {
            let valid = e
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
            if !valid {
                return Err(CustomerError::BadEmail);
            }
        }
        Ok(Self {
            name: text(&self.name, 120).map_err(CustomerError::BadProfile)?,
            email,
            phone: optional_text(self.phone.as_deref(), 40).map_err(CustomerError::BadProfile)?,
            preferences: optional_text(self.preferences.as_deref(), 1000).map_err(CustomerError::BadProfile)?,
        })
    }
}

/// Commands on a customer.
#[derive(Clone, Debug, PartialEq)]
pub enum CustomerCommand {
    /// Creates the profile.
    Register(CustomerProfile),
    /// Replaces the profile.
    UpdateProfile(CustomerProfile),
}

/// Events of a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum CustomerEvent {
    /// The customer exists.
    #[serde(rename = "customer.registered")]
    Registered {
        /// Name and contact details.
        profile: CustomerProfile,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// The profile changed.
    #[serde(rename = "customer.profile_updated")]
    ProfileUpdated {
        /// New profile.
        profile: CustomerProfile,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for CustomerEvent {}

/// Why a customer command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CustomerError {
    /// Register twice.
    #[error("the customer already exists")]
    AlreadyRegistered,
    /// Update before register.
    #[error("the customer does not exist")]
    NotFound,
    /// Bad text.
    #[error("customer profile: {0}")]
    BadProfile(TextError),
    /// Not an email address.
    #[error("email is not an address of the form name@domain.tld")]
    BadEmail,
}

/// A customer's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Customer {
    /// Profile; `None` until registered.
    pub profile: Option<CustomerProfile>,
}

impl Aggregate for Customer {
    const CATEGORY: &'static str = "customer";
    type Command = CustomerCommand;
    type Event = CustomerEvent;
    type Error = CustomerError;

    fn decide(&self, command: &CustomerCommand, ctx: &Context) -> Result<Vec<CustomerEvent>, CustomerError> {
        match (command, &self.profile) {
            (CustomerCommand::Register(p), None) => Ok(vec![CustomerEvent::Registered {
                profile: p.checked()?,
                at: ctx.at,
            }]),
            (CustomerCommand::Register(_), Some(_)) => Err(CustomerError::AlreadyRegistered),
            (CustomerCommand::UpdateProfile(_), None) => Err(CustomerError::NotFound),
            (CustomerCommand::UpdateProfile(p), Some(current)) => {
                let profile = p.checked()?;
                if profile == *current {
                    return Ok(vec![]);
                }
                Ok(vec![CustomerEvent::ProfileUpdated { profile, at: ctx.at }])
            }
        }
    }

    fn evolve(&mut self, event: &CustomerEvent) {
        match event {
            CustomerEvent::Registered { profile, .. } | CustomerEvent::ProfileUpdated { profile, .. } => {
                self.profile = Some(profile.clone());
            }
        }
    }
}
