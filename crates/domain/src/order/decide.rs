//! Decisions and evolution of the order aggregate.

use super::{Discount, LineStatus, NewLine, Order, OrderCommand, OrderEvent, OrderLine, OrderStatus, OrderType};
use crate::actor::Context;
use crate::aggregate::Aggregate;
use crate::amount::{Money, round_money};
use crate::catalog::{TextError, optional_text};
use crate::ids::{LineId, PaymentId};
use rust_decimal::Decimal;

/// Largest number of portions on one line: more is a typo, not an order.
pub const MAX_PORTIONS: u32 = 999;

/// Why an order command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrderError {
    /// Place on an existing order.
    #[error("the order already exists")]
    AlreadyPlaced,
    /// Command before place.
    #[error("the order does not exist")]
    NotFound,
    /// The order was served and fully paid; only refunds are accepted.
    #[error("the order is closed")]
    Closed,
    /// The order was cancelled.
    #[error("the order is cancelled")]
    Cancelled,
    /// The command does not apply in the order's current status.
    #[error("cannot {action} an order that is {status}")]
    WrongStatus {
        /// What was attempted.
        action: &'static str,
        /// Where the order is.
        status: OrderStatus,
    },
    /// Dine-in without a table.
    #[error("a dine-in order needs a table number")]
    TableRequired,
    /// Portions out of 1..=[`MAX_PORTIONS`].
    #[error("quantity must be between 1 and {MAX_PORTIONS}")]
    BadQuantity,
    /// A line id used twice.
    #[error("line {0} already exists on this order")]
    DuplicateLine(LineId),
    /// Unknown line id.
    #[error("line {0} is not on this order")]
    UnknownLine(LineId),
    /// Marking a line ready twice.
    #[error("line {0} is already ready")]
    LineAlreadyReady(LineId),
    /// Sending an order with no lines.
    #[error("an order with no lines cannot be sent to the kitchen")]
    Empty,
    /// Starting a ticket twice.
    #[error("the ticket is already started")]
    AlreadyStarted,
    /// Bad free text.
    #[error("text: {0}")]
    BadText(TextError),
    /// A zero amount where money must move.
    #[error("the amount must be more than zero")]
    AmountNotPositive,
    /// Discount beyond what is left to discount.
    #[error("the discount would take the order below zero (at most {max} can be discounted)")]
    DiscountTooLarge {
        /// The most that can still be discounted.
        max: Decimal,
    },
    /// Discount over the limit by a non-manager.
    #[error("a discount over {limit}% needs a manager")]
    DiscountNeedsManager {
        /// The organization's limit.
        limit: Decimal,
    },
    /// Cancelling after send without being a manager.
    #[error("only a manager may cancel an order the kitchen has")]
    CancelNeedsManager,
    /// A change that would leave the order's total below what was already paid.
    #[error("the order's total would fall below the {paid} already paid; refund first")]
    BelowPaid {
        /// Net paid.
        paid: Decimal,
    },
    /// Cancel while money is held.
    #[error("refund the {captured} captured before cancelling")]
    PaymentsNotRefunded {
        /// Captured and not refunded.
        captured: Decimal,
    },
    /// Payment beyond the balance.
    #[error("the payment exceeds the outstanding balance of {outstanding}")]
    ExceedsBalance {
        /// What is still owed.
        outstanding: Decimal,
    },
    /// A payment id used twice.
    #[error("payment {0} is already recorded")]
    DuplicatePayment(PaymentId),
    /// Refund of an unknown payment.
    #[error("payment {0} is not on this order")]
    UnknownPayment(PaymentId),
    /// A refund id used twice.
    #[error("this refund is already recorded")]
    DuplicateRefund,
    /// Refund beyond what is refundable.
    #[error("the refund exceeds the {refundable} still refundable on this payment")]
    ExceedsRefundable {
        /// Captured minus refunded.
        refundable: Decimal,
    },
}

pub(super) fn text_err(e: TextError) -> OrderError {
    OrderError::BadText(e)
}

