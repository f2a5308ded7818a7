//! The P&L statement over `[from, to)` in the organization's timezone, by day, week or month.
//! Figures are summed per local day in SQL at full precision, gathered into periods here, and
//! rounded only by the domain's statement.

use super::{start_of, timezone};
use crate::models::from_stored_name;
use brigade_domain::expense::ExpenseCategory;
use brigade_domain::pnl::{Grouping, PlFigures, PlStatement, period_start};
use brigade_domain::valuation::Method;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The instants and timezone every per-day query of the statement binds, as `$1`..`$4`.
struct Range<'a> {
    tenant: Uuid,
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
    tz: &'a str,
}

impl Range<'_> {
    /// Runs a query grouped by local day: `$1` tenant, `$2`..`$3` the range, `$4` the timezone.
    async fn days<T>(&self, pool: &PgPool, sql: &str) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        sqlx::query_as(sql)
            .bind(self.tenant)
            .bind(self.start)
            .bind(self.end)
            .bind(self.tz)
            .fetch_all(pool)
            .await
    }
}

/// One period of a statement: its first day, and its figures beside it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlPeriod {
    /// The period's first day (a day, the Monday of a week, the first of a month).
    pub period: NaiveDate,
    /// Its figures.
    #[serde(flatten)]
    pub statement: PlStatement,
}

/// A P&L statement per period and in total.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlReport {
    /// First day.
    pub from: NaiveDate,
    /// Day after the last.
    pub to: NaiveDate,
    /// How periods are grouped: by day, week or month.
    pub group_by: Grouping,
    /// Valuation method of the costs.
    pub method: Method,
    /// The organization's timezone.
    pub timezone: String,
    /// Each period that has any figure, in order.
    pub periods: Vec<PlPeriod>,
    /// The whole range.
    pub total: PlStatement,
}

/// Builds the statement.
pub async fn statement(
    pool: &PgPool,
    tenant: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    group_by: Grouping,
    method: Method,
) -> Result<PlReport, sqlx::Error> {
    let tz = timezone(pool, tenant).await?;
    let (start, end) = (start_of(from, tz), start_of(to, tz));
    let tz_name = tz.name();
    let range = Range {
        tenant,
        start,
        end,
        tz: tz_name,
    };
    let cost = match method {
        Method::Fifo => "cost_fifo",
        Method::WeightedAverage => "cost_avco",
    };
    let mut days: BTreeMap<NaiveDate, PlFigures> = BTreeMap::new();

    type Sales = (NaiveDate, Decimal, Decimal, Decimal, i64, i64);
    let sales: Vec<Sales> = range
        .days(
            pool,
            "SELECT (closed_at AT TIME ZONE $4)::date, sum(food_sales), sum(beverage_sales), sum(discount), count(*), \
                sum(coalesce(covers, 0))::bigint \
           FROM sales.orders WHERE tenant_id = $1 AND closed_at >= $2 AND closed_at < $3 GROUP BY 1",
        )
        .await?;
    for (day, food, beverage, discount, orders, covers) in sales {
        let f = days.entry(day).or_default();
        f.food_sales += food;
        f.beverage_sales += beverage;
        f.discounts += discount;
        f.closed_orders += u64::try_from(orders).unwrap_or_default();
        f.covers += u64::try_from(covers).unwrap_or_default();
    }

    let costs: Vec<(NaiveDate, Option<Decimal>, Option<Decimal>)> = range
        .days(
            pool,
            &format!(
                "SELECT (o.closed_at AT TIME ZONE $4)::date, sum(m.{cost}) FILTER (WHERE m.category = 'food'), \
                sum(m.{cost}) FILTER (WHERE m.category = 'beverage') \
           FROM stock.movements m JOIN sales.orders o ON o.tenant_id = m.tenant_id AND o.order_id = m.order_id \
          WHERE m.tenant_id = $1 AND m.kind = 'consumed' AND o.closed_at >= $2 AND o.closed_at < $3 GROUP BY 1"
            ),
        )
        .await?;
    for (day, food, beverage) in costs {
        let f = days.entry(day).or_default();
        f.food_cost += food.unwrap_or_default();
        f.beverage_cost += beverage.unwrap_or_default();
    }

    let refunds: Vec<(NaiveDate, Decimal)> = range
        .days(
            pool,
            "SELECT (at AT TIME ZONE $4)::date, sum(amount) FROM sales.refunds \
          WHERE tenant_id = $1 AND at >= $2 AND at < $3 GROUP BY 1",
        )
        .await?;
    for (day, amount) in refunds {
        days.entry(day).or_default().refunds += amount;
    }

    let wastage: Vec<(NaiveDate, Decimal)> = range
        .days(
            pool,
            &format!(
                "SELECT day, sum(cost) FROM ( \
            SELECT (m.at AT TIME ZONE $4)::date AS day, m.{cost} AS cost FROM stock.movements m \
             WHERE m.tenant_id = $1 AND m.kind = 'adjusted' AND m.quantity < 0 AND m.at >= $2 AND m.at < $3 \
            UNION ALL \
            SELECT (o.cancelled_at AT TIME ZONE $4)::date, m.{cost} FROM stock.movements m \
              JOIN sales.orders o ON o.tenant_id = m.tenant_id AND o.order_id = m.order_id \
             WHERE m.tenant_id = $1 AND m.kind = 'consumed' AND o.sent \
               AND o.cancelled_at >= $2 AND o.cancelled_at < $3 \
          ) w GROUP BY day"
            ),
        )
        .await?;
    for (day, amount) in wastage {
        days.entry(day).or_default().wastage += amount;
    }

    let expenses: Vec<(NaiveDate, String, Decimal)> = sqlx::query_as(
        "SELECT date, category, sum(amount) FROM sales.expenses \
          WHERE tenant_id = $1 AND date >= $2 AND date < $3 GROUP BY 1, 2",
    )
    .bind(tenant)
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    for (day, category, amount) in expenses {
        let category: ExpenseCategory = from_stored_name(&category).unwrap_or(ExpenseCategory::Other);
        *days.entry(day).or_default().expenses.entry(category).or_default() += amount;
    }

    let mut periods: BTreeMap<NaiveDate, PlFigures> = BTreeMap::new();
    let mut total = PlFigures::default();
    for (day, figures) in &days {
        periods.entry(period_start(*day, group_by)).or_default().add(figures);
        total.add(figures);
    }
    Ok(PlReport {
        from,
        to,
        group_by,
        method,
        timezone: tz_name.to_owned(),
        periods: periods
            .into_iter()
            .map(|(period, f)| PlPeriod {
                period,
                statement: f.statement(),
            })
            .collect(),
        total: total.statement(),
    })
}
