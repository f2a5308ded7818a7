//! Decisions that span aggregates, still pure. The command handler loads every state involved,
//! calls one of these, and appends all resulting events in one atomic multi-stream append with
//! the versions it loaded, so the books never show half a move.

use crate::actor::Context;
use crate::aggregate::Aggregate;
use crate::amount::Quantity;
use crate::catalog::Department;
use crate::ids::{InventoryItemId, OrderId, PurchaseOrderId, ReceiptId, TransferId};
use crate::order::{Order, OrderCommand, OrderError, OrderEvent};
use crate::purchase_order::{PoCommand, PoError, PoEvent, PurchaseOrder, ReceivedLine};
use crate::stock::{Allocation, StockCommand, StockError, StockEvent, StockLedger};
use crate::transfer::{Transfer, TransferCommand, TransferError, TransferEvent};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Events for the stock ledgers of several items.
pub type StockEvents = Vec<(InventoryItemId, Vec<StockEvent>)>;

/// Why a cross-aggregate decision was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlowError {
    /// The order refused.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// The purchase order refused.
    #[error(transparent)]
    PurchaseOrder(#[from] PoError),
    /// The transfer refused.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// One item's ledger refused.
    #[error("inventory item {item}: {error}")]
    Stock {
        /// The item.
        item: InventoryItemId,
        /// Why.
        error: StockError,
    },
}

/// The recipe consumption of an order: per ingredient and department, one allocation per line.
pub fn consumption(order: &Order) -> BTreeMap<(InventoryItemId, Department), Vec<Allocation>> {
    let mut out: BTreeMap<(InventoryItemId, Department), Vec<Allocation>> = BTreeMap::new();
    for line in &order.lines {
        for ingredient in &line.recipe {
            let used = ingredient.quantity.value() * Decimal::from(line.quantity);
            let Ok(quantity) = Quantity::new(used) else { continue };
            out.entry((ingredient.inventory_item_id, line.station.department()))
                .or_default()
                .push(Allocation {
                    line_id: line.line_id,
                    menu_item_id: line.menu_item_id,
                    category: line.category,
                    quantity,
                });
        }
    }
    out
}

/// Sends an order to the kitchen and records the recipe consumption of every line out of the
/// department that serves its station. Consumption is never refused, so ledgers need no state.
pub fn send_to_kitchen(
    order: &Order,
    order_id: OrderId,
    ctx: &Context,
) -> Result<(Vec<OrderEvent>, StockEvents), FlowError> {
    let order_events = order.decide(&OrderCommand::SendToKitchen, ctx)?;
    // One entry per item: an ingredient used by the bar and by the kitchen is one stream.
    let mut stock: BTreeMap<InventoryItemId, Vec<StockEvent>> = BTreeMap::new();
    for ((item, department), allocations) in consumption(order) {
        let command = StockCommand::Consume {
            order_id,
            department,
            allocations,
        };
        let events = StockLedger::default()
            .decide(&command, ctx)
            .map_err(|error| FlowError::Stock { item, error })?;
        stock.entry(item).or_default().extend(events);
    }
    Ok((order_events, stock.into_iter().collect()))
}

/// Receives goods against a purchase order; each line enters procurement stock at its cost.
pub fn receive_goods(
    po: &PurchaseOrder,
    purchase_order_id: PurchaseOrderId,
    receipt_id: ReceiptId,
    lines: &[ReceivedLine],
    allow_over_receipt: bool,
    ctx: &Context,
) -> Result<(Vec<PoEvent>, StockEvents), FlowError> {
    let command = PoCommand::Receive {
        receipt_id,
        lines: lines.to_vec(),
        allow_over_receipt,
    };
    let po_events = po.decide(&command, ctx)?;
    let mut stock = Vec::new();
    // The purchase order refuses a delivery naming one item twice, so each item appears once.
    for line in lines {
        let command = StockCommand::Receive {
            purchase_order_id,
            receipt_id,
            quantity: line.quantity,
            unit_cost: line.unit_cost,
        };
        let item = line.inventory_item_id;
        let events = StockLedger::default()
            .decide(&command, ctx)
            .map_err(|error| FlowError::Stock { item, error })?;
        stock.push((item, events));
    }
    Ok((po_events, stock))
}

/// Validates a transfer: the validated quantities leave the source and enter the destination.
/// Refused when the source department does not hold a validated quantity.
pub fn validate_transfer(
    transfer: &Transfer,
    transfer_id: TransferId,
    ledgers: &BTreeMap<InventoryItemId, StockLedger>,
    lines: &[(InventoryItemId, Quantity)],
    ctx: &Context,
) -> Result<(Vec<TransferEvent>, StockEvents), FlowError> {
    let events = transfer.decide(&TransferCommand::Validate { lines: lines.to_vec() }, ctx)?;
    let (Some(from), Some(to)) = (transfer.from, transfer.to) else {
        return Err(TransferError::NotFound.into());
    };
    let empty = StockLedger::default();
    let mut stock = Vec::new();
    for (item, quantity) in lines.iter().filter(|(_, q)| q.is_positive()) {
        let ledger = ledgers.get(item).unwrap_or(&empty);
        let command = StockCommand::Transfer {
            transfer_id,
            from,
            to,
            quantity: *quantity,
        };
        let events = ledger
            .decide(&command, ctx)
            .map_err(|error| FlowError::Stock { item: *item, error })?;
        stock.push((*item, events));
    }
    Ok((events, stock))
}
