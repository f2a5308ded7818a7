//! Questions about the whole installation rather than one organization's streams: whether any
//! organization exists yet, and a section of work one server at a time may run. The API asks them
//! when it bootstraps the first organization; they are here so no handler holds SQL.

use crate::error::StoreError;
use crate::store::EventStore;
use sqlx::{Postgres, Transaction};

/// Holds an installation-wide lock until dropped or rolled back (its transaction's): a server
/// that dies half-way releases it with its connection.
pub struct Exclusive(Transaction<'static, Postgres>);

impl Exclusive {
    /// Ends the section (the lock is released with the transaction).
    pub async fn release(self) {
        let _ = self.0.rollback().await;
    }
}

impl EventStore {
    /// Waits for, then holds, the installation-wide lock named `name` (a transaction-level
    /// advisory lock), so two servers cannot both run the section it guards.
    pub async fn exclusive(&self, name: &str) -> Result<Exclusive, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("brigade:{name}"))
            .execute(&mut *tx)
            .await?;
        Ok(Exclusive(tx))
    }

    /// Whether any organization of the installation has an event of type `event_type`
    /// (`organization.established`: whether any organization exists).
    pub async fn any_event_of_type(&self, event_type: &str) -> Result<bool, StoreError> {
        let exists = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM events WHERE event_type = $1)")
            .bind(event_type)
            .fetch_one(self.pool())
            .await?;
        Ok(exists)
    }
}
