//! Reference data an order command reads but does not change: the organization's settings (tax
//! rate, discount limit, timezone) and the menu items on its lines (price, station, recipe). A POS
//! places hundreds of orders against the same few streams, so their folded states are kept here
//! by stream and version, and each request checks them with one query for the latest versions of
//! all the streams it needs: a state is used only if it is the stream's latest, so a command
//! decides on exactly what a fresh load would give, at a fraction of the reads.
//!
//! Placing an order also needs the day's next order number; it is taken in the same round trip
//! (see `order_numbers`), on the day of the timezone the cached settings name, and taken again in
//! the rare case the latest settings put now on another day.

use crate::order_numbers::{self, TAKE_NEXT};
use brigade_domain::ids::MenuItemId;
use brigade_domain::menu_item::{MenuItem, MenuItemError, MenuItemSnapshot};
use brigade_domain::organization::{Organization, Settings};
use brigade_domain::{Aggregate, stream_id};
use brigade_eventstore::{StoreError, TenantStore};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use uuid::Uuid;

/// Folded states by (organization, stream), with the version they include.
#[derive(Default)]
pub struct Reference {
    organizations: Mutex<HashMap<Uuid, (u64, Settings)>>,
    menu: Mutex<HashMap<(Uuid, Uuid), (u64, MenuItem)>>,
}

/// What a command gets: the settings, and each menu item asked for as on offer now.
pub struct Current {
    /// The organization's settings (defaults before it has any).
    pub settings: Settings,
    /// Each menu item asked for: its snapshot, or why it cannot be ordered.
    pub offers: HashMap<Uuid, Result<MenuItemSnapshot, MenuItemError>>,
    /// The day's next order number, when one was asked for.
    pub number: Option<u32>,
}

impl Reference {
    /// The organization's settings and the offers of `menu_items`, as of now, and the day's next
    /// order number if `number` asks for one.
    pub async fn current(
        &self,
        pool: &sqlx::PgPool,
        store: &TenantStore,
        menu_items: &[Uuid],
        number: bool,
    ) -> Result<Current, StoreError> {
        let tenant = store.tenant_id();
        let org_stream = stream_id::<Organization>(tenant);
        let mut streams: Vec<String> = menu_items.iter().map(stream_id::<MenuItem>).collect();
        streams.push(org_stream.clone());
        // The day by the cached settings' timezone; with nothing cached yet, the number is taken
        // after the settings are loaded (a guess could count an order on another day's counter).
        let day = number
            .then(|| self.timezone_hint(tenant.0))
            .flatten()
            .map(order_numbers::today);
        // One index probe per stream (`= ANY` over the whole tenant would let a generic plan scan
        // every event of the organization).
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH {TAKE_NEXT} \
                 SELECT s.stream_id, \
                        (SELECT max(e.version) FROM events e WHERE e.tenant_id = $1 AND e.stream_id = s.stream_id), \
                        (SELECT last FROM number) \
                   FROM unnest($2::text[]) AS s(stream_id)"
            )
        });
        let rows: Vec<(String, Option<i64>, Option<i32>)> = sqlx::query_as(SQL.as_str())
            .bind(tenant.0)
            .bind(&streams)
            .bind(day)
            .fetch_all(pool)
            .await?;
        let taken = rows.first().and_then(|(_, _, n)| *n);
        let latest: HashMap<String, i64> = rows
            .into_iter()
            .filter_map(|(stream, version, _)| version.map(|v| (stream, v)))
            .collect();
        let version_of = |stream: &str| latest.get(stream).and_then(|v| u64::try_from(*v).ok()).unwrap_or(0);

        let org_version = version_of(&org_stream);
        let cached = self.cached_settings(tenant.0, org_version);
        let settings = match cached {
            Some(settings) => settings,
            None => {
                let loaded = fresh::<Organization>(store, &org_stream, org_version).await?;
                let settings = loaded.settings;
                self.keep_settings(tenant.0, org_version, &settings);
                settings
            }
        };
        let mut offers = HashMap::new();
        for id in menu_items {
            let stream = stream_id::<MenuItem>(id);
            let version = version_of(&stream);
            let item = match self.cached_item(tenant.0, *id, version) {
                Some(item) => item,
                None => {
                    let item = fresh::<MenuItem>(store, &stream, version).await?;
                    self.keep_item(tenant.0, *id, version, &item);
                    item
                }
            };
            offers.insert(*id, item.offer(MenuItemId(*id)));
        }
        let today = order_numbers::today(settings.tz());
        let number = match (day, taken) {
            _ if !number => None,
            (Some(day), Some(n)) if day == today => u32::try_from(n).ok(),
            // Nothing was cached, or the timezone has just changed: the number of its day.
            _ => Some(order_numbers::take_next(pool, tenant.0, today).await?),
        };
        Ok(Current {
            settings,
            offers,
            number,
        })
    }

    /// Drops the organization's cached settings: called when this server changes them, so that
    /// the next order's number is not first taken on the day of the old timezone. (Another
    /// server learns of the change at its next order's check, and takes that order's number
    /// again, leaving a gap in one day's numbers.)
    pub fn forget_settings(&self, tenant: Uuid) {
        if let Ok(mut organizations) = self.organizations.lock() {
            organizations.remove(&tenant);
        }
    }

    /// The timezone of the organization's cached settings, of whatever version.
    fn timezone_hint(&self, tenant: Uuid) -> Option<chrono_tz::Tz> {
        let organizations = self.organizations.lock().ok()?;
        organizations.get(&tenant).map(|(_, s)| s.tz())
    }

    fn cached_settings(&self, tenant: Uuid, version: u64) -> Option<Settings> {
        let organizations = self.organizations.lock().ok()?;
        organizations
            .get(&tenant)
            .filter(|(v, _)| *v == version)
            .map(|(_, s)| s.clone())
    }

    fn keep_settings(&self, tenant: Uuid, version: u64, settings: &Settings) {
        if let Ok(mut organizations) = self.organizations.lock() {
            organizations.insert(tenant, (version, settings.clone()));
        }
    }

    fn cached_item(&self, tenant: Uuid, id: Uuid, version: u64) -> Option<MenuItem> {
        let menu = self.menu.lock().ok()?;
        menu.get(&(tenant, id))
            .filter(|(v, _)| *v == version)
            .map(|(_, m)| m.clone())
    }

    fn keep_item(&self, tenant: Uuid, id: Uuid, version: u64, item: &MenuItem) {
        if let Ok(mut menu) = self.menu.lock() {
            menu.insert((tenant, id), (version, item.clone()));
        }
    }
}

/// The state at `version` exactly (the version the check found; a later one may have landed
/// since, and then that one is what a fresh load would have seen a moment later: either is a
/// state the stream had while this request ran).
async fn fresh<A: Aggregate>(store: &TenantStore, stream: &str, version: u64) -> Result<A, StoreError> {
    Ok(store.load_at_version::<A>(stream, Some(version)).await?.state)
}
