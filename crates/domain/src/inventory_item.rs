//! Inventory items: the catalog entry of an ingredient or bought-in product. Stock quantities live
//! in the item's stock ledger (`stock.rs`), so catalog edits never contend with stock movements.

use crate::actor::{Context, Role};
use crate::aggregate::{Aggregate, EventPayload};
use crate::amount::Quantity;
use crate::catalog::{InventoryCategory, TextError, UnitOfMeasure, text};
use crate::ids::InventoryItemId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The editable description of an inventory item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemDetails {
    /// Display name.
    pub name: String,
    /// Food, beverage or supplies.
    pub category: InventoryCategory,
    /// Raise an alert when on-hand stock falls below this.
    pub minimum_stock: Quantity,
    /// Optional ceiling for ordering.
    pub maximum_stock: Option<Quantity>,
}

/// Commands on an inventory item.
#[derive(Clone, Debug, PartialEq)]
pub enum InventoryItemCommand {
    /// Adds the item to the catalog. The caller also claims the SKU (see [`SkuClaim`]) in the
    /// same atomic append, which is what keeps SKUs unique per organization.
    Register {
        /// Stock keeping unit as printed on labels.
        sku: String,
        /// The unit quantities are counted in; fixed once registered.
        unit: UnitOfMeasure,
        /// Name, category, minimum and maximum.
        details: ItemDetails,
    },
    /// Replaces the editable details.
    Update {
        /// The new details.
        details: ItemDetails,
    },
}

/// Events of an inventory item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum InventoryItemEvent {
    /// The item is in the catalog.
    #[serde(rename = "inventory_item.registered")]
    Registered {
        /// Normalized SKU (uppercase).
        sku: String,
        /// Unit of measure.
        unit: UnitOfMeasure,
        /// Name, category, minimum and maximum.
        details: ItemDetails,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// The details changed.
    #[serde(rename = "inventory_item.updated")]
    Updated {
        /// The new details.
        details: ItemDetails,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for InventoryItemEvent {}

/// Why an inventory item command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InventoryItemError {
    /// Register on an existing item.
    #[error("the inventory item already exists")]
    AlreadyRegistered,
    /// Update before register.
    #[error("the inventory item does not exist")]
    NotFound,
    /// Only stock and procurement roles maintain the catalog.
    #[error("only a manager, stock controller or procurement manager may maintain inventory items")]
    NotAllowed,
    /// SKU syntax.
    #[error("sku must be 1-64 letters, digits, '-', '_' or '.'")]
    BadSku,
    /// Name text.
    #[error("name {0}")]
    BadName(TextError),
    /// Maximum below minimum.
    #[error("maximum stock must not be below minimum stock")]
    MaximumBelowMinimum,
}

/// Normalizes a SKU for uniqueness: trimmed and uppercased, so `ab-1` and `AB-1` are one SKU.
pub fn normalize_sku(sku: &str) -> Result<String, InventoryItemError> {
    let s = sku.trim().to_ascii_uppercase();
    let ok = !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok { Ok(s) } else { Err(InventoryItemError::BadSku) }
}

fn checked_details(details: &ItemDetails) -> Result<ItemDetails, InventoryItemError> {
    let name = text(&details.name, 120).map_err(InventoryItemError::BadName)?;
    if details.maximum_stock.is_some_and(|max| max < details.minimum_stock) {
        return Err(InventoryItemError::MaximumBelowMinimum);
    }
    Ok(ItemDetails {
        name,
        ..details.clone()
    })
}

/// An inventory item's catalog state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InventoryItem {
    /// Normalized SKU; `None` until registered.
    pub sku: Option<String>,
    /// Unit of measure.
    pub unit: Option<UnitOfMeasure>,
    /// Current details.
    pub details: Option<ItemDetails>,
}

const CATALOG_ROLES: &[Role] = &[Role::Manager, Role::StockController, Role::ProcurementManager];

impl Aggregate for InventoryItem {
    const CATEGORY: &'static str = "inventory_item";
    type Command = InventoryItemCommand;
    type Event = InventoryItemEvent;
    type Error = InventoryItemError;

    fn decide(
        &self,
        command: &InventoryItemCommand,
        ctx: &Context,
    ) -> Result<Vec<InventoryItemEvent>, InventoryItemError> {
        if !ctx.actor.has_any(CATALOG_ROLES) {
            return Err(InventoryItemError::NotAllowed);
        }
        match command {
            InventoryItemCommand::Register { sku, unit, details } => {
                if self.sku.is_some() {
                    return Err(InventoryItemError::AlreadyRegistered);
                }
                let sku = normalize_sku(sku)?;
                let details = checked_details(details)?;
                Ok(vec![InventoryItemEvent::Registered {
                    sku,
                    unit: unit.clone(),
                    details,
                    at: ctx.at,
                }])
            }
            InventoryItemCommand::Update { details } => {
                if self.sku.is_none() {
                    return Err(InventoryItemError::NotFound);
                }
                let details = checked_details(details)?;
                if self.details.as_ref() == Some(&details) {
                    return Ok(vec![]);
                }
                Ok(vec![InventoryItemEvent::Updated { details, at: ctx.at }])
            }
        }
    }

    fn evolve(&mut self, event: &InventoryItemEvent) {
        match event {
            InventoryItemEvent::Registered { sku, unit, details, .. } => {
                self.sku = Some(sku.clone());
                self.unit = Some(unit.clone());
                self.details = Some(details.clone());
            }
            InventoryItemEvent::Updated { details, .. } => self.details = Some(details.clone()),
        }
    }
}

/// The claim on one SKU within an organization (stream `inventory_sku-<SKU>`). Appended with the
/// expectation "no stream" together with the item's registration, so two items can never share a
/// SKU even when registered at the same instant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkuClaim {
    /// The item holding the SKU.
    pub holder: Option<InventoryItemId>,
}

/// Claim a SKU for an item.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimSku {
    /// The item that will hold it.
    pub item: InventoryItemId,
}

/// Events of a SKU claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum SkuClaimEvent {
    /// The SKU now belongs to the item.
    #[serde(rename = "inventory_sku.claimed")]
    Claimed {
        /// The holder.
        inventory_item_id: InventoryItemId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for SkuClaimEvent {}

/// The SKU is already held.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("sku is already used by inventory item {holder}")]
pub struct SkuTaken {
    /// The item holding it.
    pub holder: InventoryItemId,
}

impl Aggregate for SkuClaim {
    const CATEGORY: &'static str = "inventory_sku";
    type Command = ClaimSku;
    type Event = SkuClaimEvent;
    type Error = SkuTaken;

    fn decide(&self, command: &ClaimSku, ctx: &Context) -> Result<Vec<SkuClaimEvent>, SkuTaken> {
        match self.holder {
            Some(holder) => Err(SkuTaken { holder }),
            None => Ok(vec![SkuClaimEvent::Claimed {
                inventory_item_id: command.item,
                at: ctx.at,
            }]),
        }
    }

    fn evolve(&mut self, event: &SkuClaimEvent) {
        let SkuClaimEvent::Claimed { inventory_item_id, .. } = event;
        self.holder = Some(*inventory_item_id);
    }
}
