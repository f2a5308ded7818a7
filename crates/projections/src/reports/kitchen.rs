//! The kitchen display: open tickets per station (or the expo view of all), oldest first with
//! rush tickets before all others, urgency colours, all-day counts, recently completed tickets and
//! average prep time per station over the last hour.

use crate::models::ticket::{Ticket, TicketLine, TicketStatus};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::PgPool;
use sqlx::types::Json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Green, amber, red.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Under the amber threshold.
    Green,
    /// From amber.
    Amber,
    /// From red.
    Red,
}

/// One ticket on a screen.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    /// The order.
    pub order_id: Uuid,
    /// Order number.
    pub number: u32,
    /// The table number (dine-in).
    pub table: Option<u16>,
    /// Dine-in, takeout, delivery.
    pub order_type: brigade_domain::order::OrderType,
    /// Rushed: shown before every other ticket.
    pub rush: bool,
    /// Where the ticket is.
    pub status: TicketStatus,
    /// Sent at.
    pub sent_at: Option<DateTime<Utc>>,
    /// Seconds since sent.
    pub elapsed_seconds: i64,
    /// How late it is, against the organization's thresholds.
    pub urgency: Urgency,
    /// The lines for this station (all lines on the expo view).
    pub lines: Vec<TicketLine>,
    /// Stations whose lines are all up (expo view).
    pub stations_done: Vec<String>,
    /// Every station the ticket has lines on.
    pub stations: Vec<String>,
}

/// Portions of one item open on the screen.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AllDay {
    /// Menu item name.
    pub name: String,
    /// Open portions (lines not yet up).
    pub portions: u64,
}

/// A station's screen (or the expo's).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KitchenScreen {
    /// The station, or `None` for expo.
    pub station: Option<String>,
    /// Open tickets, rush first, then oldest first.
    pub tickets: Vec<TicketView>,
    /// "All day" counts.
    pub all_day: Vec<AllDay>,
    /// Tickets bumped in the last hour (recall is possible), newest first.
    pub recently_completed: Vec<TicketView>,
    /// Average seconds from sent to the station's last line up, per station, over the last hour.
    pub average_prep_seconds: BTreeMap<String, f64>,
    /// The moment the screen was computed: a display keeps the elapsed clocks counting from it,
    /// whatever its own clock says.
    pub as_of: DateTime<Utc>,
    /// A ticket turns amber this many seconds after it was sent (the organization's setting)...
    pub amber_after_seconds: i64,
    /// ...and red after this many: a display recolours tickets as they age, between reads.
    pub red_after_seconds: i64,
}

/// A ticket counts as recently completed this long after it was bumped.
pub(crate) const RECENT: Duration = Duration::hours(1);

/// Kitchen thresholds of an organization (defaults 5 and 8 minutes), from its settings.
pub(crate) fn thresholds((amber, red): (Option<i64>, Option<i64>)) -> (i64, i64) {
    (amber.unwrap_or(300), red.unwrap_or(480))
}

async fn settings(pool: &PgPool, tenant: Uuid) -> Result<(i64, i64), sqlx::Error> {
    let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT (settings->>'kitchen_amber_after_secs')::bigint, (settings->>'kitchen_red_after_secs')::bigint \
           FROM sales.organizations WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(pool)
    .await?;
    Ok(thresholds(row.unwrap_or((None, None))))
}

/// What an organization's screens are drawn from: its open tickets, and those bumped since
/// `since` (bumped tickets stay a while, to be recalled and for the prep times).
#[derive(Debug, Default)]
pub struct Tickets {
    open: Vec<(Uuid, Ticket)>,
    done: Vec<(Uuid, Ticket)>,
    since: DateTime<Utc>,
}

impl Tickets {
    /// Reads them from the kitchen queue's tables: two index scans (the open tickets, and the
    /// bumped ones since `since`) and every document decoded, which is what a kept copy saves.
    pub async fn read(pool: &PgPool, tenant: Uuid, since: DateTime<Utc>) -> Result<Tickets, sqlx::Error> {
        let open: Vec<(Uuid, Json<Ticket>)> = sqlx::query_as(
            "SELECT order_id, doc FROM kitchen_queue.tickets \
              WHERE tenant_id = $1 AND status IN ('queued', 'cooking', 'recalled')",
        )
        .bind(tenant)
        .fetch_all(pool)
        .await?;
        let done: Vec<(Uuid, Json<Ticket>)> = sqlx::query_as(
            "SELECT order_id, doc FROM kitchen_queue.tickets WHERE tenant_id = $1 AND completed_at >= $2",
        )
        .bind(tenant)
        .bind(since)
        .fetch_all(pool)
        .await?;
        let unwrap = |rows: Vec<(Uuid, Json<Ticket>)>| rows.into_iter().map(|(id, Json(t))| (id, t)).collect();
        Ok(Tickets {
            open: unwrap(open),
            done: unwrap(done),
            since,
        })
    }

