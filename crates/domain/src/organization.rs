//! The organization (tenant) and the settings that decisions and reports need.

use crate::actor::{Context, Role};
use crate::aggregate::{Aggregate, EventPayload};
use crate::amount::Percent;
use crate::catalog::{TextError, text};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Settings that decisions (tax, discount limit) and reports (currency, timezone) depend on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// ISO 4217 code, three uppercase letters.
    pub currency: String,
    /// Sales tax added to every order placed while it is in force.
    pub tax_rate: Percent,
    /// IANA timezone: P&L days, weeks and months are this timezone's.
    pub timezone: String,
    /// A ticket turns amber on the kitchen display after this many seconds.
    pub kitchen_amber_after_secs: u32,
    /// ...and red after this many.
    pub kitchen_red_after_secs: u32,
    /// Discounts above this percentage of the check need a manager.
    pub discount_limit: Percent,
    /// Loyalty points a customer earns per whole unit of currency spent on closed orders.
    #[schema(value_type = crate::schema::Figure)]
    pub loyalty_points_per_unit: Decimal,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            currency: "USD".into(),
            tax_rate: Percent::ZERO,
            timezone: "UTC".into(),
            kitchen_amber_after_secs: 300,
            kitchen_red_after_secs: 480,
            discount_limit: Percent::new(Decimal::TEN).unwrap_or(Percent::ZERO),
            loyalty_points_per_unit: Decimal::ONE,
        }
    }
}

impl Settings {
    /// The timezone, parsed. Settings are validated before they are recorded, so this only falls
    /// back to UTC for events written by hand.
    pub fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(Tz::UTC)
    }

    fn validate(&self) -> Result<(), OrganizationError> {
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(OrganizationError::BadCurrency(self.currency.clone()));
        }
        if self.timezone.parse::<Tz>().is_err() {
            return Err(OrganizationError::BadTimezone(self.timezone.clone()));
        }
        if self.kitchen_amber_after_secs == 0 || self.kitchen_red_after_secs <= self.kitchen_amber_after_secs {
            return Err(OrganizationError::BadKitchenThresholds);
        }
        if self.loyalty_points_per_unit < Decimal::ZERO || self.loyalty_points_per_unit > Decimal::ONE_HUNDRED {
            return Err(OrganizationError::BadLoyaltyRate);
        }
        Ok(())
    }
}

/// Commands on an organization.
#[derive(Clone, Debug, PartialEq)]
pub enum OrganizationCommand {
    /// Creates the organization.
    Establish {
        /// Display name.
        name: String,
        /// Initial settings.
        settings: Settings,
    },
    /// Replaces the settings (PUT semantics).
    ChangeSettings {
        /// The new settings.
        settings: Settings,
    },
}

/// Events of an organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum OrganizationEvent {
    /// The organization exists.
    #[serde(rename = "organization.established")]
    Established {
        /// Display name.
        name: String,
        /// Initial settings.
        settings: Settings,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Settings changed; later orders use the new tax rate.
    #[serde(rename = "organization.settings_changed")]
    SettingsChanged {
        /// The new settings.
        settings: Settings,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for OrganizationEvent {}

/// Why an organization command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrganizationError {
    /// Establish on an existing organization.
    #[error("the organization already exists")]
    AlreadyEstablished,
    /// Any other command before establishment.
    #[error("the organization does not exist")]
    NotEstablished,
    /// Only managers change settings.
    #[error("only a manager may change the organization's settings")]
    ManagerRequired,
    /// Bad name.
    #[error("name {0}")]
    BadName(TextError),
    /// Not an ISO 4217 code.
    #[error("currency {0:?} is not a three-letter ISO 4217 code")]
    BadCurrency(String),
    /// Not an IANA timezone.
    #[error("timezone {0:?} is not an IANA timezone name")]
    BadTimezone(String),
    /// Amber must be positive and red later than amber.
    #[error("kitchen thresholds must satisfy 0 < amber < red")]
    BadKitchenThresholds,
    /// Loyalty rate out of 0..=100.
    #[error("loyalty points per unit must be between 0 and 100")]
    BadLoyaltyRate,
}

/// An organization's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Organization {
    /// Display name; `None` until established.
    pub name: Option<String>,
    /// Current settings.
    pub settings: Settings,
}

impl Aggregate for Organization {
    const CATEGORY: &'static str = "organization";
    type Command = OrganizationCommand;
    type Event = OrganizationEvent;
    type Error = OrganizationError;

    fn decide(
        &self,
        command: &OrganizationCommand,
        ctx: &Context,
    ) -> Result<Vec<OrganizationEvent>, OrganizationError> {
        match command {
            OrganizationCommand::Establish { name, settings } => {
                if self.name.is_some() {
                    return Err(OrganizationError::AlreadyEstablished);
                }
                let name = text(name, 120).map_err(OrganizationError::BadName)?;
                settings.validate()?;
                Ok(vec![OrganizationEvent::Established {
                    name,
                    settings: settings.clone(),
                    at: ctx.at,
                }])
            }
            OrganizationCommand::ChangeSettings { settings } => {
                if self.name.is_none() {
                    return Err(OrganizationError::NotEstablished);
                }
                if !ctx.actor.has_any(&[Role::Manager]) {
                    return Err(OrganizationError::ManagerRequired);
                }
                settings.validate()?;
                if *settings == self.settings {
                    return Ok(vec![]);
                }
                Ok(vec![OrganizationEvent::SettingsChanged {
                    settings: settings.clone(),
                    at: ctx.at,
                }])
            }
        }
    }

    fn evolve(&mut self, event: &OrganizationEvent) {
        match event {
            OrganizationEvent::Established { name, settings, .. } => {
                self.name = Some(name.clone());
                self.settings = settings.clone();
            }
            OrganizationEvent::SettingsChanged { settings, .. } => self.settings = settings.clone(),
        }
    }
}
