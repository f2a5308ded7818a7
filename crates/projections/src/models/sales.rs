//! The sales projection: orders with their closing figures, the lines sold, refunds, expenses,
//! customers and their figures, and the organization settings and menu the reports need. The P&L
//! and menu engineering reports read it together with the stock projection's valued movements
//! (the cost of what an order consumed is a stock fact).

use super::docs::{self, Key};
use super::sale::{self, SALES_EVENT_TYPES, Sale, SaleEffect};
use super::stored_name;
use crate::projection::{ApplyError, BoxFuture, Projection, types};
use brigade_domain::customer::{CustomerEvent, CustomerProfile};
use brigade_domain::expense::ExpenseEvent;
use brigade_domain::menu_item::{MenuItemDetails, MenuItemEvent};
use brigade_domain::order::OrderEvent;
use brigade_domain::organization::{OrganizationEvent, Settings};
use brigade_eventstore::RecordedEvent;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The sales read model.
pub struct Sales {
    types: Vec<String>,
}

impl Default for Sales {
    fn default() -> Self {
        Self {
            types: types(SALES_EVENT_TYPES),
        }
    }
}

/// A customer's profile and figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerFigures {
    /// The profile (once registered).
    pub profile: Option<CustomerProfile>,
    /// Closed orders.
    pub order_count: u64,
    /// Spent on closed orders (net sales + tax), less refunds.
    pub total_spent: Decimal,
    /// Last closed order.
    pub last_order_at: Option<DateTime<Utc>>,
    /// Points earned: per closed order, whole units spent x the organization's rate then.
    pub loyalty_points: Decimal,
}

/// A menu item as offered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// Name, category, price, station, recipe.
    pub details: MenuItemDetails,
    /// On offer (not withdrawn).
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Org {
    name: String,
    settings: Settings,
}

#[derive(Default)]
struct Writes {
    sold: Vec<(Uuid, Uuid, sale::SaleLine, DateTime<Utc>)>,
    refunds: Vec<(Uuid, Uuid, SaleEffect)>,
    payments: Vec<(Uuid, Uuid, SaleEffect)>,
    expenses: Vec<(Uuid, Uuid, ExpenseEvent)>,
    deltas: Vec<CustomerDelta>,
}

/// A change to a customer's figures: money spent (negative for a refund), and for a closed order
/// when it closed and the points it earned.
struct CustomerDelta {
    key: Key,
    spent: Decimal,
    closed: Option<(DateTime<Utc>, Decimal)>,
}

