//! An order as the sales read model keeps it (what the P&L, menu engineering and customer figures
//! need), and how order events change it. Pure.

use brigade_domain::amount::Money;
use brigade_domain::catalog::MenuCategory;
use brigade_domain::ids::{CustomerId, LineId, MenuItemId};
use brigade_domain::order::{OrderEvent, OrderLine};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a sale is, for the books: revenue is recognised when it closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SaleStatus {
    /// Taken and not yet both served and paid.
    Open,
    /// Served and paid: its revenue is in the P&L of the day it closed.
    Closed,
    /// Cancelled: no revenue (what the kitchen had used is wastage).
    Cancelled,
}

impl SaleStatus {
    /// The name stored in the `status` column (the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            SaleStatus::Open => "open",
            SaleStatus::Closed => "closed",
            SaleStatus::Cancelled => "cancelled",
        }
    }
}

/// One line as sold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SaleLine {
    /// The line.
    pub line_id: LineId,
    /// The menu item.
    pub menu_item_id: MenuItemId,
    /// Its name then.
    pub name: String,
    /// Food or beverage.
    pub category: MenuCategory,
    /// Price per portion.
    #[schema(value_type = brigade_domain::schema::Amount)]
    pub unit_price: Decimal,
    /// How many portions.
    pub quantity: u32,
}

impl From<&OrderLine> for SaleLine {
    fn from(l: &OrderLine) -> Self {
        Self {
            line_id: l.line_id,
            menu_item_id: l.menu_item_id,
            name: l.name.clone(),
            category: l.category,
            unit_price: l.unit_price.value(),
            quantity: l.quantity,
        }
    }
}

/// The order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sale {
    /// Order number.
    pub number: u32,
    /// The customer, when known.
    pub customer_id: Option<CustomerId>,
    /// How many guests the order serves (covers).
    pub covers: Option<u16>,
    /// The lines, in the order they were given.
    pub lines: Vec<SaleLine>,
    /// Open, closed or cancelled.
    pub status: SaleStatus,
    /// Whether it went to the kitchen (a cancellation after that is wastage).
    pub sent: bool,
    /// Revenue recognised at.
    pub closed_at: Option<DateTime<Utc>>,
    /// Cancelled at.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Closing figures.
    pub food_sales: Decimal,
    /// Closing figures.
    pub beverage_sales: Decimal,
    /// Closing figures.
    pub discount: Decimal,
    /// Closing figures.
    pub tax: Decimal,
    /// Closing figures.
    pub tips: Decimal,
    /// Payments taken towards the bill.
    pub paid: Decimal,
    /// How much of it has been refunded so far.
    pub refunded: Decimal,
    /// Events applied: a double application would show here.
    pub events: u64,
}

/// What the fold of one event asks the other tables to record.
#[derive(Clone, Debug, PartialEq)]
pub enum SaleEffect {
    /// Nothing beyond the order row.
    None,
    /// The order closed: its lines are sold, its customer spent money.
    Closed {
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
        /// What the guest paid towards the bill (net sales + tax; tips excluded).
        spent: Decimal,
    },
    /// A payment towards the bill (what a refund names it by).
    Paid {
        /// The payment id.
        payment_id: uuid::Uuid,
        /// `cash`, `card`...
        method: String,
        /// Towards the bill.
        amount: Decimal,
        /// On top.
        tip: Decimal,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// A refund.
    Refunded {
        /// The refund id.
        refund_id: uuid::Uuid,
        /// Payment it came from.
        payment_id: uuid::Uuid,
        /// The amount of money.
        amount: Decimal,
        /// Why, in the words of whoever did it.
        reason: String,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

/// Folds one order event into the order (`None` before it is placed).
pub fn fold(sale: &mut Option<Sale>, event: &OrderEvent) -> Result<SaleEffect, String> {
    if let OrderEvent::Placed {
        number,
        covers,
        customer_id,
        lines,
        ..
    } = event
    {
        if sale.is_some() {
            return Err("order placed twice".into());
        }
        // Money at its scale from the start: an unpaid order reads "0.00", as the order does.
        let zero = Money::ZERO.value();
        *sale = Some(Sale {
            number: *number,
            customer_id: *customer_id,
            covers: *covers,
            lines: lines.iter().map(SaleLine::from).collect(),
            status: SaleStatus::Open,
            sent: false,
            closed_at: None,
            cancelled_at: None,
            food_sales: zero,
            beverage_sales: zero,
            discount: zero,
            tax: zero,
            tips: zero,
            paid: zero,
            refunded: zero,
            events: 1,
        });
        return Ok(SaleEffect::None);
    }
    let s = sale.as_mut().ok_or("an order event before order.placed")?;
    s.events += 1;
    Ok(match event {
        OrderEvent::LineAdded { line, .. } => {
            s.lines.push(SaleLine::from(line));
            SaleEffect::None
        }
        OrderEvent::LineRemoved { line_id, .. } => {
            s.lines.retain(|l| l.line_id != *line_id);
            SaleEffect::None
        }
        OrderEvent::SentToKitchen { .. } => {
            s.sent = true;
            SaleEffect::None
        }
        OrderEvent::Cancelled { at, .. } => {
            s.status = SaleStatus::Cancelled;
            s.cancelled_at = Some(*at);
            SaleEffect::None
        }
        OrderEvent::PaymentCaptured {
            payment_id,
            method,
            amount,
            tip,
            at,
            ..
        } => {
            s.paid += amount.value();
            SaleEffect::Paid {
                payment_id: payment_id.0,
                method: super::stored_name(method),
                amount: amount.value(),
                tip: tip.value(),
                at: *at,
            }
        }
        OrderEvent::PaymentRefunded {
            refund_id,
            payment_id,
            amount,
            reason,
            at,
            ..
        } => {
            s.refunded += amount.value();
            SaleEffect::Refunded {
                refund_id: refund_id.0,
                payment_id: payment_id.0,
                amount: amount.value(),
                reason: reason.clone(),
                at: *at,
            }
        }
        OrderEvent::Closed {
            food_sales,
            beverage_sales,
            discount,
            tax,
            tips,
            at,
        } => {
            s.status = SaleStatus::Closed;
            s.closed_at = Some(*at);
            s.food_sales = food_sales.value();
            s.beverage_sales = beverage_sales.value();
            s.discount = discount.value();
            s.tax = tax.value();
            s.tips = tips.value();
            SaleEffect::Closed {
                at: *at,
                spent: food_sales.value() + beverage_sales.value() - discount.value() + tax.value(),
            }
        }
        _ => SaleEffect::None,
    })
}

/// The event types the sales projection applies.
pub const SALES_EVENT_TYPES: &[&str] = &[
    "organization.established",
    "organization.settings_changed",
    "menu_item.added",
    "menu_item.renamed",
    "menu_item.repriced",
    "menu_item.station_changed",
    "menu_item.recipe_changed",
    "menu_item.withdrawn",
    "menu_item.restored",
    "customer.registered",
    "customer.profile_updated",
    "expense.recorded",
    "order.placed",
    "order.line_added",
    "order.line_removed",
    "order.sent_to_kitchen",
    "order.cancelled",
    "order.payment_captured",
    "order.payment_refunded",
    "order.closed",
];