fn new_line(line: &NewLine) -> Result<OrderLine, OrderError> {
    if line.quantity == 0 || line.quantity > MAX_PORTIONS {
        return Err(OrderError::BadQuantity);
    }
    let modifications = line
        .modifications
        .iter()
        .map(|m| crate::catalog::text(m, 120))
        .collect::<Result<Vec<_>, _>>()
        .map_err(text_err)?;
    let d = &line.item.details;
    Ok(OrderLine {
        line_id: line.line_id,
        menu_item_id: line.item.menu_item_id,
        name: d.name.clone(),
        category: d.category,
        station: d.station.clone(),
        unit_price: d.sell_price,
        quantity: line.quantity,
        modifications,
        notes: optional_text(line.notes.as_deref(), 500).map_err(text_err)?,
        recipe: d.recipe.clone(),
        status: LineStatus::Pending,
    })
}

impl Order {
    /// Refuses any command on a closed or cancelled order (refunds are decided before this).
    pub(super) fn live_status(&self) -> Result<OrderStatus, OrderError> {
        match self.status {
            None => Err(OrderError::NotFound),
            Some(_) if self.closed => Err(OrderError::Closed),
            Some(OrderStatus::Cancelled) => Err(OrderError::Cancelled),
            Some(s) => Ok(s),
        }
    }

    fn require(&self, action: &'static str, allowed: &[OrderStatus]) -> Result<(), OrderError> {
        let status = self.live_status()?;
        if allowed.contains(&status) {
            Ok(())
        } else {
            Err(OrderError::WrongStatus { action, status })
        }
    }

    fn decide_place(&self, c: &OrderCommand, ctx: &Context) -> Result<Vec<OrderEvent>, OrderError> {
        let OrderCommand::Place {
            number,
            order_type,
            table,
            covers,
            customer_id,
            lines,
            tax_rate,
        } = c
        else {
            return Ok(vec![]);
        };
        if self.status.is_some() {
            return Err(OrderError::AlreadyPlaced);
        }
        if *order_type == OrderType::DineIn && table.is_none() {
            return Err(OrderError::TableRequired);
        }
        let mut built: Vec<OrderLine> = Vec::with_capacity(lines.len());
        for line in lines {
            if built.iter().any(|l| l.line_id == line.line_id) {
                return Err(OrderError::DuplicateLine(line.line_id));
            }
            built.push(new_line(line)?);
        }
        Ok(vec![OrderEvent::Placed {
            number: *number,
            order_type: *order_type,
            table: *table,
            covers: *covers,
            customer_id: *customer_id,
            lines: built,
            tax_rate: *tax_rate,
            by: ctx.by(),
            at: ctx.at,
        }])
    }

    fn decide_discount(
        &self,
        discount: &Discount,
        reason: &Option<String>,
        limit: crate::amount::Percent,
        ctx: &Context,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.require(
            "discount",
            &[
                OrderStatus::Open,
                OrderStatus::InKitchen,
                OrderStatus::Ready,
                OrderStatus::Served,
            ],
        )?;
        let totals = self.totals();
        let amount = match discount {
            Discount::Amount(m) => m.value(),
            Discount::Percent(p) => round_money(totals.subtotal * p.fraction()),
        };
        if amount <= Decimal::ZERO {
            return Err(OrderError::AmountNotPositive);
        }
        let room = totals.subtotal - totals.discount;
        if amount > room {
            return Err(OrderError::DiscountTooLarge { max: room });
        }
        let share = if totals.subtotal.is_zero() {
            Decimal::ZERO
        } else {
            (totals.discount + amount) / totals.subtotal
        };
        if share > limit.fraction() && !ctx.actor.is_manager() {
            return Err(OrderError::DiscountNeedsManager { limit: limit.value() });
        }
        let after = self.totals_with(&self.lines, self.discounts.value() + amount);
        if after.total < after.paid {
            return Err(OrderError::BelowPaid { paid: after.paid });
        }
        Ok(vec![OrderEvent::DiscountApplied {
            discount: *discount,
            amount: Money::from_computed(amount),
            reason: optional_text(reason.as_deref(), 200).map_err(text_err)?,
            by: ctx.by(),
            at: ctx.at,
        }])
    }

