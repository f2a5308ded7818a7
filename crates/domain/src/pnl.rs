//! The P&L statement in the layout of the Uniform System of Accounts for Restaurants, and the
//! calendar arithmetic that groups it by day, week or month in the organization's timezone.

use crate::amount::round_money;
use crate::expense::ExpenseCategory;
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The figures of one period, accumulated at full precision from events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlFigures {
    /// Food lines of orders closed in the period.
    #[schema(value_type = crate::schema::Figure)]
    pub food_sales: Decimal,
    /// Beverage lines of orders closed in the period.
    #[schema(value_type = crate::schema::Figure)]
    pub beverage_sales: Decimal,
    /// Discounts on those orders.
    #[schema(value_type = crate::schema::Figure)]
    pub discounts: Decimal,
    /// Refunds made in the period.
    #[schema(value_type = crate::schema::Figure)]
    pub refunds: Decimal,
    /// Valued recipe consumption of food lines of orders closed in the period.
    #[schema(value_type = crate::schema::Figure)]
    pub food_cost: Decimal,
    /// Likewise for beverages.
    #[schema(value_type = crate::schema::Figure)]
    pub beverage_cost: Decimal,
    /// Valued negative adjustments, and consumption of orders cancelled after being sent.
    #[schema(value_type = crate::schema::Figure)]
    pub wastage: Decimal,
    /// Expenses by category.
    #[schema(value_type = BTreeMap<String, crate::schema::Figure>)]
    pub expenses: BTreeMap<ExpenseCategory, Decimal>,
    /// Orders closed in the period.
    pub closed_orders: u64,
    /// Guests, where counted.
    pub covers: u64,
}

impl PlFigures {
    /// Adds another period's figures to this one (for totals across groups).
    pub fn add(&mut self, other: &PlFigures) {
        self.food_sales += other.food_sales;
        self.beverage_sales += other.beverage_sales;
        self.discounts += other.discounts;
        self.refunds += other.refunds;
        self.food_cost += other.food_cost;
        self.beverage_cost += other.beverage_cost;
        self.wastage += other.wastage;
        for (c, v) in &other.expenses {
            *self.expenses.entry(*c).or_default() += v;
        }
        self.closed_orders += other.closed_orders;
        self.covers += other.covers;
    }
}

/// Ratios, in percent; `None` where the denominator is zero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlRatios {
    /// Food cost / food sales.
    #[schema(value_type = Option<crate::schema::Ratio>)]
    pub food_cost_pct: Option<Decimal>,
    /// Beverage cost / beverage sales.
    #[schema(value_type = Option<crate::schema::Ratio>)]
    pub beverage_cost_pct: Option<Decimal>,
    /// Total cost of sales / food and beverage sales: the two percentages above combined,
    /// weighted by their sales (the figure a kitchen is usually held to).
    #[schema(value_type = Option<crate::schema::Ratio>)]
    pub cost_of_sales_pct: Option<Decimal>,
    /// Labor / net sales.
    #[schema(value_type = Option<crate::schema::Ratio>)]
    pub labor_pct: Option<Decimal>,
    /// Prime cost / net sales.
    #[schema(value_type = Option<crate::schema::Ratio>)]
    pub prime_cost_pct: Option<Decimal>,
    /// Net profit / net sales.
    #[schema(value_type = Option<crate::schema::Ratio>)]
    pub net_margin_pct: Option<Decimal>,
    /// Gross profit / net sales.
    #[schema(value_type = Option<crate::schema::Ratio>)]
    pub gross_margin_pct: Option<Decimal>,
}

