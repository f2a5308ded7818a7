//! Menu items: price, station and recipe. Repricing and recipe changes are events; orders copy the
//! price and recipe at the moment they are placed, so past sales keep what they were sold at.

use crate::actor::{Context, Role};
use crate::aggregate::{Aggregate, DecodeError, EventPayload};
use crate::amount::{Money, Quantity};
use crate::catalog::{MenuCategory, Station, TextError, text};
use crate::ids::{InventoryItemId, MenuItemId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One ingredient of a recipe: how much of an inventory item one portion uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecipeLine {
    /// The ingredient.
    pub inventory_item_id: InventoryItemId,
    /// Quantity per portion, in the item's unit.
    pub quantity: Quantity,
}

/// What a menu item is on offer as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MenuItemDetails {
    /// Display name.
    pub name: String,
    /// Food or beverage.
    pub category: MenuCategory,
    /// Selling price per portion, before tax.
    pub sell_price: Money,
    /// The station that prepares it.
    pub station: Station,
    /// Ingredients per portion.
    pub recipe: Vec<RecipeLine>,
}

/// A menu item as an order sees it at the moment it is placed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MenuItemSnapshot {
    /// The item.
    pub menu_item_id: MenuItemId,
    /// Its details at that moment.
    #[serde(flatten)]
    pub details: MenuItemDetails,
}

/// Commands on a menu item.
#[derive(Clone, Debug, PartialEq)]
pub enum MenuItemCommand {
    /// Puts a new item on the menu.
    Add(MenuItemDetails),
    /// Replaces the details; each changed aspect becomes its own event.
    Update(MenuItemDetails),
    /// Takes the item off the menu (orders can no longer include it).
    Withdraw,
    /// Puts a withdrawn item back.
    Restore,
}

