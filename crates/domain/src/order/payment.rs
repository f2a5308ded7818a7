//! Payments and refunds on an order. They live in the order's stream, so the "never beyond the
//! balance" rule is enforced by the stream's optimistic concurrency: of 50 terminals paying the
//! same order at once, each decision sees the payments that committed before it.

use super::decide::{OrderError, text_err};
use super::{Order, OrderEvent, Payment, PaymentMethod};
use crate::actor::Context;
use crate::amount::Money;
use crate::catalog::MenuCategory;
use crate::catalog::text;
use crate::ids::{PaymentId, RefundId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

impl Order {
    pub(super) fn decide_payment(
        &self,
        payment_id: PaymentId,
        method: PaymentMethod,
        amount: Money,
        tip: Money,
        ctx: &Context,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        self.live_status()?;
        if amount.is_zero() {
            return Err(OrderError::AmountNotPositive);
        }
        if self.payments.iter().any(|p| p.payment_id == payment_id) {
            return Err(OrderError::DuplicatePayment(payment_id));
        }
        let outstanding = self.totals().outstanding;
        if amount.value() > outstanding {
            return Err(OrderError::ExceedsBalance {
                outstanding: outstanding.max(Decimal::ZERO),
            });
        }
        Ok(vec![OrderEvent::PaymentCaptured {
            payment_id,
            method,
            amount,
            tip,
            by: ctx.by(),
            at: ctx.at,
        }])
    }

    /// Refunds are the one command a closed order accepts: a sale is corrected after the guest
    /// left, and the refund reduces sales in the period it is made.
    pub(super) fn decide_refund(
        &self,
        refund_id: RefundId,
        payment_id: PaymentId,
        amount: Money,
        reason: &str,
        ctx: &Context,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        if self.status.is_none() {
            return Err(OrderError::NotFound);
        }
        if self.refund_ids.contains(&refund_id) {
            return Err(OrderError::DuplicateRefund);
        }
        let payment = self
            .payments
            .iter()
            .find(|p| p.payment_id == payment_id)
            .ok_or(OrderError::UnknownPayment(payment_id))?;
        if amount.is_zero() {
            return Err(OrderError::AmountNotPositive);
        }
        let refundable = payment.amount.value() - payment.refunded.value();
        if amount.value() > refundable {
            return Err(OrderError::ExceedsRefundable { refundable });
        }
        Ok(vec![OrderEvent::PaymentRefunded {
            refund_id,
            payment_id,
            amount,
            reason: text(reason, 200).map_err(text_err)?,
            by: ctx.by(),
            at: ctx.at,
        }])
    }

    pub(super) fn evolve_payment(&mut self, event: &OrderEvent) {
        match event {
            OrderEvent::PaymentCaptured {
                payment_id,
                method,
                amount,
                tip,
                ..
            } => self.payments.push(Payment {
                payment_id: *payment_id,
                method: *method,
                amount: *amount,
                tip: *tip,
                refunded: Money::default(),
            }),
            OrderEvent::PaymentRefunded {
                refund_id,
                payment_id,
                amount,
                ..
            } => {
                self.refund_ids.push(*refund_id);
                if let Some(p) = self.payments.iter_mut().find(|p| p.payment_id == *payment_id) {
                    // Refunds are money and never exceed the payment: the sum stays in cents.
                    p.refunded = Money::from_computed(p.refunded.value() + amount.value());
                }
            }
            _ => {}
        }
    }

    /// The closing event, with the revenue figures recognised at this moment.
    pub(super) fn closed_event(&self, at: DateTime<Utc>) -> OrderEvent {
        let t = self.totals();
        OrderEvent::Closed {
            food_sales: Money::from_computed(self.sales_of(MenuCategory::Food)),
            beverage_sales: Money::from_computed(self.sales_of(MenuCategory::Beverage)),
            discount: Money::from_computed(t.discount),
            tax: Money::from_computed(t.tax),
            tips: Money::from_computed(t.tips),
            at,
        }
    }
}
