//! Purchase orders to suppliers.
//!
//! ```text
//! draft --submit--> submitted --approve--> approved --receive--> partially_received --receive--> received --close--> closed
//!   |                  |   \--reject--> rejected          \______________________________________/
//!   +--cancel----------+--------+--> cancelled            (a short delivery may be closed as is)
//!                      approved-+   (never after goods were received)
//! ```

use crate::actor::{Context, Role};
use crate::aggregate::{Aggregate, EventPayload};
use crate::amount::{Money, Quantity};
use crate::catalog::{TextError, optional_text, text};
use crate::ids::{InventoryItemId, ReceiptId, SupplierId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of a purchase order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PoLine {
    /// What is ordered.
    pub inventory_item_id: InventoryItemId,
    /// How much.
    pub quantity: Quantity,
    /// Agreed price per unit.
    pub unit_price: Money,
}

/// One line of a delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceivedLine {
    /// What arrived.
    pub inventory_item_id: InventoryItemId,
    /// How much.
    pub quantity: Quantity,
    /// What each unit actually cost (may differ from the agreed price).
    pub unit_cost: Money,
}

/// Where a purchase order is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    /// Being written.
    Draft,
    /// Waiting for approval.
    Submitted,
    /// Approved; goods may arrive.
    Approved,
    /// Some goods arrived.
    PartiallyReceived,
    /// Every line arrived in full.
    Received,
    /// Closed: nothing more is expected on it.
    Closed,
    /// Refused by the approver.
    Rejected,
    /// Called off.
    Cancelled,
}

/// The state's name as the API and the events spell it (`submitted`), so that a refusal
/// names it in the client's words, not the code's.
impl std::fmt::Display for PoStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::wire::write_name(self, f)
    }
}

/// Commands on a purchase order.
#[derive(Clone, Debug, PartialEq)]
pub enum PoCommand {
    /// Write a draft. The caller checks that the supplier exists and is active.
    Draft {
        /// The supplier the goods are ordered from.
        supplier_id: SupplierId,
        /// The lines, in the order they were given.
        lines: Vec<PoLine>,
        /// Expected delivery.
        expected_on: Option<NaiveDate>,
    },
    /// Replace lines and date (draft only).
    Revise {
        /// The lines, in the order they were given.
        lines: Vec<PoLine>,
        /// Expected delivery.
        expected_on: Option<NaiveDate>,
    },
    /// Ask for approval.
    Submit,
    /// Approve (not by whoever raised it).
    Approve,
    /// Refuse a submitted order: it is rejected and goes no further.
    Reject {
        /// Why, in the words of whoever did it.
        reason: String,
    },
    /// Goods arrived.
    Receive {
        /// The delivery.
        receipt_id: ReceiptId,
        /// What arrived.
        lines: Vec<ReceivedLine>,
        /// Accept more than ordered.
        allow_over_receipt: bool,
    },
    /// Done with it.
    Close,
    /// Call it off.
    Cancel {
        /// Why, in the words of whoever did it.
        reason: Option<String>,
    },
}