    fn decide_line_ready(&self, line_id: LineId, ctx: &Context) -> Result<Vec<OrderEvent>, OrderError> {
        self.require("mark a line ready on", &[OrderStatus::InKitchen])?;
        let line = self.line(line_id).ok_or(OrderError::UnknownLine(line_id))?;
        if line.status == LineStatus::Ready {
            return Err(OrderError::LineAlreadyReady(line_id));
        }
        let (by, at) = (ctx.by(), ctx.at);
        let mut events = vec![OrderEvent::LineReady { line_id, by, at }];
        let others_ready = self
            .lines
            .iter()
            .all(|l| l.line_id == line_id || l.status == LineStatus::Ready);
        if others_ready {
            events.push(OrderEvent::TicketCompleted { by, at });
        }
        Ok(events)
    }

    fn decide_cancel(&self, reason: &Option<String>, ctx: &Context) -> Result<Vec<OrderEvent>, OrderError> {
        let status = self.live_status()?;
        if status == OrderStatus::Served {
            return Err(OrderError::WrongStatus {
                action: "cancel",
                status,
            });
        }
        let after_send = status != OrderStatus::Open;
        if after_send && !ctx.actor.is_manager() {
            return Err(OrderError::CancelNeedsManager);
        }
        let captured = self.totals().paid;
        if captured > Decimal::ZERO {
            return Err(OrderError::PaymentsNotRefunded { captured });
        }
        Ok(vec![OrderEvent::Cancelled {
            reason: optional_text(reason.as_deref(), 200).map_err(text_err)?,
            after_send,
            by: ctx.by(),
            at: ctx.at,
        }])
    }
}

impl Aggregate for Order {
    const CATEGORY: &'static str = "order";
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;

    fn decide(&self, command: &OrderCommand, ctx: &Context) -> Result<Vec<OrderEvent>, OrderError> {
        let events = self.decide_command(command, ctx)?;
        Ok(self.close_if_settled(events, ctx))
    }

    fn evolve(&mut self, event: &OrderEvent) {
        self.apply(event);
    }
}

impl Order {
    /// Appends the closing event when the decided events leave the order served and fully paid,
    /// whichever command got it there (a payment, the serve itself, a manager's discount).
    fn close_if_settled(&self, mut events: Vec<OrderEvent>, ctx: &Context) -> Vec<OrderEvent> {
        if self.closed || events.is_empty() {
            return events;
        }
        let mut after = self.clone();
        events.iter().for_each(|e| after.apply(e));
        if after.status == Some(OrderStatus::Served) && after.totals().outstanding <= Decimal::ZERO {
            events.push(after.closed_event(ctx.at));
        }
        events
    }

