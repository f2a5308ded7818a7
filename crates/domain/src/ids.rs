//! Typed identifiers. Every id is a UUID (v7 when Brigade creates it); the type says what it names,
//! so an order id can never be passed where a payment id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {$(
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// A UUID on the wire; the schema's name says what it identifies.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                // The doc comment's lines, joined as one sentence.
                let description = [$($doc),*].map(str::trim).join(" ");
                crate::schema::uuid(description.trim())
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

id_type!(
    /// An organization: the tenant every stream belongs to.
    TenantId,
    /// A person who signs in (staff), recorded as the actor of every command.
    UserId,
    /// An inventory item (ingredient or bought-in product).
    InventoryItemId,
    /// A supplier.
    SupplierId,
    /// A menu item.
    MenuItemId,
    /// A customer profile.
    CustomerId,
    /// A customer order (POS check).
    OrderId,
    /// One line of an order.
    LineId,
    /// A payment taken for an order.
    PaymentId,
    /// A refund of (part of) a payment.
    RefundId,
    /// A purchase order.
    PurchaseOrderId,
    /// One delivery of goods against a purchase order.
    ReceiptId,
    /// A stock transfer between departments.
    TransferId,
    /// A stock adjustment (audit, spoilage, wastage, breakage).
    AdjustmentId,
    /// An operating expense.
    ExpenseId,
);
