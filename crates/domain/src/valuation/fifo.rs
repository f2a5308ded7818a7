//! FIFO valuation: each receipt is a layer; issues take the oldest layers first.
//!
//! An issue beyond what is on hand costs the shortfall at the most recent receipt's unit cost and
//! leaves negative stock; the next receipt first fills that shortfall and only its remainder
//! becomes a new layer. (The difference between the estimated and the actual cost of the
//! shortfall is not re-costed: what was issued stays issued at the cost it was charged.)

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One receipt still (partly) on hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// Quantity left in the layer (always more than zero).
    pub quantity: Decimal,
    /// What each unit cost.
    pub unit_cost: Decimal,
}

/// FIFO state of one item, organization-wide (transfers between departments do not touch it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fifo {
    layers: VecDeque<Layer>,
    /// Quantity issued beyond what was on hand (negative stock), waiting for the next receipt.
    shortfall: Decimal,
    /// What that shortfall was charged at.
    shortfall_value: Decimal,
    /// Unit cost of the most recent receipt (0 before any).
    last_cost: Decimal,
}

impl Fifo {
    /// Goods in at a cost.
    pub fn receive(&mut self, quantity: Decimal, unit_cost: Decimal) {
        self.last_cost = unit_cost;
        let mut remaining = quantity;
        if self.shortfall > Decimal::ZERO {
            let fill = remaining.min(self.shortfall);
            if fill == self.shortfall {
                self.shortfall_value = Decimal::ZERO;
            } else {
                self.shortfall_value -= self.shortfall_value * fill / self.shortfall;
            }
            self.shortfall -= fill;
            remaining -= fill;
        }
        if remaining > Decimal::ZERO {
            self.layers.push_back(Layer {
                quantity: remaining,
                unit_cost,
            });
        }
    }

    /// Stock found (a positive audit adjustment): valued at the most recent receipt's cost.
    pub fn found(&mut self, quantity: Decimal) {
        let cost = self.last_cost;
        self.receive(quantity, cost);
    }

    /// Goods out; returns what they cost at full precision.
    pub fn issue(&mut self, quantity: Decimal) -> Decimal {
        let mut remaining = quantity;
        let mut cost = Decimal::ZERO;
        while remaining > Decimal::ZERO {
            let Some(front) = self.layers.front_mut() else { break };
            let take = remaining.min(front.quantity);
            cost += take * front.unit_cost;
            front.quantity -= take;
            remaining -= take;
            if front.quantity.is_zero() {
                self.layers.pop_front();
            }
        }
        if remaining > Decimal::ZERO {
            let charged = remaining * self.last_cost;
            self.shortfall += remaining;
            self.shortfall_value += charged;
            cost += charged;
        }
        cost
    }

    /// Quantity on hand (negative when issues ran ahead of receipts).
    pub fn quantity(&self) -> Decimal {
        self.layers.iter().map(|l| l.quantity).sum::<Decimal>() - self.shortfall
    }

    /// Value on hand: the sum of the remaining layers, less what a shortfall was charged at.
    pub fn value(&self) -> Decimal {
        self.layers.iter().map(|l| l.quantity * l.unit_cost).sum::<Decimal>() - self.shortfall_value
    }

    /// The remaining layers, oldest first.
    pub fn layers(&self) -> impl Iterator<Item = &Layer> {
        self.layers.iter()
    }

    /// Unit cost of the most recent receipt.
    pub fn last_cost(&self) -> Decimal {
        self.last_cost
    }
}
