//! The customer order: from the POS through the kitchen to the table, with its payments.
//!
//! ```text
//! open --send--> in_kitchen --all lines ready--> ready --serve--> served
//!   |                 |                            |
//!   +----cancel-------+------------(manager)-------+--> cancelled
//! ```
//! Payments are taken in any state but cancelled; the order closes once, when served and fully
//! paid. A closed order accepts refunds only.

mod decide;
mod event;
mod payment;

pub use decide::{MAX_PORTIONS, OrderError};
pub use event::OrderEvent;

use crate::amount::{Money, Percent, round_money};
use crate::catalog::{MenuCategory, Station};
use crate::ids::{CustomerId, LineId, MenuItemId, PaymentId, RefundId};
use crate::menu_item::{MenuItemSnapshot, RecipeLine};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How the guest eats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    /// At a table (a table number is required).
    DineIn,
    /// Picked up.
    Takeout,
    /// Delivered to the customer's address.
    Delivery,
}

/// How a payment was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Cash at the till.
    Cash,
    /// A card, through the terminal.
    Card,
    /// Gift voucher.
    Voucher,
    /// Anything else.
    Other,
}

/// A discount as the cashier asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Discount {
    /// A fixed amount off.
    Amount(Money),
    /// A percentage of the subtotal at the moment it is applied.
    Percent(Percent),
}

/// A line's state on the kitchen ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Not yet up.
    #[default]
    Pending,
    /// Up at the pass.
    Ready,
}

/// One line of an order, with the menu item as it was when the line was taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderLine {
    /// The line.
    pub line_id: LineId,
    /// The menu item.
    pub menu_item_id: MenuItemId,
    /// Its name then.
    pub name: String,
    /// Food or beverage.
    pub category: MenuCategory,
    /// The station it is routed to.
    pub station: Station,
    /// Price per portion then.
    pub unit_price: Money,
    /// Portions (1 or more).
    pub quantity: u32,
    /// "No onions", "medium rare".
    pub modifications: Vec<String>,
    /// Free text for the kitchen.
    pub notes: Option<String>,
    /// Ingredients per portion then.
    pub recipe: Vec<RecipeLine>,
    /// Kitchen status.
    #[serde(default)]
    pub status: LineStatus,
}

impl OrderLine {
    /// Line total: price x quantity.
    pub fn total(&self) -> Decimal {
        self.unit_price.value() * Decimal::from(self.quantity)
    }
}

/// A line as the POS asks for it: a menu item (looked up by the caller) and what the guest wants.
#[derive(Clone, Debug, PartialEq)]
pub struct NewLine {
    /// Id for the new line.
    pub line_id: LineId,
    /// The menu item as on offer now.
    pub item: MenuItemSnapshot,
    /// How many portions.
    pub quantity: u32,
    /// What the guest changed ("no onions").
    pub modifications: Vec<String>,
    /// Free text for the kitchen.
    pub notes: Option<String>,
}

/// A payment taken, and how much of it was refunded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Payment {
    /// The payment.
    pub payment_id: PaymentId,
    /// How it was paid.
    pub method: PaymentMethod,
    /// Towards the bill.
    pub amount: Money,
    /// Tip on top.
    pub tip: Money,
    /// Refunded so far (money: "0.00" before any refund).
    pub refunded: Money,
}

/// Where the order is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Taking the order.
    Open,
    /// The kitchen has it.
    InKitchen,
    /// Every line is up.
    Ready,
    /// At the table.
    Served,
    /// Cancelled: nothing further happens to it.
    Cancelled,
}

/// The state's name as the API and the events spell it (`in_kitchen`), so that a refusal
/// names it in the client's words, not the code's.
impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::wire::write_name(self, f)
    }
}