    /// Whether they include every ticket a screen at `now` shows.
    pub(crate) fn cover(&self, now: DateTime<Utc>) -> bool {
        self.since <= now - RECENT
    }

    /// The screen of `station` (`None`: expo) at `now`, with the organization's thresholds.
    pub fn screen(&self, station: Option<&str>, now: DateTime<Utc>, limits: (i64, i64)) -> KitchenScreen {
        let hour_ago = now - RECENT;
        let done: Vec<&(Uuid, Ticket)> = self
            .done
            .iter()
            .filter(|(_, t)| t.completed_at.is_some_and(|at| at >= hour_ago))
            .collect();
        let on_station = |t: &Ticket| station.is_none_or(|s| t.lines.iter().any(|l| l.station.to_string() == s));
        // A station's screen keeps a ticket while it has lines of its own still to send up (or the
        // whole ticket was recalled); the expo keeps it until the ticket is bumped.
        let still_cooking_here = |t: &Ticket| {
            t.status == TicketStatus::Recalled
                || station.is_none_or(|s| t.lines.iter().any(|l| l.station.to_string() == s && !l.ready))
        };

        let mut tickets: Vec<TicketView> = self
            .open
            .iter()
            .filter(|(_, t)| on_station(t) && still_cooking_here(t))
            .map(|(id, t)| view(*id, t, station, now, limits))
            .collect();
        tickets.sort_by(|a, b| {
            b.rush
                .cmp(&a.rush)
                .then(a.sent_at.cmp(&b.sent_at))
                .then(a.number.cmp(&b.number))
        });

        let mut all_day: BTreeMap<String, u64> = BTreeMap::new();
        for t in &tickets {
            for line in t.lines.iter().filter(|l| !l.ready) {
                *all_day.entry(line.name.clone()).or_default() += u64::from(line.quantity);
            }
        }

        let mut recently_completed: Vec<TicketView> = done
            .iter()
            .filter(|(_, t)| t.status == TicketStatus::Ready && on_station(t))
            .map(|(id, t)| view(*id, t, station, now, limits))
            .collect();
        recently_completed.sort_by_key(|t| std::cmp::Reverse(t.sent_at));

        let mut prep: BTreeMap<String, (f64, u32)> = BTreeMap::new();
        for (_, t) in &done {
            let Some(sent) = t.sent_at else { continue };
            for s in t.stations() {
                let last_up = t
                    .lines
                    .iter()
                    .filter(|l| l.station.to_string() == s)
                    .filter_map(|l| l.ready_at)
                    .max();
                if let Some(up) = last_up {
                    let e = prep.entry(s).or_default();
                    e.0 += (up - sent).num_milliseconds() as f64 / 1000.0;
                    e.1 += 1;
                }
            }
        }
        KitchenScreen {
            as_of: now,
            amber_after_seconds: limits.0,
            red_after_seconds: limits.1,
            station: station.map(str::to_owned),
            tickets,
            all_day: all_day
                .into_iter()
                .map(|(name, portions)| AllDay { name, portions })
                .collect(),
            recently_completed,
            average_prep_seconds: prep
                .into_iter()
                .filter(|(s, _)| station.is_none_or(|x| x == s))
                .map(|(s, (sum, n))| (s, sum / f64::from(n)))
                .collect(),
        }
    }
}

