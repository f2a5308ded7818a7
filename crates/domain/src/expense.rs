//! Operating expenses that feed the P&L below gross profit.

use crate::actor::{Context, Role};
use crate::aggregate::{Aggregate, EventPayload};
use crate::amount::Money;
use crate::catalog::{TextError, optional_text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where an expense goes in the P&L.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseCategory {
    /// Wages and salaries (part of prime cost).
    Labor,
    /// Rent of the premises.
    Rent,
    /// Power, water, gas.
    Utilities,
    /// Advertising and promotions.
    Marketing,
    /// Anything else.
    Other,
}

/// Record an expense.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordExpense {
    /// P&L category.
    pub category: ExpenseCategory,
    /// Amount, more than zero.
    pub amount: Money,
    /// The day the expense belongs to (in the organization's timezone).
    pub date: NaiveDate,
    /// Free text.
    pub note: Option<String>,
}

/// Events of an expense.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum ExpenseEvent {
    /// The expense is on the books.
    #[serde(rename = "expense.recorded")]
    Recorded {
        /// P&L category.
        category: ExpenseCategory,
        /// The amount of money.
        amount: Money,
        /// Day it belongs to.
        date: NaiveDate,
        /// Free text.
        note: Option<String>,
        /// Who recorded it.
        by: crate::ids::UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for ExpenseEvent {}

/// Why an expense was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExpenseError {
    /// The id is already used.
    #[error("the expense is already recorded")]
    AlreadyRecorded,
    /// Zero amount.
    #[error("an expense must be more than zero")]
    AmountNotPositive,
    /// Only managers and accountants book expenses.
    #[error("only a manager or accountant may record expenses")]
    NotAllowed,
    /// Bad note.
    #[error("note {0}")]
    BadNote(TextError),
}

/// An expense's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Expense {
    /// Category and amount once recorded.
    pub recorded: Option<(ExpenseCategory, Money)>,
}

impl Aggregate for Expense {
    const CATEGORY: &'static str = "expense";
    type Command = RecordExpense;
    type Event = ExpenseEvent;
    type Error = ExpenseError;

    fn decide(&self, c: &RecordExpense, ctx: &Context) -> Result<Vec<ExpenseEvent>, ExpenseError> {
        if !ctx.actor.has_any(&[Role::Manager, Role::Accountant]) {
            return Err(ExpenseError::NotAllowed);
        }
        if self.recorded.is_some() {
            return Err(ExpenseError::AlreadyRecorded);
        }
        if c.amount.is_zero() {
            return Err(ExpenseError::AmountNotPositive);
        }
        let note = optional_text(c.note.as_deref(), 500).map_err(ExpenseError::BadNote)?;
        Ok(vec![ExpenseEvent::Recorded {
            category: c.category,
            amount: c.amount,
            date: c.date,
            note,
            by: ctx.by(),
            at: ctx.at,
        }])
    }

    fn evolve(&mut self, event: &ExpenseEvent) {
        let ExpenseEvent::Recorded { category, amount, .. } = event;
        self.recorded = Some((*category, *amount));
    }
}
