//! The users whose logins were deactivated, as the access layer checks them on every request.
//! Looking each caller up would add a query to every request; the set is small and changes
//! rarely, so each process keeps it and re-reads it at most once a second. A deactivation made
//! through this process takes effect at once (the handler adds the user here), one made through
//! another process within a second; either way the user's refresh tokens are already revoked.

use brigade_domain::ids::UserId;
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How stale the set may get.
const REFRESH: Duration = Duration::from_secs(1);

/// The set, and when it was read.
pub struct Deactivated {
    users: RwLock<(HashSet<Uuid>, Option<Instant>)>,
    reading: tokio::sync::Mutex<()>,
}

impl Default for Deactivated {
    fn default() -> Self {
        Deactivated {
            users: RwLock::new((HashSet::new(), None)),
            reading: tokio::sync::Mutex::new(()),
        }
    }
}

impl Deactivated {
    /// Whether `user` is deactivated (re-reading the set first if it is over a second old; one
    /// request re-reads while the others use the set they have).
    pub async fn contains(&self, pool: &PgPool, user: UserId) -> Result<bool, sqlx::Error> {
        let stale = self
            .users
            .read()
            .map(|u| u.1.is_none_or(|at| at.elapsed() >= REFRESH))
            .unwrap_or(true);
        if stale {
            let first_read = self.users.read().map(|u| u.1.is_none()).unwrap_or(true);
            // The very first read waits for the set; later refreshes are done by one request.
            let guard = if first_read {
                Some(self.reading.lock().await)
            } else {
                self.reading.try_lock().ok()
            };
            if guard.is_some() {
                let fresh: HashSet<Uuid> = crate::auth::sessions::deactivated_users(pool)
                    .await?
                    .into_iter()
                    .collect();
                if let Ok(mut users) = self.users.write() {
                    *users = (fresh, Some(Instant::now()));
                }
            }
        }
        Ok(self.users.read().map(|u| u.0.contains(&user.0)).unwrap_or(false))
    }

    /// Adds a user this process just deactivated.
    pub fn add(&self, user: UserId) {
        if let Ok(mut users) = self.users.write() {
            users.0.insert(user.0);
        }
    }
}
