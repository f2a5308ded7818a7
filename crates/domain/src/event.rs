//! Any domain event, recognised by its stored type name. Projections and the replay CLI read the
//! global log through this; the category prefix of the type (`order.`) is the stream category.

use crate::aggregate::{DecodeError, EventPayload};
use crate::customer::CustomerEvent;
use crate::expense::ExpenseEvent;
use crate::inventory_item::{InventoryItemEvent, SkuClaimEvent};
use crate::menu_item::MenuItemEvent;
use crate::order::OrderEvent;
use crate::organization::OrganizationEvent;
use crate::purchase_order::PoEvent;
use crate::stock::StockEvent;
use crate::supplier::SupplierEvent;
use crate::transfer::TransferEvent;
use crate::user::UserEvent;
use serde_json::Value;

/// Any event of any aggregate. On the wire it is the aggregate's own event as stored, its type
/// name beside its data: `{"type": "order.placed", "data": {...}}`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum DomainEvent {
    /// An organization.
    Organization(OrganizationEvent),
    /// Inventory item catalog.
    InventoryItem(InventoryItemEvent),
    /// SKU claim.
    InventorySku(SkuClaimEvent),
    /// Stock ledger.
    Stock(StockEvent),
    /// A supplier.
    Supplier(SupplierEvent),
    /// Menu item.
    MenuItem(MenuItemEvent),
    /// A customer.
    Customer(CustomerEvent),
    /// Customer order.
    Order(OrderEvent),
    /// Purchase order.
    PurchaseOrder(PoEvent),
    /// Stock transfer.
    Transfer(TransferEvent),
    /// An expense.
    Expense(ExpenseEvent),
    /// A user.
    User(UserEvent),
}

macro_rules! dispatch {
    ($($prefix:literal => $variant:ident($ty:ty)),* $(,)?) => {
        impl DomainEvent {
            /// Decodes a stored event (upcasting older schema versions) by its type's category.
            pub fn decode(event_type: &str, schema_version: i32, payload: Value) -> Result<Self, DecodeError> {
                let category = event_type.split('.').next().unwrap_or_default();
                match category {
                    $($prefix => <$ty>::decode(event_type, schema_version, payload).map(DomainEvent::$variant),)*
                    _ => Err(DecodeError::UnknownType(event_type.to_owned())),
                }
            }

            /// Decodes a stored event from its JSON text (see `EventPayload::decode_str`).
            pub fn decode_str(event_type: &str, schema_version: i32, payload: &str) -> Result<Self, DecodeError> {
                let category = event_type.split('.').next().unwrap_or_default();
                match category {
                    $($prefix => <$ty>::decode_str(event_type, schema_version, payload).map(DomainEvent::$variant),)*
                    _ => Err(DecodeError::UnknownType(event_type.to_owned())),
                }
            }

            /// Stored type name, current schema version and payload.
            pub fn encode(&self) -> (String, i32, Value) {
                match self {
                    $(DomainEvent::$variant(e) => e.encode(),)*
                }
            }

            /// The current schema version of a stored type name (0 for unknown types).
            pub fn schema_version(event_type: &str) -> i32 {
                match event_type.split('.').next().unwrap_or_default() {
                    $($prefix => <$ty>::schema_version(event_type),)*
                    _ => 0,
                }
            }
        }
    };
}

dispatch! {
    "organization" => Organization(OrganizationEvent),
    "inventory_item" => InventoryItem(InventoryItemEvent),
    "inventory_sku" => InventorySku(SkuClaimEvent),
    "stock" => Stock(StockEvent),
    "supplier" => Supplier(SupplierEvent),
    "menu_item" => MenuItem(MenuItemEvent),
    "customer" => Customer(CustomerEvent),
    "order" => Order(OrderEvent),
    "purchase_order" => PurchaseOrder(PoEvent),
    "transfer" => Transfer(TransferEvent),
    "expense" => Expense(ExpenseEvent),
    "user" => User(UserEvent),
}