impl Projection for Sales {
    fn name(&self) -> &str {
        "sales"
    }
    fn schema(&self) -> &str {
        "sales"
    }
    fn tables(&self) -> &[&'static str] {
        &[
            "orders",
            "sold_lines",
            "refunds",
            "payments",
            "expenses",
            "customers",
            "organizations",
            "menu_items",
        ]
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
            let keys_of = |prefix: &str| -> Result<HashSet<Key>, ApplyError> {
                events
                    .iter()
                    .filter(|e| e.event_type.starts_with(prefix))
                    .map(docs::key_of)
                    .collect()
            };
            let tenants: HashSet<Uuid> = events.iter().map(|e| e.tenant_id.0).collect();
            let mut orgs = load_orgs(connection, tenants).await?;
            let mut orders: HashMap<Key, Option<Sale>> =
                docs::load::<Sale>(connection, "orders", "order_id", keys_of("order.")?)
                    .await?
                    .into_iter()
                    .map(|(k, v)| (k, Some(v)))
                    .collect();
            let mut menu: HashMap<Key, Offer> =
                docs::load(connection, "menu_items", "menu_item_id", keys_of("menu_item.")?).await?;
            let mut profile_events: Vec<(Key, CustomerEvent)> = Vec::new();
            let mut w = Writes::default();
            for event in events {
                let key = docs::key_of(event)?;
                let category = event.event_type.split('.').next().unwrap_or_default();
                match category {
                    "organization" => {
                        let (name, settings) = match docs::decode::<OrganizationEvent>(event)? {
                            OrganizationEvent::Established { name, settings, .. } => (name, settings),
                            OrganizationEvent::SettingsChanged { settings, .. } => {
                                let name = orgs.get(&event.tenant_id.0).map(|o| o.name.clone()).unwrap_or_default();
                                (name, settings)
                            }
                        };
                        orgs.insert(event.tenant_id.0, Org { name, settings });
                    }
                    "menu_item" => fold_menu(&mut menu, key, docs::decode::<MenuItemEvent>(event)?)
                        .map_err(|e| ApplyError::event(event, e))?,
                    "customer" => profile_events.push((key, docs::decode::<CustomerEvent>(event)?)),
                    "expense" => w.expenses.push((key.0, key.1, docs::decode::<ExpenseEvent>(event)?)),
                    _ => {
                        let order_event = docs::decode::<OrderEvent>(event)?;
                        let slot = orders.entry(key).or_insert(None);
                        let effect = sale::fold(slot, &order_event).map_err(|e| ApplyError::event(event, e))?;
                        let Some(s) = slot.as_ref() else { continue };
                        match effect {
                            SaleEffect::None => {}
                            paid @ SaleEffect::Paid { .. } => w.payments.push((key.0, key.1, paid)),
                            SaleEffect::Closed { at, spent } => {
                                for line in &s.lines {
                                    w.sold.push((key.0, key.1, line.clone(), at));
                                }
                                if let Some(customer) = s.customer_id {
                                    let rate = orgs
                                        .get(&key.0)
                                        .map_or(Decimal::ONE, |o| o.settings.loyalty_points_per_unit);
                                    w.deltas.push(CustomerDelta {
                                        key: (key.0, customer.0),
                                        spent,
                                        closed: Some((at, spent.floor() * rate)),
                                    });
                                }
                            }
                            refund @ SaleEffect::Refunded { .. } => {
                                if let (Some(customer), SaleEffect::Refunded { amount, .. }) = (s.customer_id, &refund)
                                {
                                    w.deltas.push(CustomerDelta {
                                        key: (key.0, customer.0),
                                        spent: -*amount,
                                        closed: None,
                                    });
                                }
                                w.refunds.push((key.0, key.1, refund));
                            }
                        }
                    }
                }
            }
            let customer_keys: HashSet<Key> = profile_events
                .iter()
                .map(|(k, _)| *k)
                .chain(w.deltas.iter().map(|d| d.key))
                .collect();
            let mut customers: HashMap<Key, CustomerFigures> =
                docs::load(connection, "customers", "customer_id", customer_keys).await?;
            for (key, event) in profile_events {
                let profile = match event {
                    CustomerEvent::Registered { profile, .. } | CustomerEvent::ProfileUpdated { profile, .. } => {
                        profile
                    }
                };
                customers.entry(key).or_default().profile = Some(profile);
            }
            for delta in &w.deltas {
                let c = customers.entry(delta.key).or_default();
                c.total_spent += delta.spent;
                if let Some((at, points)) = &delta.closed {
                    c.order_count += 1;
                    c.loyalty_points += points;
                    c.last_order_at = c.last_order_at.max(Some(*at));
                }
            }
            write_orgs(connection, &orgs).await?;
            write_menu(connection, &menu).await?;
            write_orders(connection, &orders).await?;
            write_customers(connection, &customers).await?;
            write_rest(connection, w).await?;
            Ok(())
        })
    }
}

fn fold_menu(menu: &mut HashMap<Key, Offer>, key: Key, event: MenuItemEvent) -> Result<(), String> {
    if let MenuItemEvent::Added { details, .. } = event {
        menu.insert(key, Offer { details, active: true });
        return Ok(());
    }
    let offer = menu.get_mut(&key).ok_or("a menu item event before menu_item.added")?;
    match event {
        MenuItemEvent::Added { .. } => {}
        MenuItemEvent::Renamed { name, category, .. } => {
            offer.details.name = name;
            offer.details.category = category;
        }
        MenuItemEvent::Repriced { sell_price, .. } => offer.details.sell_price = sell_price,
        MenuItemEvent::StationChanged { station, .. } => offer.details.station = station,
        MenuItemEvent::RecipeChanged { recipe, .. } => offer.details.recipe = recipe,
        MenuItemEvent::Withdrawn { .. } => offer.active = false,
        MenuItemEvent::Restored { .. } => offer.active = true,
    }
    Ok(())
}

async fn load_orgs(connection: &mut PgConnection, tenants: HashSet<Uuid>) -> Result<HashMap<Uuid, Org>, ApplyError> {
    let tenants: Vec<Uuid> = tenants.into_iter().collect();
    let rows: Vec<(Uuid, String, Json<Settings>)> =
        sqlx::query_as("SELECT tenant_id, name, settings FROM organizations WHERE tenant_id = ANY($1)")
            .bind(tenants)
            .fetch_all(connection)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(t, name, Json(settings))| (t, Org { name, settings }))
        .collect())
}

