//! Stock valuation under FIFO and weighted average, from the same movements. Projections, the
//! replay CLI and tests all use this one implementation.

mod avco;
mod fifo;

pub use avco::Avco;
pub use fifo::{Fifo, Layer};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How stock is valued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// First in, first out (the default).
    #[default]
    Fifo,
    /// Perpetual weighted average.
    WeightedAverage,
}

/// What one issue cost under each method, at full precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IssueCost {
    /// Under FIFO.
    pub fifo: Decimal,
    /// Under weighted average.
    pub weighted_average: Decimal,
}

impl IssueCost {
    /// The cost under one method.
    pub fn under(self, method: Method) -> Decimal {
        match method {
            Method::Fifo => self.fifo,
            Method::WeightedAverage => self.weighted_average,
        }
    }
}

/// One item valued both ways at once, so every report can answer either method.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemValuation {
    /// FIFO layers.
    pub fifo: Fifo,
    /// Weighted average.
    pub avco: Avco,
}

impl ItemValuation {
    /// Goods received at a cost.
    pub fn receive(&mut self, quantity: Decimal, unit_cost: Decimal) {
        self.fifo.receive(quantity, unit_cost);
        self.avco.receive(quantity, unit_cost);
    }

    /// Stock found by an audit.
    pub fn found(&mut self, quantity: Decimal) {
        self.fifo.found(quantity);
        self.avco.found(quantity);
    }

    /// Goods issued (consumption, wastage, negative adjustment).
    pub fn issue(&mut self, quantity: Decimal) -> IssueCost {
        IssueCost {
            fifo: self.fifo.issue(quantity),
            weighted_average: self.avco.issue(quantity),
        }
    }

    /// Value on hand under one method.
    pub fn value(&self, method: Method) -> Decimal {
        match method {
            Method::Fifo => self.fifo.value(),
            Method::WeightedAverage => self.avco.value(),
        }
    }

    /// Quantity on hand (the same under both methods).
    pub fn quantity(&self) -> Decimal {
        self.fifo.quantity()
    }
}
