//! Reference data an order command reads but does not change: the organization's settings (tax
//! rate, discount limit, timezone) and the menu items on its lines (price, station, recipe). A POS
//! places hundreds of orders against the same few streams, so their folded states are kept here
//! by stream and version, and each request checks them with one query for the latest versions of
//! all the streams it needs: a state is used only if it is the stream's latest, so a command
//! decides on exactly what a fresh load would give, at a fraction of the reads.
//!
//! Placing an order also needs the day's next order number; it is taken in the same round trip
//! (see `order_numbers`), on the day of the timezone the cached settings name, and taken again in
//! the rare case the latest settings put now on another day. The check of concurrent commands is
//! one statement (`check`).

mod check;
mod order_numbers;

use brigade_domain::ids::MenuItemId;
use brigade_domain::menu_item::{MenuItem, MenuItemError, MenuItemSnapshot};
use brigade_domain::organization::{Organization, Settings};
use brigade_domain::{Aggregate, stream_id};
use brigade_eventstore::{StoreError, TenantStore};
use check::{Check, Checks};
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// Folded states by (organization, stream), with the version they include.
pub struct Reference {
    organizations: Mutex<HashMap<Uuid, (u64, Settings)>>,
    menu: Mutex<HashMap<(Uuid, Uuid), (u64, MenuItem)>>,
    checks: Checks,
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
    /// An empty cache, checked against `pool`'s database.
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self {
            organizations: Mutex::default(),
            menu: Mutex::default(),
            checks: Checks::new(pool),
        }
    }

    /// The organization's settings and the offers of `menu_items`, as of now, and the day's next
    /// order number if `number` asks for one.
    pub async fn current(&self, store: &TenantStore, menu_items: &[Uuid], number: bool) -> Result<Current, StoreError> {
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
        let checked = self
            .checks
            .check(Check {
                tenant: tenant.0,
                streams,
                day,
            })
            .await?;
        let (latest, taken) = (checked.latest, checked.number);
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
            (Some(day), Some(n)) if day == today => Some(n),
            // Nothing was cached, or the timezone has just changed: the number of its day.
            _ => {
                let again = Check {
                    tenant: tenant.0,
                    streams: Vec::new(),
                    day: Some(today),
                };
                self.checks.check(again).await?.number
            }
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