async fn write_orgs(connection: &mut PgConnection, orgs: &HashMap<Uuid, Org>) -> Result<(), ApplyError> {
    let (mut t, mut n, mut s) = (vec![], vec![], vec![]);
    for (tenant, org) in orgs {
        t.push(*tenant);
        n.push(org.name.clone());
        s.push(Json(&org.settings));
    }
    sqlx::query(
        "INSERT INTO organizations (tenant_id, name, settings) SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::jsonb[]) \
         ON CONFLICT (tenant_id) DO UPDATE SET name = EXCLUDED.name, settings = EXCLUDED.settings",
    )
    .bind(t)
    .bind(n)
    .bind(s)
    .execute(connection)
    .await?;
    Ok(())
}

async fn write_menu(connection: &mut PgConnection, menu: &HashMap<Key, Offer>) -> Result<(), ApplyError> {
    let (mut t, mut i, mut a, mut d) = (vec![], vec![], vec![], vec![]);
    for ((tenant, id), offer) in menu {
        t.push(*tenant);
        i.push(*id);
        a.push(offer.active);
        d.push(Json(offer));
    }
    sqlx::query(
        "INSERT INTO menu_items (tenant_id, menu_item_id, active, doc) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::boolean[], $4::jsonb[]) \
         ON CONFLICT (tenant_id, menu_item_id) DO UPDATE SET active = EXCLUDED.active, doc = EXCLUDED.doc",
    )
    .bind(t)
    .bind(i)
    .bind(a)
    .bind(d)
    .execute(connection)
    .await?;
    Ok(())
}

async fn write_orders(connection: &mut PgConnection, orders: &HashMap<Key, Option<Sale>>) -> Result<(), ApplyError> {
    let mut c = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut f = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for ((tenant, id), s) in orders {
        let Some(s) = s else { continue };
        c.0.push(*tenant);
        c.1.push(*id);
        c.2.push(s.status.as_str());
        c.3.push(s.customer_id.map(|x| x.0));
        c.4.push(s.covers.map(i32::from));
        c.5.push(s.sent);
        c.6.push(s.closed_at);
        c.7.push(s.cancelled_at);
        f.0.push(s.food_sales);
        f.1.push(s.beverage_sales);
        f.2.push(s.discount);
        f.3.push(s.tax);
        f.4.push(s.tips);
        f.5.push(i64::try_from(s.events).unwrap_or(i64::MAX));
        f.6.push(Json(s));
    }
    sqlx::query(
        "INSERT INTO orders (tenant_id, order_id, status, customer_id, covers, sent, closed_at, cancelled_at, \
            food_sales, beverage_sales, discount, tax, tips, events, doc) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::int[], $6::boolean[], \
            $7::timestamptz[], $8::timestamptz[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[], \
            $13::numeric[], $14::bigint[], $15::jsonb[]) \
         ON CONFLICT (tenant_id, order_id) DO UPDATE SET status = EXCLUDED.status, customer_id = EXCLUDED.customer_id, \
            covers = EXCLUDED.covers, sent = EXCLUDED.sent, closed_at = EXCLUDED.closed_at, \
            cancelled_at = EXCLUDED.cancelled_at, food_sales = EXCLUDED.food_sales, \
            beverage_sales = EXCLUDED.beverage_sales, discount = EXCLUDED.discount, tax = EXCLUDED.tax, \
            tips = EXCLUDED.tips, events = EXCLUDED.events, doc = EXCLUDED.doc",
    )
    .bind(c.0)
    .bind(c.1)
    .bind(c.2)
    .bind(c.3)
    .bind(c.4)
    .bind(c.5)
    .bind(c.6)
    .bind(c.7)
    .bind(f.0)
    .bind(f.1)
    .bind(f.2)
    .bind(f.3)
    .bind(f.4)
    .bind(f.5)
    .bind(f.6)
    .execute(connection)
    .await?;
    Ok(())
}

