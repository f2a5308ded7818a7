//! Events of a customer order: the POS, the kitchen ticket and the payments share one stream, so a
//! payment and a cancellation can never both win.

use super::{Discount, OrderLine, OrderType, PaymentMethod};
use crate::aggregate::EventPayload;
use crate::amount::{Money, Percent};
use crate::ids::{CustomerId, LineId, PaymentId, RefundId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum OrderEvent {
    /// A new check, with the menu's prices and recipes at this moment.
    #[serde(rename = "order.placed")]
    Placed {
        /// Short number shown on tickets and receipts.
        number: u32,
        /// Dine-in, takeout or delivery.
        order_type: OrderType,
        /// Table, for dine-in.
        table: Option<u16>,
        /// Guests at the table, when the server counts them (the P&L's covers).
        covers: Option<u16>,
        /// The customer, when known.
        customer_id: Option<CustomerId>,
        /// The lines.
        lines: Vec<OrderLine>,
        /// The organization's tax rate at this moment.
        tax_rate: Percent,
        /// Who placed it.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// A line added while open.
    #[serde(rename = "order.line_added")]
    LineAdded {
        /// The line.
        line: OrderLine,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// A line removed while open.
    #[serde(rename = "order.line_removed")]
    LineRemoved {
        /// The line.
        line_id: LineId,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// A discount, resolved to an amount against the subtotal of that moment.
    #[serde(rename = "order.discount_applied")]
    DiscountApplied {
        /// How it was asked for.
        discount: Discount,
        /// The amount it takes off.
        amount: Money,
        /// Why, in the words of whoever did it.
        reason: Option<String>,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Fired: every line becomes a kitchen ticket line on its station.
    #[serde(rename = "order.sent_to_kitchen")]
    SentToKitchen {
        /// Who did it: the acting user.
        by: UserId,
        /// When (the prep-time clock starts).
        at: DateTime<Utc>,
    },
    /// The kitchen accepted the ticket and started cooking.
    #[serde(rename = "order.ticket_started")]
    TicketStarted {
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// One line is up.
    #[serde(rename = "order.line_ready")]
    LineReady {
        /// The line.
        line_id: LineId,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Every line is up: the ticket is bumped and the order is ready to serve.
    #[serde(rename = "order.ticket_completed")]
    TicketCompleted {
        /// Who did it: the acting user.
        by: UserId,
        /// When (the prep-time clock stops).
        at: DateTime<Utc>,
    },
    /// A bumped ticket brought back to the kitchen screens.
    #[serde(rename = "order.ticket_recalled")]
    TicketRecalled {
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Rush on or off.
    #[serde(rename = "order.priority_set")]
    PrioritySet {
        /// Rush tickets go before all others.
        rush: bool,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// The food reached the guest.
    #[serde(rename = "order.served")]
    Served {
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Cancelled. After sending, what the kitchen consumed becomes wastage.
    #[serde(rename = "order.cancelled")]
    Cancelled {
        /// Why, in the words of whoever did it.
        reason: Option<String>,
        /// Whether the kitchen had the order (its consumption is wastage).
        after_send: bool,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Money taken.
    #[serde(rename = "order.payment_captured")]
    PaymentCaptured {
        /// The payment.
        payment_id: PaymentId,
        /// Cash, card...
        method: PaymentMethod,
        /// Towards the bill.
        amount: Money,
        /// On top of the bill; not revenue.
        tip: Money,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Money given back from a payment.
    #[serde(rename = "order.payment_refunded")]
    PaymentRefunded {
        /// The refund.
        refund_id: RefundId,
        /// The payment it comes from.
        payment_id: PaymentId,
        /// How much.
        amount: Money,
        /// Why, in the words of whoever did it.
        reason: String,
        /// Who did it: the acting user.
        by: UserId,
        /// When (refunds reduce sales in the period they are made).
        at: DateTime<Utc>,
    },
    /// Served and fully paid: revenue is recognised now, with these figures.
    #[serde(rename = "order.closed")]
    Closed {
        /// Sum of food lines.
        food_sales: Money,
        /// Sum of beverage lines.
        beverage_sales: Money,
        /// Discounts granted.
        discount: Money,
        /// Tax collected.
        tax: Money,
        /// Tips collected.
        tips: Money,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for OrderEvent {}
