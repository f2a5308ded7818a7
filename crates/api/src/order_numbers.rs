//! Order numbers: what the pass calls out. They count per organization per local business day
//! (in the organization's timezone) when the POS sends none.
//!
//! The counter is committed without waiting for the disk (`synchronous_commit` off for its
//! statement alone): the row is hot, and a number is for people at the pass, not an identity (the
//! order id is), so after a database crash a number of the last moments may be handed out again.
//! A number is taken before the order is decided, so an order refused after that (an item off the
//! menu, a domain refusal) leaves a gap in the day's numbers.

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;
use std::sync::LazyLock;
use uuid::Uuid;

/// The statement that takes the next number of `$1`'s day `$3` (nothing when `$3` is null), as a
/// common table expression `number(last)`, so that it can ride along with another query.
pub(crate) const TAKE_NEXT: &str = "number AS ( \
    INSERT INTO api.order_numbers (tenant_id, day, last) \
    SELECT $1, $3::date, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit \
     WHERE $3::date IS NOT NULL \
    ON CONFLICT (tenant_id, day) DO UPDATE SET last = api.order_numbers.last + 1 RETURNING last)";

/// Today in `tz`: the business day an order placed now counts in.
pub(crate) fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// Takes the next number of `tenant`'s `day` on its own.
pub(crate) async fn take_next(pool: &PgPool, tenant: Uuid, day: NaiveDate) -> Result<u32, sqlx::Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| format!("WITH {TAKE_NEXT} SELECT last FROM number"));
    let last: i32 = sqlx::query_scalar(SQL.as_str())
        .bind(tenant)
        .bind(None::<Vec<String>>)
        .bind(day)
        .fetch_one(pool)
        .await?;
    Ok(u32::try_from(last).unwrap_or_default())
}