async fn write_customers(
    connection: &mut PgConnection,
    customers: &HashMap<Key, CustomerFigures>,
) -> Result<(), ApplyError> {
    let mut c = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for ((tenant, id), f) in customers {
        c.0.push(*tenant);
        c.1.push(*id);
        c.2.push(i64::try_from(f.order_count).unwrap_or(i64::MAX));
        c.3.push(f.total_spent);
        c.4.push(f.last_order_at);
        c.5.push(f.loyalty_points);
        c.6.push(Json(f));
    }
    sqlx::query(
        "INSERT INTO customers (tenant_id, customer_id, order_count, total_spent, last_order_at, loyalty_points, doc) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bigint[], $4::numeric[], $5::timestamptz[], \
            $6::numeric[], $7::jsonb[]) \
         ON CONFLICT (tenant_id, customer_id) DO UPDATE SET order_count = EXCLUDED.order_count, \
            total_spent = EXCLUDED.total_spent, last_order_at = EXCLUDED.last_order_at, \
            loyalty_points = EXCLUDED.loyalty_points, doc = EXCLUDED.doc",
    )
    .bind(c.0)
    .bind(c.1)
    .bind(c.2)
    .bind(c.3)
    .bind(c.4)
    .bind(c.5)
    .bind(c.6)
    .execute(connection)
    .await?;
    Ok(())
}

async fn write_rest(connection: &mut PgConnection, w: Writes) -> Result<(), ApplyError> {
    if !w.sold.is_empty() {
        let mut c = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for (tenant, order, line, at) in w.sold {
            c.0.push(tenant);
            c.1.push(order);
            c.2.push(line.line_id.0);
            c.3.push(line.menu_item_id.0);
            c.4.push(line.name.clone());
            c.5.push(stored_name(&line.category));
            c.6.push(Decimal::from(line.quantity));
            c.7.push(line.unit_price * Decimal::from(line.quantity));
            c.8.push(at);
        }
        sqlx::query(
            "INSERT INTO sold_lines (tenant_id, order_id, line_id, menu_item_id, name, category, quantity, revenue, closed_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], \
                $7::numeric[], $8::numeric[], $9::timestamptz[])",
        )
        .bind(c.0)
        .bind(c.1)
        .bind(c.2)
        .bind(c.3)
        .bind(c.4)
        .bind(c.5)
        .bind(c.6)
        .bind(c.7)
        .bind(c.8)
        .execute(&mut *connection)
        .await?;
    }
    if !w.refunds.is_empty() {
        let mut c = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for (tenant, order, refund) in w.refunds {
            if let SaleEffect::Refunded {
                refund_id,
                payment_id,
                amount,
                reason,
                at,
            } = refund
            {
                c.0.push(tenant);
                c.1.push(refund_id);
                c.2.push(order);
                c.3.push(payment_id);
                c.4.push(amount);
                c.5.push(reason);
                c.6.push(at);
            }
        }
        sqlx::query(
            "INSERT INTO refunds (tenant_id, refund_id, order_id, payment_id, amount, reason, at) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::numeric[], $6::text[], \
                $7::timestamptz[])",
        )
        .bind(c.0)
        .bind(c.1)
        .bind(c.2)
        .bind(c.3)
        .bind(c.4)
        .bind(c.5)
        .bind(c.6)
        .execute(&mut *connection)
        .await?;
    }
    if !w.payments.is_empty() {
        let mut c = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for (tenant, order, payment) in w.payments {
            if let SaleEffect::Paid {
                payment_id,
                method,
                amount,
                tip,
                at,
            } = payment
            {
                c.0.push(tenant);
                c.1.push(payment_id);
                c.2.push(order);
                c.3.push(method);
                c.4.push(amount);
                c.5.push(tip);
                c.6.push(at);
            }
        }
        sqlx::query(
            "INSERT INTO payments (tenant_id, payment_id, order_id, method, amount, tip, at) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::numeric[], $6::numeric[], \
                $7::timestamptz[])",
        )
        .bind(c.0)
        .bind(c.1)
        .bind(c.2)
        .bind(c.3)
        .bind(c.4)
        .bind(c.5)
        .bind(c.6)
        .execute(&mut *connection)
        .await?;
    }
    if !w.expenses.is_empty() {
        let mut c = (vec![], vec![], vec![], vec![], vec![], vec![]);
        for (
            tenant,
            expense_id,
            ExpenseEvent::Recorded {
                category,
                amount,
                date,
                note,
                by,
                at,
            },
        ) in w.expenses
        {
            let category = stored_name(&category);
            c.0.push(tenant);
            c.1.push(expense_id);
            c.2.push(category);
            c.3.push(amount.value());
            c.4.push(date);
            c.5.push(serde_json::json!({ "note": note, "by": by, "at": at }));
        }
        sqlx::query(
            "INSERT INTO expenses (tenant_id, expense_id, category, amount, date, doc) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::date[], $6::jsonb[])",
        )
        .bind(c.0)
        .bind(c.1)
        .bind(c.2)
        .bind(c.3)
        .bind(c.4)
        .bind(c.5)
        .execute(connection)
        .await?;
    }
    Ok(())
}