/// Events of a menu item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum MenuItemEvent {
    /// On the menu. Schema v2 (v1 called the price `price`).
    #[serde(rename = "menu_item.added")]
    Added {
        /// Name, category, price, station and recipe.
        #[serde(flatten)]
        details: MenuItemDetails,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// New name or category.
    #[serde(rename = "menu_item.renamed")]
    Renamed {
        /// The name people see on screens, tickets and receipts.
        name: String,
        /// Its category, as the reports group it.
        category: MenuCategory,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// New price; orders placed from now on use it.
    #[serde(rename = "menu_item.repriced")]
    Repriced {
        /// New price.
        sell_price: Money,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// New station routing.
    #[serde(rename = "menu_item.station_changed")]
    StationChanged {
        /// New station.
        station: Station,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// New recipe; orders placed from now on consume it.
    #[serde(rename = "menu_item.recipe_changed")]
    RecipeChanged {
        /// New recipe.
        recipe: Vec<RecipeLine>,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Off the menu.
    #[serde(rename = "menu_item.withdrawn")]
    Withdrawn {
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Back on the menu.
    #[serde(rename = "menu_item.restored")]
    Restored {
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for MenuItemEvent {
    fn schema_version(event_type: &str) -> i32 {
        if event_type == "menu_item.added" { 2 } else { 1 }
    }

    fn upcast_step(event_type: &str, from_version: i32, payload: Value) -> Result<Value, DecodeError> {
        match (event_type, from_version, payload) {
            ("menu_item.added", 1, Value::Object(mut map)) => {
                if let Some(price) = map.remove("price") {
                    map.insert("sell_price".into(), price);
                }
                Ok(Value::Object(map))
            }
            (t, v, _) => Err(DecodeError::UnsupportedVersion {
                event_type: t.to_owned(),
                version: v,
            }),
        }
    }
}

/// Why a menu item command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MenuItemError {
    /// Add twice.
    #[error("the menu item already exists")]
    AlreadyAdded,
    /// Command before add.
    #[error("the menu item does not exist")]
    NotFound,
    /// Ordering a withdrawn item, or changing one.
    #[error("the menu item is withdrawn from the menu")]
    Withdrawn,
    /// Restore on an item on offer.
    #[error("the menu item is already on the menu")]
    NotWithdrawn,
    /// Only managers and processing staff (who own recipes) edit the menu.
    #[error("only a manager or processing staff may edit the menu")]
    NotAllowed,
    /// Bad name.
    #[error("name {0}")]
    BadName(TextError),
    /// A recipe line with zero quantity.
    #[error("recipe quantities must be more than zero")]
    ZeroRecipeQuantity,
    /// The same ingredient twice.
    #[error("recipe lists inventory item {0} twice")]
    DuplicateIngredient(InventoryItemId),
}

fn checked(details: &MenuItemDetails) -> Result<MenuItemDetails, MenuItemError> {
    let name = text(&details.name, 120).map_err(MenuItemError::BadName)?;
    let mut seen = std::collections::BTreeSet::new();
    for line in &details.recipe {
        if !line.quantity.is_positive() {
            return Err(MenuItemError::ZeroRecipeQuantity);
        }
        if !seen.insert(line.inventory_item_id) {
            return Err(MenuItemError::DuplicateIngredient(line.inventory_item_id));
        }
    }
    Ok(MenuItemDetails {
        name,
        ..details.clone()
    })
}

/// A menu item's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MenuItem {
    /// Details; `None` until added.
    pub details: Option<MenuItemDetails>,
    /// Whether orders may include it.
    pub withdrawn: bool,
}

impl MenuItem {
    /// What an order copies when it includes this item: refused for unknown or withdrawn items.
    pub fn offer(&self, menu_item_id: MenuItemId) -> Result<MenuItemSnapshot, MenuItemError> {
        match &self.details {
            None => Err(MenuItemError::NotFound),
            Some(_) if self.withdrawn => Err(MenuItemError::Withdrawn),
            Some(details) => Ok(MenuItemSnapshot {
                menu_item_id,
                details: details.clone(),
            }),
        }
    }
}

impl Aggregate for MenuItem {
    const CATEGORY: &'static str = "menu_item";
    type Command = MenuItemCommand;
    type Event = MenuItemEvent;
    type Error = MenuItemError;

    fn decide(&self, command: &MenuItemCommand, ctx: &Context) -> Result<Vec<MenuItemEvent>, MenuItemError> {
        if !ctx.actor.has_any(&[Role::Manager, Role::ProcessingStaff]) {
            return Err(MenuItemError::NotAllowed);
        }
        let at = ctx.at;
        let current = match (command, &self.details) {
            (MenuItemCommand::Add(d), None) => {
                return Ok(vec![MenuItemEvent::Added {
                    details: checked(d)?,
                    at,
                }]);
            }
            (MenuItemCommand::Add(_), Some(_)) => return Err(MenuItemError::AlreadyAdded),
            (_, None) => return Err(MenuItemError::NotFound),
            (_, Some(current)) => current,
        };
        match command {
            MenuItemCommand::Add(_) => Err(MenuItemError::AlreadyAdded),
            MenuItemCommand::Withdraw if self.withdrawn => Err(MenuItemError::Withdrawn),
            MenuItemCommand::Withdraw => Ok(vec![MenuItemEvent::Withdrawn { at }]),
            MenuItemCommand::Restore if !self.withdrawn => Err(MenuItemError::NotWithdrawn),
            MenuItemCommand::Restore => Ok(vec![MenuItemEvent::Restored { at }]),
            MenuItemCommand::Update(_) if self.withdrawn => Err(MenuItemError::Withdrawn),
            MenuItemCommand::Update(d) => {
                let new = checked(d)?;
                let mut events = vec![];
                if new.name != current.name || new.category != current.category {
                    events.push(MenuItemEvent::Renamed {
                        name: new.name,
                        category: new.category,
                        at,
                    });
                }
                if new.sell_price != current.sell_price {
                    events.push(MenuItemEvent::Repriced {
                        sell_price: new.sell_price,
                        at,
                    });
                }
                if new.station != current.station {
                    events.push(MenuItemEvent::StationChanged {
                        station: new.station,
                        at,
                    });
                }
                if new.recipe != current.recipe {
                    events.push(MenuItemEvent::RecipeChanged { recipe: new.recipe, at });
                }
                Ok(events)
            }
        }
    }

    fn evolve(&mut self, event: &MenuItemEvent) {
        if let MenuItemEvent::Added { details, .. } = event {
            self.details = Some(details.clone());
            return;
        }
        let Some(d) = self.details.as_mut() else { return };
        match event {
            MenuItemEvent::Added { .. } => {}
            MenuItemEvent::Renamed { name, category, .. } => {
                d.name = name.clone();
                d.category = *category;
            }
            MenuItemEvent::Repriced { sell_price, .. } => d.sell_price = *sell_price,
            MenuItemEvent::StationChanged { station, .. } => d.station = station.clone(),
            MenuItemEvent::RecipeChanged { recipe, .. } => d.recipe = recipe.clone(),
            MenuItemEvent::Withdrawn { .. } => self.withdrawn = true,
            MenuItemEvent::Restored { .. } => self.withdrawn = false,
        }
    }
}
