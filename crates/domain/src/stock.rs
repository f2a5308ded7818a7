//! The stock ledger of one inventory item (stream `stock-<item id>`): every movement of that item,
//! and its quantity in each department. Valuation (FIFO, weighted average) is computed from these
//! movements by `valuation`; the ledger itself decides only what may move.
//!
//! Kitchen consumption is never refused (a kitchen does not stop cooking because the books are
//! short) and may take a department below zero; transfers and negative adjustments are checked.

use crate::actor::{Context, Role};
use crate::aggregate::{Aggregate, EventPayload};
use crate::amount::{Money, Quantity, SignedQuantity};
use crate::catalog::{Department, MenuCategory, TextError, optional_text};
use crate::ids::{AdjustmentId, LineId, MenuItemId, OrderId, PurchaseOrderId, ReceiptId, TransferId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why stock was adjusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    /// A count differed from the books.
    StockAudit,
    /// Went off.
    Spoilage,
    /// Thrown away in preparation.
    Wastage,
    /// Broken or spilled.
    Breakage,
}

/// The portion of a consumption that one order line used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Allocation {
    /// The order line.
    pub line_id: LineId,
    /// Its menu item.
    pub menu_item_id: MenuItemId,
    /// Food or beverage, for the P&L's cost lines.
    pub category: MenuCategory,
    /// Quantity of this ingredient the line used (recipe quantity x portions).
    pub quantity: Quantity,
}

/// Commands on a stock ledger.
#[derive(Clone, Debug, PartialEq)]
pub enum StockCommand {
    /// Goods arrived against a purchase order, into procurement, at a cost.
    Receive {
        /// The purchase order.
        purchase_order_id: PurchaseOrderId,
        /// The delivery.
        receipt_id: ReceiptId,
        /// How much arrived.
        quantity: Quantity,
        /// What each unit cost.
        unit_cost: Money,
    },
    /// An order sent to the kitchen used this ingredient.
    Consume {
        /// The order.
        order_id: OrderId,
        /// The department that cooked it (kitchen, or bar).
        department: Department,
        /// Per order line.
        allocations: Vec<Allocation>,
    },
    /// Part of a validated transfer.
    Transfer {
        /// The transfer.
        transfer_id: TransferId,
        /// The department the stock leaves.
        from: Department,
        /// The department the stock goes to.
        to: Department,
        /// How much.
        quantity: Quantity,
    },
    /// Audit, spoilage, wastage, breakage.
    Adjust {
        /// The adjustment.
        adjustment_id: AdjustmentId,
        /// The department whose stock it is.
        department: Department,
        /// Signed change.
        quantity: SignedQuantity,
        /// Why, in the words of whoever did it.
        reason: AdjustmentReason,
        /// Free text.
        note: Option<String>,
    },
}