/// Commands on an order.
#[derive(Clone, Debug, PartialEq)]
pub enum OrderCommand {
    /// Open a check.
    Place {
        /// Short number for tickets.
        number: u32,
        /// Dine-in, takeout, delivery.
        order_type: OrderType,
        /// Required for dine-in.
        table: Option<u16>,
        /// Guests, if counted.
        covers: Option<u16>,
        /// The customer, if known.
        customer_id: Option<CustomerId>,
        /// Lines (may be empty: a check opened before ordering).
        lines: Vec<NewLine>,
        /// The organization's tax rate now.
        tax_rate: Percent,
    },
    /// Add a line (open only).
    AddLine(NewLine),
    /// Remove a line (open only).
    RemoveLine(LineId),
    /// Take money off.
    ApplyDiscount {
        /// Amount or percent.
        discount: Discount,
        /// Why, in the words of whoever did it.
        reason: Option<String>,
        /// Above this share of the subtotal, a manager must do it (from the settings).
        limit: Percent,
    },
    /// Fire the order.
    SendToKitchen,
    /// Kitchen: start cooking.
    StartTicket,
    /// Kitchen: one line is up.
    MarkLineReady(LineId),
    /// Kitchen: every line is up (bump).
    CompleteTicket,
    /// Kitchen: bring back a bumped ticket.
    RecallTicket,
    /// Rush on or off.
    SetPriority {
        /// Rushed: shown before every other ticket.
        rush: bool,
    },
    /// At the table.
    Serve,
    /// Cancel the order (once the kitchen has it, a manager only; what it used is wastage).
    Cancel {
        /// Why, in the words of whoever did it.
        reason: Option<String>,
    },
    /// Take a payment.
    TakePayment {
        /// Id for the payment.
        payment_id: PaymentId,
        /// How it was paid.
        method: PaymentMethod,
        /// Towards the bill.
        amount: Money,
        /// Tip on top.
        tip: Money,
    },
    /// Refund (part of) a payment.
    Refund {
        /// Id for the refund.
        refund_id: RefundId,
        /// The payment.
        payment_id: PaymentId,
        /// How much.
        amount: Money,
        /// Why, in the words of whoever did it.
        reason: String,
    },
}

/// The kitchen ticket's timeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ticket {
    /// When the order was fired.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the kitchen started it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was last bumped.
    pub completed_at: Option<DateTime<Utc>>,
    /// Rushed: shown before every other ticket.
    pub rush: bool,
    /// How many times it was recalled.
    pub recalls: u32,
}

/// An order's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Order {
    /// `None` until placed.
    pub status: Option<OrderStatus>,
    /// Short number.
    pub number: u32,
    /// Dine-in, takeout, delivery.
    pub order_type: Option<OrderType>,
    /// The table number (dine-in).
    pub table: Option<u16>,
    /// The customer, when known.
    pub customer_id: Option<CustomerId>,
    /// Tax rate captured when placed.
    pub tax_rate: Percent,
    /// The lines, in the order they were given.
    pub lines: Vec<OrderLine>,
    /// Sum of discounts granted.
    pub discounts: Money,
    /// Kitchen ticket.
    pub ticket: Ticket,
    /// Payments taken, with their tips and refunds.
    pub payments: Vec<Payment>,
    /// Refund ids used (a retried refund with the same id is refused, not doubled).
    pub refund_ids: Vec<RefundId>,
    /// Served and fully paid.
    pub closed: bool,
}

/// The money figures of an order at a moment, each rounded to the cent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Sum of line totals.
    #[schema(value_type = crate::schema::Amount)]
    pub subtotal: Decimal,
    /// Discount in effect (never more than the subtotal).
    #[schema(value_type = crate::schema::Amount)]
    pub discount: Decimal,
    /// Tax on (subtotal - discount), rounded to cents.
    #[schema(value_type = crate::schema::Amount)]
    pub tax: Decimal,
    /// subtotal - discount + tax.
    #[schema(value_type = crate::schema::Amount)]
    pub total: Decimal,
    /// Captured minus refunded.
    #[schema(value_type = crate::schema::Amount)]
    pub paid: Decimal,
    /// total - paid.
    #[schema(value_type = crate::schema::Amount)]
    pub outstanding: Decimal,
    /// Tips captured.
    #[schema(value_type = crate::schema::Amount)]
    pub tips: Decimal,
}

impl Order {
    /// The order's money figures now.
    pub fn totals(&self) -> Totals {
        self.totals_with(&self.lines, self.discounts.value())
    }

    fn totals_with(&self, lines: &[OrderLine], discounts: Decimal) -> Totals {
        // Sums of amounts in cents stay in cents; rounding only gives an empty sum its "0.00".
        let subtotal = round_money(lines.iter().map(OrderLine::total).sum());
        let discount = round_money(discounts.min(subtotal));
        let tax = round_money((subtotal - discount) * self.tax_rate.fraction());
        let total = subtotal - discount + tax;
        let paid = round_money(
            self.payments
                .iter()
                .map(|p| p.amount.value() - p.refunded.value())
                .sum(),
        );
        let tips = round_money(self.payments.iter().map(|p| p.tip.value()).sum());
        Totals {
            subtotal,
            discount,
            tax,
            total,
            paid,
            outstanding: total - paid,
            tips,
        }
    }

    /// Sales per menu category (before discount), for revenue recognition.
    pub fn sales_of(&self, category: MenuCategory) -> Decimal {
        self.lines
            .iter()
            .filter(|l| l.category == category)
            .map(OrderLine::total)
            .sum()
    }

    fn line(&self, line_id: LineId) -> Option<&OrderLine> {
        self.lines.iter().find(|l| l.line_id == line_id)
    }
}