/// A P&L statement, every amount rounded to cents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlStatement {
    /// Food sales.
    #[schema(value_type = crate::schema::Amount)]
    pub food_sales: Decimal,
    /// Beverage sales.
    #[schema(value_type = crate::schema::Amount)]
    pub beverage_sales: Decimal,
    /// Discounts given on those orders.
    #[schema(value_type = crate::schema::Amount)]
    pub discounts: Decimal,
    /// Refunds made in the period.
    #[schema(value_type = crate::schema::Amount)]
    pub refunds: Decimal,
    /// Sales - discounts - refunds.
    #[schema(value_type = crate::schema::Amount)]
    pub net_sales: Decimal,
    /// Food cost of sales.
    #[schema(value_type = crate::schema::Amount)]
    pub food_cost: Decimal,
    /// Beverage cost of sales.
    #[schema(value_type = crate::schema::Amount)]
    pub beverage_cost: Decimal,
    /// Total cost of sales.
    #[schema(value_type = crate::schema::Amount)]
    pub cost_of_sales: Decimal,
    /// Net sales - cost of sales.
    #[schema(value_type = crate::schema::Amount)]
    pub gross_profit: Decimal,
    /// Stock lost: spoilage, breakage, and what cancelled orders had used.
    #[schema(value_type = crate::schema::Amount)]
    pub wastage: Decimal,
    /// Wages and the costs that come with them.
    #[schema(value_type = crate::schema::Amount)]
    pub labor: Decimal,
    /// Cost of sales + labor.
    #[schema(value_type = crate::schema::Amount)]
    pub prime_cost: Decimal,
    /// Other expenses by category (labor excluded).
    #[schema(value_type = BTreeMap<String, crate::schema::Amount>)]
    pub other_expenses: BTreeMap<ExpenseCategory, Decimal>,
    /// Gross profit - wastage - labor - other expenses.
    #[schema(value_type = crate::schema::Amount)]
    pub net_profit: Decimal,
    /// The figures as percentages of sales.
    pub ratios: PlRatios,
    /// Closed orders.
    pub closed_orders: u64,
    /// Covers (0 when not counted).
    pub covers: u64,
    /// Net sales / closed orders.
    #[schema(value_type = Option<crate::schema::Figure>)]
    pub average_ticket: Option<Decimal>,
}

fn pct(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| round_money(part / whole * Decimal::ONE_HUNDRED))
}

impl PlFigures {
    /// The statement: computed at full precision, rounded once at the end.
    pub fn statement(&self) -> PlStatement {
        let net_sales = self.food_sales + self.beverage_sales - self.discounts - self.refunds;
        let cost_of_sales = self.food_cost + self.beverage_cost;
        let gross_profit = net_sales - cost_of_sales;
        let labor = self.expenses.get(&ExpenseCategory::Labor).copied().unwrap_or_default();
        let other: BTreeMap<ExpenseCategory, Decimal> = self
            .expenses
            .iter()
            .filter(|(c, _)| **c != ExpenseCategory::Labor)
            .map(|(c, v)| (*c, *v))
            .collect();
        let other_total: Decimal = other.values().sum();
        let prime_cost = cost_of_sales + labor;
        let net_profit = gross_profit - self.wastage - labor - other_total;
        PlStatement {
            food_sales: round_money(self.food_sales),
            beverage_sales: round_money(self.beverage_sales),
            discounts: round_money(self.discounts),
            refunds: round_money(self.refunds),
            net_sales: round_money(net_sales),
            food_cost: round_money(self.food_cost),
            beverage_cost: round_money(self.beverage_cost),
            cost_of_sales: round_money(cost_of_sales),
            gross_profit: round_money(gross_profit),
            wastage: round_money(self.wastage),
            labor: round_money(labor),
            prime_cost: round_money(prime_cost),
            other_expenses: other.into_iter().map(|(c, v)| (c, round_money(v))).collect(),
            net_profit: round_money(net_profit),
            ratios: PlRatios {
                food_cost_pct: pct(self.food_cost, self.food_sales),
                beverage_cost_pct: pct(self.beverage_cost, self.beverage_sales),
                cost_of_sales_pct: pct(cost_of_sales, self.food_sales + self.beverage_sales),
                labor_pct: pct(labor, net_sales),
                prime_cost_pct: pct(prime_cost, net_sales),
                net_margin_pct: pct(net_profit, net_sales),
                gross_margin_pct: pct(gross_profit, net_sales),
            },
            closed_orders: self.closed_orders,
            covers: self.covers,
            average_ticket: (self.closed_orders > 0)
                .then(|| round_money(net_sales / Decimal::from(self.closed_orders))),
        }
    }
}

/// How a report groups its periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Calendar days.
    Day,
    /// ISO weeks, Monday first.
    Week,
    /// Calendar months.
    Month,
}

/// The organization-local date of a moment.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The first day of the period containing `date`.
pub fn period_start(date: NaiveDate, grouping: Grouping) -> NaiveDate {
    match grouping {
        Grouping::Day => date,
        Grouping::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
        Grouping::Month => date.with_day(1).unwrap_or(date),
    }
}
