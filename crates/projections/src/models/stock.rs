//! The stock projection: per item and department quantities, valuation under FIFO and weighted
//! average, and every movement valued (the history `as_of`, usage and wastage read).

use super::docs::{self, Key};
use super::stock_item::{Movement, STOCK_EVENT_TYPES, StockItem, department_name};
use crate::projection::{ApplyError, BoxFuture, Projection, types};
use brigade_domain::inventory_item::InventoryItemEvent;
use brigade_domain::stock::StockEvent;
use brigade_domain::valuation::Method;
use brigade_eventstore::RecordedEvent;
use sqlx::PgConnection;
use sqlx::types::Json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Stock levels and valuation.
pub struct StockValuation {
    types: Vec<String>,
}

impl Default for StockValuation {
    fn default() -> Self {
        Self {
            types: types(STOCK_EVENT_TYPES),
        }
    }
}

impl Projection for StockValuation {
    fn name(&self) -> &str {
        "stock"
    }
    fn schema(&self) -> &str {
        "stock"
    }
    fn tables(&self) -> &[&'static str] {
        &["items", "levels", "movements"]
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
            let keys: HashSet<Key> = events.iter().map(docs::key_of).collect::<Result<_, _>>()?;
            let mut items: HashMap<Key, StockItem> =
                docs::load(connection, "items", "item_id", keys.iter().copied()).await?;
            let mut movements: Vec<(Key, i64, Movement)> = Vec::new();
            for event in events {
                let key = docs::key_of(event)?;
                let item = items.entry(key).or_default();
                if event.event_type.starts_with("inventory_item.") {
                    item.apply_catalog(&docs::decode::<InventoryItemEvent>(event)?);
                } else {
                    let stock_event = docs::decode::<StockEvent>(event)?;
                    for m in item.apply_stock(&stock_event) {
                        movements.push((key, event.position, m));
                    }
                }
            }
            write_items(connection, &items).await?;
            write_movements(connection, movements).await?;
            Ok(())
        })
    }
}

async fn write_items(connection: &mut PgConnection, items: &HashMap<Key, StockItem>) -> Result<(), ApplyError> {
    let mut i = (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut l = (vec![], vec![], vec![], vec![]);
    for ((tenant, item_id), item) in items {
        i.0.push(*tenant);
        i.1.push(*item_id);
        i.2.push(item.valuation.quantity());
        i.3.push(item.valuation.value(Method::Fifo));
        i.4.push(item.valuation.value(Method::WeightedAverage));
        i.5.push(Json(item));
        for (department, quantity) in &item.departments {
            l.0.push(*tenant);
            l.1.push(*item_id);
            l.2.push(department_name(*department));
            l.3.push(*quantity);
        }
    }
    if i.0.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO items (tenant_id, item_id, quantity, value_fifo, value_avco, doc) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::numeric[], $4::numeric[], $5::numeric[], $6::jsonb[]) \
         ON CONFLICT (tenant_id, item_id) DO UPDATE SET quantity = EXCLUDED.quantity, \
            value_fifo = EXCLUDED.value_fifo, value_avco = EXCLUDED.value_avco, doc = EXCLUDED.doc",
    )
    .bind(i.0)
    .bind(i.1)
    .bind(i.2)
    .bind(i.3)
    .bind(i.4)
    .bind(i.5)
    .execute(&mut *connection)
    .await?;
    if !l.0.is_empty() {
        sqlx::query(
            "INSERT INTO levels (tenant_id, item_id, department, quantity) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::numeric[]) \
             ON CONFLICT (tenant_id, item_id, department) DO UPDATE SET quantity = EXCLUDED.quantity",
        )
        .bind(l.0)
        .bind(l.1)
        .bind(l.2)
        .bind(l.3)
        .execute(connection)
        .await?;
    }
    Ok(())
}

async fn write_movements(connection: &mut PgConnection, rows: Vec<(Key, i64, Movement)>) -> Result<(), ApplyError> {
    if rows.is_empty() {
        return Ok(());
    }
    let n = rows.len();
    let mut tenant = Vec::with_capacity(n);
    let mut position = Vec::with_capacity(n);
    let mut ordinal = Vec::with_capacity(n);
    let mut item = Vec::with_capacity(n);
    let mut at = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut department = Vec::with_capacity(n);
    let mut to_department = Vec::with_capacity(n);
    let mut quantity = Vec::with_capacity(n);
    let mut unit_cost = Vec::with_capacity(n);
    let mut order: Vec<Option<Uuid>> = Vec::with_capacity(n);
    let mut menu_item: Vec<Option<Uuid>> = Vec::with_capacity(n);
    let mut category = Vec::with_capacity(n);
    let mut reason = Vec::with_capacity(n);
    let mut adjustment: Vec<Option<Uuid>> = Vec::with_capacity(n);
    let mut cost_fifo = Vec::with_capacity(n);
    let mut cost_avco = Vec::with_capacity(n);
    let mut q_after = Vec::with_capacity(n);
    let mut vf_after = Vec::with_capacity(n);
    let mut va_after = Vec::with_capacity(n);
    let mut last: Option<i64> = None;
    let mut next_ordinal = 0_i32;
    for ((t, i), p, m) in rows {
        next_ordinal = if last == Some(p) { next_ordinal + 1 } else { 0 };
        last = Some(p);
        tenant.push(t);
        position.push(p);
        ordinal.push(next_ordinal);
        item.push(i);
        at.push(m.at);
        kind.push(m.kind.as_str());
        department.push(department_name(m.department));
        to_department.push(m.to_department.map(department_name));
        quantity.push(m.quantity);
        unit_cost.push(m.unit_cost);
        order.push(m.order_id.map(|o| o.0));
        menu_item.push(m.menu_item_id.map(|o| o.0));
        category.push(m.category);
        reason.push(m.reason);
        adjustment.push(m.adjustment_id);
        cost_fifo.push(m.cost_fifo);
        cost_avco.push(m.cost_avco);
        q_after.push(m.quantity_after);
        vf_after.push(m.value_fifo_after);
        va_after.push(m.value_avco_after);
    }
    sqlx::query(
        "INSERT INTO movements (tenant_id, position, ordinal, item_id, at, kind, department, to_department, \
            quantity, unit_cost, order_id, menu_item_id, category, reason, cost_fifo, cost_avco, \
            quantity_after, value_fifo_after, value_avco_after, adjustment_id) \
         SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::int[], $4::uuid[], $5::timestamptz[], $6::text[], \
            $7::text[], $8::text[], $9::numeric[], $10::numeric[], $11::uuid[], $12::uuid[], $13::text[], \
            $14::text[], $15::numeric[], $16::numeric[], $17::numeric[], $18::numeric[], $19::numeric[], $20::uuid[])",
    )
    .bind(tenant)
    .bind(position)
    .bind(ordinal)
    .bind(item)
    .bind(at)
    .bind(kind)
    .bind(department)
    .bind(to_department)
    .bind(quantity)
    .bind(unit_cost)
    .bind(order)
    .bind(menu_item)
    .bind(category)
    .bind(reason)
    .bind(cost_fifo)
    .bind(cost_avco)
    .bind(q_after)
    .bind(vf_after)
    .bind(va_after)
    .bind(adjustment)
    .execute(connection)
    .await?;
    Ok(())
}