fn view(order_id: Uuid, t: &Ticket, station: Option<&str>, now: DateTime<Utc>, (amber, red): (i64, i64)) -> TicketView {
    let elapsed = t.sent_at.map_or(0, |s| (now - s).num_seconds().max(0));
    let urgency = if elapsed >= red {
        Urgency::Red
    } else if elapsed >= amber {
        Urgency::Amber
    } else {
        Urgency::Green
    };
    let stations = t.stations();
    let stations_done = stations
        .iter()
        .filter(|s| t.lines.iter().filter(|l| l.station.to_string() == **s).all(|l| l.ready))
        .cloned()
        .collect();
    TicketView {
        order_id,
        number: t.number,
        table: t.table,
        order_type: t.order_type,
        rush: t.rush,
        status: t.status,
        sent_at: t.sent_at,
        elapsed_seconds: elapsed,
        urgency,
        lines: t
            .lines
            .iter()
            .filter(|l| station.is_none_or(|s| l.station.to_string() == s))
            .cloned()
            .collect(),
        stations_done,
        stations,
    }
}

/// The screen of `station` (`None`: expo) at `now`, read from the tables (the API reads through
/// [`KitchenScreens`](super::kitchen_cache::KitchenScreens), which keeps the tickets between
/// changes).
pub async fn screen(
    pool: &PgPool,
    tenant: Uuid,
    station: Option<&str>,
    now: DateTime<Utc>,
) -> Result<KitchenScreen, sqlx::Error> {
    let limits = settings(pool, tenant).await?;
    Ok(Tickets::read(pool, tenant, now - RECENT)
        .await?
        .screen(station, now, limits))
}

/// One change of the live feed.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KitchenChange {
    /// Where the event that made it is in the global log: the feed's SSE id (resume after it).
    #[serde(skip)]
    pub id: brigade_eventstore::GlobalPosition,
    /// The global position of the event that made it: `after=` this on a read waits until the
    /// read model shows the change.
    pub position: i64,
    /// The order.
    pub order_id: Uuid,
    /// `sent`, `started`, `line_ready`, `completed`, `recalled`, `priority`, `served`, `cancelled`.
    pub change: String,
    /// Stations concerned.
    pub stations: Vec<String>,
    /// When it happened: the time of the command that decided it.
    pub at: DateTime<Utc>,
    /// The ticket after the change.
    #[schema(value_type = crate::models::ticket::Ticket)]
    pub ticket: serde_json::Value,
}

/// Changes after `after` for a station (or all), in the order they were applied.
pub async fn changes_since(
    pool: &PgPool,
    tenant: Uuid,
    station: Option<&str>,
    after: brigade_eventstore::GlobalPosition,
    limit: i64,
) -> Result<Vec<KitchenChange>, sqlx::Error> {
    type Row = (i64, i64, Uuid, String, Vec<String>, DateTime<Utc>, serde_json::Value);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT transaction_id, position, order_id, change, stations, at, ticket FROM kitchen_queue.changes \
          WHERE tenant_id = $1 AND (transaction_id, position) > ($2, $3) \
            AND ($4::text IS NULL OR $4 = ANY(stations)) \
          ORDER BY transaction_id, position LIMIT $5",
    )
    .bind(tenant)
    .bind(after.transaction_id)
    .bind(after.position)
    .bind(station)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(transaction_id, position, order_id, change, stations, at, ticket)| KitchenChange {
                id: brigade_eventstore::GlobalPosition {
                    transaction_id,
                    position,
                },
                position,
                order_id,
                change,
                stations,
                at,
                ticket,
            },
        )
        .collect())
}

/// The kitchen's ticket of an order, if the order was ever sent.
pub async fn ticket(pool: &PgPool, tenant: Uuid, order_id: Uuid) -> Result<Option<Ticket>, sqlx::Error> {
    let row: Option<Json<Ticket>> =
        sqlx::query_scalar("SELECT doc FROM kitchen_queue.tickets WHERE tenant_id = $1 AND order_id = $2")
            .bind(tenant)
            .bind(order_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|Json(ticket)| ticket))
}

/// The organization's latest change: where a screen that did not say where it was starts.
pub async fn latest_change(pool: &PgPool, tenant: Uuid) -> Result<brigade_eventstore::GlobalPosition, sqlx::Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT transaction_id, position FROM kitchen_queue.changes WHERE tenant_id = $1 \
          ORDER BY transaction_id DESC, position DESC LIMIT 1",
    )
    .bind(tenant)
    .fetch_optional(pool)
    .await?;
    Ok(row.map_or_else(Default::default, |(transaction_id, position)| {
        brigade_eventstore::GlobalPosition {
            transaction_id,
            position,
        }
    }))
}
