//! Queries over the read models: what the API serves and the tests read back. Reports that need
//! costs (P&L, menu engineering, usage, wastage) read the stock projection's valued movements
//! beside the sales projection's orders; the caller waits for both when it asks for a position.

pub mod kitchen;
pub mod kitchen_cache;
pub mod menu;
pub mod page;
pub mod pnl;
pub mod sales;
pub mod stock;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

/// The organization's timezone (UTC until its settings are known).
pub async fn timezone(pool: &sqlx::PgPool, tenant: Uuid) -> Result<Tz, sqlx::Error> {
    let tz: Option<String> =
        sqlx::query_scalar("SELECT settings->>'timezone' FROM sales.organizations WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(pool)
            .await?
            .flatten();
    Ok(tz.and_then(|t| t.parse().ok()).unwrap_or(Tz::UTC))
}

/// The instant a local date starts in `tz` (the earliest, across a DST change).
pub fn start_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // A DST gap at midnight: the day starts at the first instant after it.
        chrono::LocalResult::None => tz
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc)),
    }
}
