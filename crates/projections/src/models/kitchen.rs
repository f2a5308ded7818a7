//! The kitchen queue projection: tickets per order (with their lines' stations) and the change
//! feed kitchen screens follow.

use super::docs::{self, Key};
use super::ticket::{self, KITCHEN_EVENT_TYPES, Ticket};
use crate::projection::{ApplyError, BoxFuture, Projection, types};
use brigade_domain::order::OrderEvent;
use brigade_eventstore::RecordedEvent;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use std::collections::HashMap;
use uuid::Uuid;

/// The kitchen queue.
pub struct KitchenQueue {
    types: Vec<String>,
}

impl Default for KitchenQueue {
    fn default() -> Self {
        Self {
            types: types(KITCHEN_EVENT_TYPES),
        }
    }
}

struct ChangeRow {
    tenant: Uuid,
    transaction: i64,
    position: i64,
    order: Uuid,
    change: &'static str,
    stations: String,
    at: DateTime<Utc>,
    ticket: serde_json::Value,
}

impl Projection for KitchenQueue {
    fn name(&self) -> &str {
        "kitchen_queue"
    }
    fn schema(&self) -> &str {
        "kitchen_queue"
    }
    fn tables(&self) -> &[&'static str] {
        &["tickets", "changes", "tenants"]
    }
    fn event_types(&self) -> &[String] {
        &self.types
    }

    fn apply<'a>(
        &'a self,
        connection: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ApplyError>> {
        Box::pin(async move {
            let mut decoded = Vec::with_capacity(events.len());
            for event in events {
                decoded.push((event, docs::key_of(event)?, docs::decode::<OrderEvent>(event)?));
            }
            let keys: Vec<Key> = decoded
                .iter()
                .map(|(_, k, _)| *k)
                .collect::<std::collections::HashSet<_>>()
                .into_iter()
                .collect();
            let loaded: HashMap<Key, Ticket> = docs::load(connection, "tickets", "order_id", keys).await?;
            let mut tickets: HashMap<Key, Option<Ticket>> = loaded.into_iter().map(|(k, t)| (k, Some(t))).collect();
            let mut changes = Vec::new();
            for (event, key, order_event) in &decoded {
                let slot = tickets.entry(*key).or_insert(None);
                let change = ticket::fold(slot, order_event).map_err(|e| ApplyError::event(event, e))?;
                if let (Some(change), Some(t)) = (change, slot.as_ref()) {
                    changes.push(ChangeRow {
                        tenant: key.0,
                        transaction: event.transaction_id,
                        position: event.position,
                        order: key.1,
                        change,
                        stations: format!("{{{}}}", t.stations().join(",")),
                        at: event.recorded_at,
                        ticket: serde_json::to_value(t).map_err(|e| ApplyError::event(event, e))?,
                    });
                }
            }
            let mut counted: HashMap<Uuid, i64> = HashMap::new();
            for (_, (tenant, _), _) in &decoded {
                *counted.entry(*tenant).or_default() += 1;
            }
            write_tickets(connection, tickets).await?;
            write_changes(connection, changes).await?;
            count_events(connection, counted).await?;
            Ok(())
        })
    }
}

async fn write_tickets(connection: &mut PgConnection, tickets: HashMap<Key, Option<Ticket>>) -> Result<(), ApplyError> {
    let (mut tenants, mut orders, mut statuses, mut completed, mut bodies) = (vec![], vec![], vec![], vec![], vec![]);
    for ((tenant, order), t) in tickets {
        let Some(t) = t else { continue };
        tenants.push(tenant);
        orders.push(order);
        statuses.push(t.status.as_str());
        completed.push(t.completed_at);
        bodies.push(Json(t));
    }
    if tenants.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO tickets (tenant_id, order_id, status, completed_at, doc) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::jsonb[]) \
         ON CONFLICT (tenant_id, order_id) DO UPDATE \
            SET status = EXCLUDED.status, completed_at = EXCLUDED.completed_at, doc = EXCLUDED.doc",
    )
    .bind(tenants)
    .bind(orders)
    .bind(statuses)
    .bind(completed)
    .bind(bodies)
    .execute(connection)
    .await?;
    Ok(())
}

/// Moves each organization's count of applied events: its screens' version
/// (reports/kitchen_cache.rs).
async fn count_events(connection: &mut PgConnection, counted: HashMap<Uuid, i64>) -> Result<(), ApplyError> {
    if counted.is_empty() {
        return Ok(());
    }
    let (tenants, events): (Vec<Uuid>, Vec<i64>) = counted.into_iter().unzip();
    sqlx::query(
        "INSERT INTO tenants (tenant_id, events) SELECT * FROM UNNEST($1::uuid[], $2::bigint[]) \
         ON CONFLICT (tenant_id) DO UPDATE SET events = tenants.events + EXCLUDED.events",
    )
    .bind(tenants)
    .bind(events)
    .execute(connection)
    .await?;
    Ok(())
}

async fn write_changes(connection: &mut PgConnection, rows: Vec<ChangeRow>) -> Result<(), ApplyError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut cols = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for r in rows {
        cols.0.push(r.tenant);
        cols.1.push(r.position);
        cols.2.push(r.order);
        cols.3.push(r.change);
        cols.4.push(r.stations);
        cols.5.push(r.at);
        cols.6.push(r.ticket);
        cols.7.push(r.transaction);
    }
    sqlx::query(
        "INSERT INTO changes (tenant_id, transaction_id, position, order_id, change, stations, at, ticket) \
         SELECT t, x, p, o, c, s::text[], a, d \
           FROM UNNEST($1::uuid[], $2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[], \
                $8::bigint[]) AS u(t, p, o, c, s, a, d, x)",
    )
    .bind(cols.0)
    .bind(cols.1)
    .bind(cols.2)
    .bind(cols.3)
    .bind(cols.4)
    .bind(cols.5)
    .bind(cols.6)
    .bind(cols.7)
    .execute(connection)
    .await?;
    Ok(())
}
