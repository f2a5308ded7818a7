//! The kitchen screens' reads, from tickets kept in memory while the organization's queue has not
//! moved.
//!
//! A screen is drawn from every open ticket of the organization and those bumped in the last
//! hour. Reading them on each request meant a hundred JSON documents out of PostgreSQL and decoded
//! for a hundred tickets, and made a read of the screen dearer than placing an order (issue 18:
//! 988 reads/s against 1,661 orders/s). Screens are read far more often than tickets change, so
//! this keeps each organization's tickets and asks the database only whether they are still
//! current: the kitchen queue counts, per organization, the events it has applied
//! (`kitchen_queue.tenants`, written in the same transaction as the tickets), and a read asks for
//! that count (with the organization's thresholds, in the same single-row query). While it has not
//! moved, the tickets held are exactly the tables' and the screen is drawn from them.
//!
//! A count of events applied, rather than the last change's position, because an event parked
//! and applied later moves the count but not the latest position; and because a rebuild (the same
//! events in other batches) ends with the same count, so the rebuilt tables equal the live ones.
//! A rebuild that is swapped in replaces the tables themselves: the tickets table's identity is
//! part of the version, so the tickets are read again then too. Nothing here relies on a
//! notification arriving: every read asks.

use super::kitchen::{KitchenScreen, Tickets, thresholds};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Organizations whose tickets are kept; past that, one is let go for each newcomer. A kitchen
/// of a hundred open tickets is a few hundred kilobytes.
const KEPT: usize = 256;

/// What the tickets held were read at: the queue's count of the organization's events and the
/// tickets table's identity (a swapped-in rebuild is a new table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Version {
    events: i64,
    table: i64,
}

#[derive(Debug)]
struct Held {
    version: Version,
    tickets: Tickets,
    /// The last screen drawn for each station (`None`: expo), with its JSON.
    drawn: Mutex<HashMap<Option<String>, Arc<Drawn>>>,
}

/// A screen drawn from the tickets held, and its JSON: what every read of that screen within
/// the second after `screen.as_of` answers, while the tickets stay current. Its clocks are exact
/// as of `as_of`, which the answer carries (a display counts on from it), so an answer a fraction
/// of a second old shows nothing wrong; without this, drawing and serializing the tickets on
/// every read was most of a read's cost.
#[derive(Debug)]
pub struct Drawn {
    /// The screen.
    pub screen: KitchenScreen,
    /// `screen` as JSON.
    pub json: Vec<u8>,
}

/// Screens kept drawn per organization (its stations and the expo).
const STATIONS_DRAWN: usize = 32;

/// How long a drawn screen answers reads.
const REDRAW_AFTER: chrono::Duration = chrono::Duration::seconds(1);

/// One process's kitchen screens (the API server keeps one).
#[derive(Debug, Default)]
pub struct KitchenScreens {
    held: Mutex<HashMap<Uuid, Arc<Held>>>,
}

impl KitchenScreens {
    /// The screen of `station` (`None`: expo) at `now`, as [`super::kitchen::screen`] reads it
    /// from the tables, for one query while nothing changed.
    pub async fn screen(
        &self,
        pool: &PgPool,
        tenant: Uuid,
        station: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Arc<Drawn>, sqlx::Error> {
        let (version, limits) = current(pool, tenant).await?;
        let held = self
            .held
            .lock()
            .ok()
            .and_then(|held| held.get(&tenant).cloned())
            .filter(|held| held.version == version && held.tickets.cover(now));
        let held = match held {
            Some(held) => held,
            None => {
                // Read after the version, so they are at least that recent: a commit between the
                // two only makes the next read fetch them again.
                let tickets = Tickets::read(pool, tenant, now - super::kitchen::RECENT * 2).await?;
                let held = Arc::new(Held {
                    version,
                    tickets,
                    drawn: Mutex::default(),
                });
                self.keep(tenant, held.clone());
                held
            }
        };
        let key = station.map(str::to_owned);
        let recent = held
            .drawn
            .lock()
            .ok()
            .and_then(|drawn| drawn.get(&key).cloned())
            .filter(|d| {
                let age = now - d.screen.as_of;
                age >= chrono::Duration::zero()
                    && age < REDRAW_AFTER
                    && (d.screen.amber_after_seconds, d.screen.red_after_seconds) == limits
            });
        if let Some(drawn) = recent {
            return Ok(drawn);
        }
        let screen = held.tickets.screen(station, now, limits);
        let json = serde_json::to_vec(&screen).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let drawn = Arc::new(Drawn { screen, json });
        if let Ok(mut all) = held.drawn.lock() {
            // Stations are named by the caller: a few screens' worth are kept, not any number.
            if all.len() >= STATIONS_DRAWN && !all.contains_key(&key) {
                all.clear();
            }
            all.insert(key, drawn.clone());
        }
        Ok(drawn)
    }

    fn keep(&self, tenant: Uuid, held: Arc<Held>) {
        let Ok(mut all) = self.held.lock() else { return };
        if all.len() >= KEPT && !all.contains_key(&tenant) {
            if let Some(other) = all.keys().next().copied() {
                all.remove(&other);
            }
        }
        all.insert(tenant, held);
    }
}

/// The organization's version and thresholds, in one round trip.
async fn current(pool: &PgPool, tenant: Uuid) -> Result<(Version, (i64, i64)), sqlx::Error> {
    let (events, table, amber, red): (i64, i64, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT coalesce((SELECT events FROM kitchen_queue.tenants WHERE tenant_id = $1), 0), \
                coalesce(to_regclass('kitchen_queue.tickets')::oid::bigint, 0), \
                (SELECT (settings->>'kitchen_amber_after_secs')::bigint FROM sales.organizations WHERE tenant_id = $1), \
                (SELECT (settings->>'kitchen_red_after_secs')::bigint FROM sales.organizations WHERE tenant_id = $1)",
    )
    .bind(tenant)
    .fetch_one(pool)
    .await?;
    Ok((Version { events, table }, thresholds((amber, red))))
}
