//! Perpetual weighted average cost ("AVCO").
//!
//! On each receipt `avg = (qty * avg + received * unit_cost) / (qty + received)`; issues go out at
//! the current average; an issue that empties the stock takes exactly the remaining value, so the
//! value returns to exactly zero. The average is kept at full precision; only reported figures
//! are rounded.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Weighted-average state of one item, organization-wide.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Avco {
    quantity: Decimal,
    value: Decimal,
    average: Decimal,
}

impl Avco {
    /// Goods in at a cost. Negative stock is filled first, at the average it was issued at.
    pub fn receive(&mut self, quantity: Decimal, unit_cost: Decimal) {
        let mut remaining = quantity;
        if self.quantity < Decimal::ZERO {
            let fill = remaining.min(-self.quantity);
            self.quantity += fill;
            self.value = if self.quantity.is_zero() {
                Decimal::ZERO
            } else {
                self.quantity * self.average
            };
            remaining -= fill;
        }
        if remaining.is_zero() {
            return;
        }
        self.value += remaining * unit_cost;
        self.quantity += remaining;
        self.average = self.value / self.quantity;
    }

    /// Stock found (a positive audit adjustment): valued at the current average.
    pub fn found(&mut self, quantity: Decimal) {
        let avg = self.average;
        self.receive(quantity, avg);
    }

    /// Goods out; returns what they cost at full precision.
    pub fn issue(&mut self, quantity: Decimal) -> Decimal {
        let cost = if self.quantity > Decimal::ZERO && quantity >= self.quantity {
            self.value + (quantity - self.quantity) * self.average
        } else {
            quantity * self.average
        };
        self.quantity -= quantity;
        self.value = if self.quantity.is_zero() {
            Decimal::ZERO
        } else {
            self.value - cost
        };
        cost
    }

    /// Quantity on hand.
    pub fn quantity(&self) -> Decimal {
        self.quantity
    }

    /// Value on hand.
    pub fn value(&self) -> Decimal {
        self.value
    }

    /// Current average unit cost at full precision.
    pub fn average(&self) -> Decimal {
        self.average
    }
}