    fn decide_command(&self, command: &OrderCommand, ctx: &Context) -> Result<Vec<OrderEvent>, OrderError> {
        let (by, at) = (ctx.by(), ctx.at);
        match command {
            OrderCommand::Place { .. } => self.decide_place(command, ctx),
            OrderCommand::Refund {
                refund_id,
                payment_id,
                amount,
                reason,
            } => self.decide_refund(*refund_id, *payment_id, *amount, reason, ctx),
            OrderCommand::TakePayment {
                payment_id,
                method,
                amount,
                tip,
            } => self.decide_payment(*payment_id, *method, *amount, *tip, ctx),
            OrderCommand::AddLine(line) => {
                self.require("add a line to", &[OrderStatus::Open])?;
                if self.line(line.line_id).is_some() {
                    return Err(OrderError::DuplicateLine(line.line_id));
                }
                Ok(vec![OrderEvent::LineAdded {
                    line: new_line(line)?,
                    by,
                    at,
                }])
            }
            OrderCommand::RemoveLine(line_id) => {
                self.require("remove a line from", &[OrderStatus::Open])?;
                self.line(*line_id).ok_or(OrderError::UnknownLine(*line_id))?;
                let remaining: Vec<OrderLine> = self.lines.iter().filter(|l| l.line_id != *line_id).cloned().collect();
                let after = self.totals_with(&remaining, self.discounts.value());
                if after.total < after.paid {
                    return Err(OrderError::BelowPaid { paid: after.paid });
                }
                Ok(vec![OrderEvent::LineRemoved {
                    line_id: *line_id,
                    by,
                    at,
                }])
            }
            OrderCommand::ApplyDiscount {
                discount,
                reason,
                limit,
            } => self.decide_discount(discount, reason, *limit, ctx),
            OrderCommand::SendToKitchen => {
                self.require("send", &[OrderStatus::Open])?;
                if self.lines.is_empty() {
                    return Err(OrderError::Empty);
                }
                Ok(vec![OrderEvent::SentToKitchen { by, at }])
            }
            OrderCommand::StartTicket => {
                self.require("start", &[OrderStatus::InKitchen])?;
                if self.ticket.started_at.is_some() {
                    return Err(OrderError::AlreadyStarted);
                }
                Ok(vec![OrderEvent::TicketStarted { by, at }])
            }
            OrderCommand::MarkLineReady(line_id) => self.decide_line_ready(*line_id, ctx),
            OrderCommand::CompleteTicket => {
                self.require("complete", &[OrderStatus::InKitchen])?;
                Ok(vec![OrderEvent::TicketCompleted { by, at }])
            }
            OrderCommand::RecallTicket => {
                self.require("recall", &[OrderStatus::Ready])?;
                Ok(vec![OrderEvent::TicketRecalled { by, at }])
            }
            OrderCommand::SetPriority { rush } => {
                self.require("prioritise", &[OrderStatus::Open, OrderStatus::InKitchen])?;
                if self.ticket.rush == *rush {
                    return Ok(vec![]);
                }
                Ok(vec![OrderEvent::PrioritySet { rush: *rush, by, at }])
            }
            OrderCommand::Serve => {
                self.require("serve", &[OrderStatus::Ready])?;
                Ok(vec![OrderEvent::Served { by, at }])
            }
            OrderCommand::Cancel { reason } => self.decide_cancel(reason, ctx),
        }
    }

    fn apply(&mut self, event: &OrderEvent) {
        match event {
            OrderEvent::Placed {
                number,
                order_type,
                table,
                customer_id,
                lines,
                tax_rate,
                ..
            } => {
                self.status = Some(OrderStatus::Open);
                self.number = *number;
                self.order_type = Some(*order_type);
                self.table = *table;
                self.customer_id = *customer_id;
                self.lines = lines.clone();
                self.tax_rate = *tax_rate;
            }
            OrderEvent::LineAdded { line, .. } => self.lines.push(line.clone()),
            OrderEvent::LineRemoved { line_id, .. } => self.lines.retain(|l| l.line_id != *line_id),
            OrderEvent::DiscountApplied { amount, .. } => {
                self.discounts = Money::from_computed(self.discounts.value() + amount.value());
            }
            OrderEvent::SentToKitchen { at, .. } => {
                self.status = Some(OrderStatus::InKitchen);
                self.ticket.sent_at = Some(*at);
            }
            OrderEvent::TicketStarted { at, .. } => self.ticket.started_at = Some(*at),
            OrderEvent::LineReady { line_id, .. } => {
                if let Some(line) = self.lines.iter_mut().find(|l| l.line_id == *line_id) {
                    line.status = LineStatus::Ready;
                }
            }
            OrderEvent::TicketCompleted { at, .. } => {
                self.lines.iter_mut().for_each(|l| l.status = LineStatus::Ready);
                self.status = Some(OrderStatus::Ready);
                self.ticket.completed_at = Some(*at);
            }
            OrderEvent::TicketRecalled { .. } => {
                self.status = Some(OrderStatus::InKitchen);
                self.ticket.recalls += 1;
            }
            OrderEvent::PrioritySet { rush, .. } => self.ticket.rush = *rush,
            OrderEvent::Served { .. } => self.status = Some(OrderStatus::Served),
            OrderEvent::Cancelled { .. } => self.status = Some(OrderStatus::Cancelled),
            OrderEvent::PaymentCaptured { .. } | OrderEvent::PaymentRefunded { .. } => self.evolve_payment(event),
            OrderEvent::Closed { .. } => self.closed = true,
        }
    }
}
