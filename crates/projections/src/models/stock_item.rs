//! One inventory item as the stock read model keeps it: catalog details, quantity per department
//! and its valuation both ways; and the movements each stock event makes. Pure.

use super::stored_name;
use brigade_domain::catalog::{Department, InventoryCategory};
use brigade_domain::ids::{MenuItemId, OrderId};
use brigade_domain::inventory_item::InventoryItemEvent;
use brigade_domain::stock::StockEvent;
use brigade_domain::valuation::ItemValuation;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StockItem {
    /// SKU (once registered).
    pub sku: Option<String>,
    /// The name people see on screens, tickets and receipts.
    pub name: Option<String>,
    /// Unit of measure.
    pub unit: Option<String>,
    /// Food, beverage, supplies.
    pub category: Option<InventoryCategory>,
    /// Alert below this (org-wide quantity).
    pub minimum_stock: Decimal,
    /// Order up to this.
    pub maximum_stock: Option<Decimal>,
    /// On hand per department.
    pub departments: BTreeMap<Department, Decimal>,
    /// FIFO layers and weighted average.
    pub valuation: ItemValuation,
    /// Events applied: a double application would show here.
    pub events: u64,
}

/// What kind of movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovementKind {
    /// Goods in.
    Received,
    /// Used for an order.
    Consumed,
    /// Between departments.
    Transferred,
    /// Counted, spoiled, wasted, broken.
    Adjusted,
}

impl MovementKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Received => "received",
            MovementKind::Consumed => "consumed",
            MovementKind::Transferred => "transferred",
            MovementKind::Adjusted => "adjusted",
        }
    }
}

/// One row of `stock.movements`.
#[derive(Clone, Debug, PartialEq)]
pub struct Movement {
    /// What kind of movement it is.
    pub kind: MovementKind,
    /// Department (the source, for a transfer).
    pub department: Department,
    /// Destination of a transfer.
    pub to_department: Option<Department>,
    /// Signed quantity (negative for issues).
    pub quantity: Decimal,
    /// Unit cost of a receipt.
    pub unit_cost: Option<Decimal>,
    /// Order of a consumption.
    pub order_id: Option<OrderId>,
    /// Menu item of a consumption line.
    pub menu_item_id: Option<MenuItemId>,
    /// `food` / `beverage` of a consumption line.
    pub category: Option<String>,
    /// Adjustment reason.
    pub reason: Option<String>,
    /// The adjustment that made it.
    pub adjustment_id: Option<uuid::Uuid>,
    /// What the issue cost under FIFO (0 for receipts, transfers, positive adjustments).
    pub cost_fifo: Decimal,
    /// Under weighted average.
    pub cost_avco: Decimal,
    /// Item quantity after.
    pub quantity_after: Decimal,
    /// Item value after, FIFO.
    pub value_fifo_after: Decimal,
    /// Item value after, weighted average.
    pub value_avco_after: Decimal,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl StockItem {
    /// Applies a catalog event.
    pub fn apply_catalog(&mut self, event: &InventoryItemEvent) {
        self.events += 1;
        let details = match event {
            InventoryItemEvent::Registered { sku, unit, details, .. } => {
                self.sku = Some(sku.clone());
                self.unit = Some(unit.to_string());
                details
            }
            InventoryItemEvent::Updated { details, .. } => details,
        };
        self.name = Some(details.name.clone());
        self.category = Some(details.category);
        self.minimum_stock = details.minimum_stock.value();
        self.maximum_stock = details.maximum_stock.map(|q| q.value());
    }

    /// Applies a stock ledger event and returns the movements it makes.
    pub fn apply_stock(&mut self, event: &StockEvent) -> Vec<Movement> {
        self.events += 1;
        let mut out = Vec::new();
        match event {
            StockEvent::Received {
                department,
                quantity,
                unit_cost,
                at,
                ..
            } => {
                self.valuation.receive(quantity.value(), unit_cost.value());
                self.shift(*department, quantity.value());
                out.push(
                    self.movement(MovementKind::Received, *department, quantity.value(), *at, |m| {
                        m.unit_cost = Some(unit_cost.value());
                    }),
                );
            }
            StockEvent::Consumed {
                department,
                order_id,
                allocations,
                at,
            } => {
                for allocation in allocations {
                    let q = allocation.quantity.value();
                    let cost = self.valuation.issue(q);
                    self.shift(*department, -q);
                    out.push(self.movement(MovementKind::Consumed, *department, -q, *at, |m| {
                        m.order_id = Some(*order_id);
                        m.menu_item_id = Some(allocation.menu_item_id);
                        m.category = Some(stored_name(&allocation.category));
                        m.cost_fifo = cost.fifo;
                        m.cost_avco = cost.weighted_average;
                    }));
                }
            }
            StockEvent::Transferred {
                from, to, quantity, at, ..
            } => {
                self.shift(*from, -quantity.value());
                self.shift(*to, quantity.value());
                out.push(
                    self.movement(MovementKind::Transferred, *from, quantity.value(), *at, |m| {
                        m.to_department = Some(*to);
                    }),
                );
            }
            StockEvent::Adjusted {
                adjustment_id,
                department,
                quantity,
                reason,
                at,
                ..
            } => {
                let q = quantity.value();
                let cost = if q.is_sign_negative() {
                    self.valuation.issue(-q)
                } else {
                    self.valuation.found(q);
                    Default::default()
                };
                self.shift(*department, q);
                out.push(self.movement(MovementKind::Adjusted, *department, q, *at, |m| {
                    m.reason = Some(stored_name(reason));
                    m.adjustment_id = Some(adjustment_id.0);
                    m.cost_fifo = cost.fifo;
                    m.cost_avco = cost.weighted_average;
                }));
            }
        }
        out
    }

    fn shift(&mut self, department: Department, by: Decimal) {
        let entry = self.departments.entry(department).or_default();
        *entry = (*entry + by).normalize();
    }

    fn movement(
        &self,
        kind: MovementKind,
        department: Department,
        quantity: Decimal,
        at: DateTime<Utc>,
        fill: impl FnOnce(&mut Movement),
    ) -> Movement {
        let mut m = Movement {
            kind,
            department,
            to_department: None,
            quantity,
            unit_cost: None,
            order_id: None,
            menu_item_id: None,
            category: None,
            reason: None,
            adjustment_id: None,
            cost_fifo: Decimal::ZERO,
            cost_avco: Decimal::ZERO,
            quantity_after: self.valuation.quantity(),
            value_fifo_after: self.valuation.value(brigade_domain::valuation::Method::Fifo),
            value_avco_after: self.valuation.value(brigade_domain::valuation::Method::WeightedAverage),
            at,
        };
        fill(&mut m);
        m
    }
}

/// Department as stored.
pub fn department_name(department: Department) -> String {
    stored_name(&department)
}

/// The event types the stock projection applies.
pub const STOCK_EVENT_TYPES: &[&str] = &[
    "inventory_item.registered",
    "inventory_item.updated",
    "stock.received",
    "stock.consumed",
    "stock.transferred",
    "stock.adjusted",
];