/// Events of a stock ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum StockEvent {
    /// Goods in, at a cost (a FIFO layer).
    #[serde(rename = "stock.received")]
    Received {
        /// Always procurement today; recorded so that it need not stay so.
        department: Department,
        /// How much.
        quantity: Quantity,
        /// Unit cost.
        unit_cost: Money,
        /// The purchase order.
        purchase_order_id: PurchaseOrderId,
        /// The delivery.
        receipt_id: ReceiptId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Used by the kitchen or bar for an order.
    #[serde(rename = "stock.consumed")]
    Consumed {
        /// The department whose stock it is.
        department: Department,
        /// The order.
        order_id: OrderId,
        /// Per line, in order.
        allocations: Vec<Allocation>,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Moved between departments; cost and value unchanged.
    #[serde(rename = "stock.transferred")]
    Transferred {
        /// The transfer.
        transfer_id: TransferId,
        /// The department the stock leaves.
        from: Department,
        /// The department the stock goes to.
        to: Department,
        /// How much.
        quantity: Quantity,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Counted, spoiled, wasted, broken.
    #[serde(rename = "stock.adjusted")]
    Adjusted {
        /// The adjustment.
        adjustment_id: AdjustmentId,
        /// The department whose stock it is.
        department: Department,
        /// Signed change.
        quantity: SignedQuantity,
        /// Why, in the words of whoever did it.
        reason: AdjustmentReason,
        /// Free text.
        note: Option<String>,
        /// Who did it: the acting user.
        by: crate::ids::UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for StockEvent {}

/// Why a stock command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StockError {
    /// A zero quantity where something must move.
    #[error("the quantity must be more than zero")]
    ZeroQuantity,
    /// A transfer or negative adjustment beyond what the department holds.
    #[error("{department} holds only {on_hand}")]
    Insufficient {
        /// The department.
        department: Department,
        /// What it holds.
        on_hand: Decimal,
    },
    /// Transfer to the same department.
    #[error("a transfer must go to another department")]
    SameDepartment,
    /// Consumption with no allocation.
    #[error("a consumption needs at least one order line")]
    NothingConsumed,
    /// The adjustment id was already used on this item.
    #[error("adjustment {0} is already recorded")]
    DuplicateAdjustment(AdjustmentId),
    /// Only stock roles adjust.
    #[error("only a manager or stock controller may adjust stock")]
    NotAllowed,
    /// Bad note.
    #[error("note {0}")]
    BadNote(TextError),
}

/// An item's quantities per department.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StockLedger {
    /// Quantity on hand per department (may be negative after kitchen consumption).
    pub on_hand: BTreeMap<Department, Decimal>,
    /// Adjustment ids seen (a retried adjustment is refused, not doubled).
    pub adjustments: Vec<AdjustmentId>,
}

impl StockLedger {
    /// Quantity in one department.
    pub fn in_department(&self, department: Department) -> Decimal {
        self.on_hand.get(&department).copied().unwrap_or_default()
    }

    /// Quantity across the organization.
    pub fn total(&self) -> Decimal {
        self.on_hand.values().sum()
    }

    fn ensure_holds(&self, department: Department, quantity: Decimal) -> Result<(), StockError> {
        let on_hand = self.in_department(department);
        if on_hand < quantity {
            Err(StockError::Insufficient { department, on_hand })
        } else {
            Ok(())
        }
    }

    fn add(&mut self, department: Department, delta: Decimal) {
        *self.on_hand.entry(department).or_default() += delta;
    }
}

impl Aggregate for StockLedger {
    const CATEGORY: &'static str = "stock";
    type Command = StockCommand;
    type Event = StockEvent;
    type Error = StockError;

    fn decide(&self, command: &StockCommand, ctx: &Context) -> Result<Vec<StockEvent>, StockError> {
        let at = ctx.at;
        match command {
            StockCommand::Receive {
                purchase_order_id,
                receipt_id,
                quantity,
                unit_cost,
            } => {
                if !quantity.is_positive() {
                    return Err(StockError::ZeroQuantity);
                }
                Ok(vec![StockEvent::Received {
                    department: Department::Procurement,
                    quantity: *quantity,
                    unit_cost: *unit_cost,
                    purchase_order_id: *purchase_order_id,
                    receipt_id: *receipt_id,
                    at,
                }])
            }
            StockCommand::Consume {
                order_id,
                department,
                allocations,
            } => {
                if allocations.is_empty() {
                    return Err(StockError::NothingConsumed);
                }
                if allocations.iter().any(|a| !a.quantity.is_positive()) {
                    return Err(StockError::ZeroQuantity);
                }
                Ok(vec![StockEvent::Consumed {
                    department: *department,
                    order_id: *order_id,
                    allocations: allocations.clone(),
                    at,
                }])
            }
            StockCommand::Transfer {
                transfer_id,
                from,
                to,
                quantity,
            } => {
                if from == to {
                    return Err(StockError::SameDepartment);
                }
                if !quantity.is_positive() {
                    return Err(StockError::ZeroQuantity);
                }
                self.ensure_holds(*from, quantity.value())?;
                Ok(vec![StockEvent::Transferred {
                    transfer_id: *transfer_id,
                    from: *from,
                    to: *to,
                    quantity: *quantity,
                    at,
                }])
            }
            StockCommand::Adjust {
                adjustment_id,
                department,
                quantity,
                reason,
                note,
            } => {
                if !ctx.actor.has_any(&[Role::Manager, Role::StockController]) {
                    return Err(StockError::NotAllowed);
                }
                if self.adjustments.contains(adjustment_id) {
                    return Err(StockError::DuplicateAdjustment(*adjustment_id));
                }
                if quantity.is_zero() {
                    return Err(StockError::ZeroQuantity);
                }
                if quantity.value() < Decimal::ZERO {
                    self.ensure_holds(*department, -quantity.value())?;
                }
                Ok(vec![StockEvent::Adjusted {
                    adjustment_id: *adjustment_id,
                    department: *department,
                    quantity: *quantity,
                    reason: *reason,
                    note: optional_text(note.as_deref(), 500).map_err(StockError::BadNote)?,
                    by: ctx.by(),
                    at,
                }])
            }
        }
    }

    fn evolve(&mut self, event: &StockEvent) {
        match event {
            StockEvent::Received {
                department, quantity, ..
            } => self.add(*department, quantity.value()),
            StockEvent::Consumed {
                department,
                allocations,
                ..
            } => {
                let used: Decimal = allocations.iter().map(|a| a.quantity.value()).sum();
                self.add(*department, -used);
            }
            StockEvent::Transferred { from, to, quantity, .. } => {
                self.add(*from, -quantity.value());
                self.add(*to, quantity.value());
            }
            StockEvent::Adjusted {
                adjustment_id,
                department,
                quantity,
                ..
            } => {
                self.adjustments.push(*adjustment_id);
                self.add(*department, quantity.value());
            }
        }
    }
}