/// Events of a purchase order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum PoEvent {
    /// Drafted: a buyer is writing it.
    #[serde(rename = "purchase_order.drafted")]
    Drafted {
        /// The supplier the goods are ordered from.
        supplier_id: SupplierId,
        /// The lines, in the order they were given.
        lines: Vec<PoLine>,
        /// Expected delivery.
        expected_on: Option<NaiveDate>,
        /// Who raised it.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Draft revised.
    #[serde(rename = "purchase_order.revised")]
    Revised {
        /// The lines, in the order they were given.
        lines: Vec<PoLine>,
        /// Expected delivery.
        expected_on: Option<NaiveDate>,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Submitted: waiting for approval.
    #[serde(rename = "purchase_order.submitted")]
    Submitted {
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Approved: sent to the supplier.
    #[serde(rename = "purchase_order.approved")]
    Approved {
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Rejected: it will not go ahead.
    #[serde(rename = "purchase_order.rejected")]
    Rejected {
        /// Why, in the words of whoever did it.
        reason: String,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Goods arrived (each line also enters procurement stock at its cost).
    #[serde(rename = "purchase_order.goods_received")]
    GoodsReceived {
        /// The delivery.
        receipt_id: ReceiptId,
        /// What arrived.
        lines: Vec<ReceivedLine>,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Closed: nothing more is expected on it.
    #[serde(rename = "purchase_order.closed")]
    Closed {
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Cancelled: nothing further happens to it.
    #[serde(rename = "purchase_order.cancelled")]
    Cancelled {
        /// Why, in the words of whoever did it.
        reason: Option<String>,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for PoEvent {}

/// Why a purchase order command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PoError {
    /// Draft twice.
    #[error("the purchase order already exists")]
    AlreadyDrafted,
    /// Command before draft.
    #[error("the purchase order does not exist")]
    NotFound,
    /// Wrong status for the command.
    #[error("cannot {action} a purchase order that is {status}")]
    WrongStatus {
        /// What was attempted.
        action: &'static str,
        /// Where it is.
        status: PoStatus,
    },
    /// No lines.
    #[error("a purchase order needs at least one line")]
    NoLines,
    /// Zero quantity.
    #[error("quantities must be more than zero")]
    ZeroQuantity,
    /// Same item twice.
    #[error("inventory item {0} appears twice")]
    DuplicateItem(InventoryItemId),
    /// Receiving an item not ordered.
    #[error("inventory item {0} is not on this purchase order")]
    NotOrdered(InventoryItemId),
    /// Receiving more than ordered without saying so.
    #[error("receiving {received} of inventory item {item} exceeds the {ordered} ordered")]
    OverReceipt {
        /// The item.
        item: InventoryItemId,
        /// How much was ordered.
        ordered: Decimal,
        /// Received including this delivery.
        received: Decimal,
    },
    /// The same delivery twice.
    #[error("receipt {0} is already recorded")]
    DuplicateReceipt(ReceiptId),
    /// Role not allowed.
    #[error("only a procurement manager or manager may {0} purchase orders")]
    NotAllowed(&'static str),
    /// Approver is the raiser.
    #[error("a purchase order must be approved by someone other than who raised it")]
    SameApprover,
    /// Bad text.
    #[error("text: {0}")]
    BadText(TextError),
}

/// A purchase order's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchaseOrder {
    /// `None` until drafted.
    pub status: Option<PoStatus>,
    /// The supplier the goods are ordered from.
    pub supplier_id: Option<SupplierId>,
    /// Who raised it (may not approve it).
    pub raised_by: Option<UserId>,
    /// The lines, in the order they were given.
    pub lines: Vec<PoLine>,
    /// Received so far per item.
    #[schema(value_type = BTreeMap<String, crate::schema::Figure>)]
    pub received: BTreeMap<InventoryItemId, Decimal>,
    /// Deliveries recorded.
    pub receipts: Vec<ReceiptId>,
}

const BUYERS: &[Role] = &[Role::Manager, Role::ProcurementManager];

fn checked_lines(lines: &[PoLine]) -> Result<(), PoError> {
    if lines.is_empty() {
        return Err(PoError::NoLines);
    }
    let mut seen = std::collections::BTreeSet::new();
    for l in lines {
        if !l.quantity.is_positive() {
            return Err(PoError::ZeroQuantity);
        }
        if !seen.insert(l.inventory_item_id) {
            return Err(PoError::DuplicateItem(l.inventory_item_id));
        }
    }
    Ok(())
}

impl PurchaseOrder {
    fn require(&self, action: &'static str, allowed: &[PoStatus]) -> Result<(), PoError> {
        let status = self.status.ok_or(PoError::NotFound)?;
        if allowed.contains(&status) {
            Ok(())
        } else {
            Err(PoError::WrongStatus { action, status })
        }
    }

    fn decide_receive(
        &self,
        receipt_id: ReceiptId,
        lines: &[ReceivedLine],
        allow_over: bool,
        ctx: &Context,
    ) -> Result<Vec<PoEvent>, PoError> {
        self.require("receive goods on", &[PoStatus::Approved, PoStatus::PartiallyReceived])?;
        if self.receipts.contains(&receipt_id) {
            return Err(PoError::DuplicateReceipt(receipt_id));
        }
        if lines.is_empty() {
            return Err(PoError::NoLines);
        }
        let mut seen = std::collections::BTreeSet::new();
        for l in lines {
            let ordered = self.lines.iter().find(|o| o.inventory_item_id == l.inventory_item_id);
            let ordered = ordered
                .ok_or(PoError::NotOrdered(l.inventory_item_id))?
                .quantity
                .value();
            if !l.quantity.is_positive() {
                return Err(PoError::ZeroQuantity);
            }
            if !seen.insert(l.inventory_item_id) {
                return Err(PoError::DuplicateItem(l.inventory_item_id));
            }
            let received = self.received.get(&l.inventory_item_id).copied().unwrap_or_default() + l.quantity.value();
            if received > ordered && !allow_over {
                return Err(PoError::OverReceipt {
                    item: l.inventory_item_id,
                    ordered,
                    received,
                });
            }
        }
        Ok(vec![PoEvent::GoodsReceived {
            receipt_id,
            lines: lines.to_vec(),
            by: ctx.by(),
            at: ctx.at,
        }])
    }

    fn fully_received(&self) -> bool {
        self.lines
            .iter()
            .all(|l| self.received.get(&l.inventory_item_id).copied().unwrap_or_default() >= l.quantity.value())
    }
}

impl Aggregate for PurchaseOrder {
    const CATEGORY: &'static str = "purchase_order";
    type Command = PoCommand;
    type Event = PoEvent;
    type Error = PoError;

    fn decide(&self, command: &PoCommand, ctx: &Context) -> Result<Vec<PoEvent>, PoError> {
        let (by, at) = (ctx.by(), ctx.at);
        let buyer = || {
            if ctx.actor.has_any(BUYERS) {
                Ok(())
            } else {
                Err(PoError::NotAllowed("manage"))
            }
        };
        match command {
            PoCommand::Draft {
                supplier_id,
                lines,
                expected_on,
            } => {
                buyer()?;
                if self.status.is_some() {
                    return Err(PoError::AlreadyDrafted);
                }
                checked_lines(lines)?;
                Ok(vec![PoEvent::Drafted {
                    supplier_id: *supplier_id,
                    lines: lines.clone(),
                    expected_on: *expected_on,
                    by,
                    at,
                }])
            }
            PoCommand::Revise { lines, expected_on } => {
                buyer()?;
                self.require("revise", &[PoStatus::Draft])?;
                checked_lines(lines)?;
                Ok(vec![PoEvent::Revised {
                    lines: lines.clone(),
                    expected_on: *expected_on,
                    by,
                    at,
                }])
            }
            PoCommand::Submit => {
                buyer()?;
                self.require("submit", &[PoStatus::Draft])?;
                Ok(vec![PoEvent::Submitted { by, at }])
            }
            PoCommand::Approve | PoCommand::Reject { .. } => {
                if !ctx.actor.has_any(BUYERS) {
                    return Err(PoError::NotAllowed("approve or reject"));
                }
                self.require("approve or reject", &[PoStatus::Submitted])?;
                if self.raised_by == Some(by) {
                    return Err(PoError::SameApprover);
                }
                match command {
                    PoCommand::Reject { reason } => {
                        let reason = text(reason, 500).map_err(PoError::BadText)?;
                        Ok(vec![PoEvent::Rejected { reason, by, at }])
                    }
                    _ => Ok(vec![PoEvent::Approved { by, at }]),
                }
            }
            PoCommand::Receive {
                receipt_id,
                lines,
                allow_over_receipt,
            } => {
                if !ctx
                    .actor
                    .has_any(&[Role::Manager, Role::ProcurementManager, Role::StockController])
                {
                    return Err(PoError::NotAllowed("receive goods on"));
                }
                self.decide_receive(*receipt_id, lines, *allow_over_receipt, ctx)
            }
            PoCommand::Close => {
                buyer()?;
                self.require("close", &[PoStatus::PartiallyReceived, PoStatus::Received])?;
                Ok(vec![PoEvent::Closed { by, at }])
            }
            PoCommand::Cancel { reason } => {
                buyer()?;
                self.require("cancel", &[PoStatus::Draft, PoStatus::Submitted, PoStatus::Approved])?;
                let reason = optional_text(reason.as_deref(), 500).map_err(PoError::BadText)?;
                Ok(vec![PoEvent::Cancelled { reason, by, at }])
            }
        }
    }

    fn evolve(&mut self, event: &PoEvent) {
        match event {
            PoEvent::Drafted {
                supplier_id, lines, by, ..
            } => {
                self.status = Some(PoStatus::Draft);
                self.supplier_id = Some(*supplier_id);
                self.raised_by = Some(*by);
                self.lines = lines.clone();
            }
            PoEvent::Revised { lines, .. } => self.lines = lines.clone(),
            PoEvent::Submitted { .. } => self.status = Some(PoStatus::Submitted),
            PoEvent::Approved { .. } => self.status = Some(PoStatus::Approved),
            PoEvent::Rejected { .. } => self.status = Some(PoStatus::Rejected),
            PoEvent::GoodsReceived { receipt_id, lines, .. } => {
                self.receipts.push(*receipt_id);
                for l in lines {
                    *self.received.entry(l.inventory_item_id).or_default() += l.quantity.value();
                }
                let full = self.fully_received();
                self.status = Some(if full {
                    PoStatus::Received
                } else {
                    PoStatus::PartiallyReceived
                });
            }
            PoEvent::Closed { .. } => self.status = Some(PoStatus::Closed),
            PoEvent::Cancelled { .. } => self.status = Some(PoStatus::Cancelled),
        }
    }
}
