//! What the benchmarks share (each includes this file by path): the preamble of a benchmark run,
//! a fresh database, and a restaurant's event log written straight to the store (no command
//! handling): whole orders (placed to closed, 7 events) with the kitchen's stock consumption.
#![allow(dead_code, clippy::unwrap_used)]

use brigade_domain::amount::{Money, Percent, Quantity};
use brigade_domain::catalog::{Department, MenuCategory, Station};
use brigade_domain::ids::*;
use brigade_domain::menu_item::RecipeLine;
use brigade_domain::order::{LineStatus, OrderEvent, OrderLine, OrderType, PaymentMethod};
use brigade_domain::stock::{Allocation, StockEvent};
use brigade_eventstore::{CommandMeta, EventStore, ExpectedVersion, StreamAppend};
use chrono::Utc;
use rust_decimal::Decimal;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::time::Instant;
use uuid::Uuid;

pub mod cpu;

/// The database URL when this is a benchmark run (`cargo bench` passes `--bench`); `None` when
/// `cargo test --all-targets` runs the bench target in a debug build, which then does nothing.
pub fn bench_run() -> Option<String> {
    if !std::env::args().any(|a| a == "--bench") {
        println!("not a benchmark run (use `make bench`); skipped");
        return None;
    }
    Some(std::env::var("DATABASE_URL").expect("DATABASE_URL is not set: run `make bench`"))
}

/// A numeric setting from the environment, or its default.
pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// A fresh, migrated database called `name` holding a restaurant's log of `orders` orders.
/// Returns its pool, its store and the number of events.
pub async fn seeded(url: &str, name: &str, orders: u32) -> (PgPool, EventStore, i64) {
    seeded_restaurants(url, name, orders, 1).await
}

/// Like [`seeded`], the orders shared between `restaurants` organizations.
pub async fn seeded_restaurants(url: &str, name: &str, orders: u32, restaurants: u32) -> (PgPool, EventStore, i64) {
    let pool = fresh_db(url, name).await;
    let store = EventStore::new(pool.clone());
    store.migrate().await.unwrap();
    let started = Instant::now();
    restaurants_log(&store, orders, restaurants).await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    println!(
        "wrote {total} events ({orders} orders) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (pool, store, total)
}

pub fn meta() -> CommandMeta {
    CommandMeta::direct(Uuid::now_v7(), Uuid::now_v7(), Some(UserId(Uuid::now_v7())))
}

pub fn line(item: InventoryItemId) -> OrderLine {
    OrderLine {
        line_id: LineId(Uuid::now_v7()),
        menu_item_id: MenuItemId(Uuid::from_u128(0xb0b)),
        name: "Bistro Burger".into(),
        category: MenuCategory::Food,
        station: Station::new("grill").unwrap(),
        unit_price: Money::new(Decimal::new(1600, 2)).unwrap(),
        quantity: 2,
        modifications: vec!["no onions".into()],
        notes: None,
        recipe: vec![RecipeLine {
            inventory_item_id: item,
            quantity: Quantity::new(Decimal::new(2, 1)).unwrap(),
        }],
        status: LineStatus::Pending,
    }
}

pub fn placed(n: u32, line: OrderLine) -> OrderEvent {
    OrderEvent::Placed {
        number: n,
        order_type: OrderType::DineIn,
        table: Some(12),
        covers: Some(2),
        customer_id: None,
        lines: vec![line],
        tax_rate: Percent::ZERO,
        by: UserId(Uuid::now_v7()),
        at: Utc::now(),
    }
}

/// One whole order: its stream from placed to closed, and the kitchen's consumption.
pub fn order_appends(n: u32, items: &[InventoryItemId]) -> Vec<StreamAppend> {
    let item = items[n as usize % items.len()];
    let l = line(item);
    let (by, at) = (UserId(Uuid::now_v7()), Utc::now());
    let order = OrderId(Uuid::now_v7());
    let total = Money::new(Decimal::new(3200, 2)).unwrap();
    let zero = Money::new(Decimal::ZERO).unwrap();
    let events = vec![
        placed(n, l.clone()),
        OrderEvent::SentToKitchen { by, at },
        OrderEvent::TicketStarted { by, at },
        OrderEvent::TicketCompleted { by, at },
        OrderEvent::Served { by, at },
        OrderEvent::PaymentCaptured {
            payment_id: PaymentId(Uuid::now_v7()),
            method: PaymentMethod::Card,
            amount: total,
            tip: zero,
            by,
            at,
        },
        OrderEvent::Closed {
            food_sales: total,
            beverage_sales: zero,
            discount: zero,
            tax: zero,
            tips: zero,
            at,
        },
    ];
    let consumed = StockEvent::Consumed {
        department: Department::Kitchen,
        order_id: order,
        allocations: vec![Allocation {
            line_id: l.line_id,
            menu_item_id: l.menu_item_id,
            category: MenuCategory::Food,
            quantity: Quantity::new(Decimal::new(4, 1)).unwrap(),
        }],
        at,
    };
    vec![
        StreamAppend::new(format!("order-{}", order.0), ExpectedVersion::NoStream, &events),
        StreamAppend::new(format!("stock-{}", item.0), ExpectedVersion::Any, &[consumed]),
    ]
}

/// A new, empty database called `name` (dropped first if it exists).
pub async fn fresh_db(url: &str, name: &str) -> PgPool {
    let mut admin = PgConnection::connect(url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    // No ping before each acquire (sqlx's default): it is a second round trip per statement,
    // which would understate the raw database's rate that every figure is compared with.
    PgPoolOptions::new()
        .max_connections(40)
        .test_before_acquire(false)
        .connect(&format!("{base}/{name}"))
        .await
        .unwrap()
}

/// Writes `orders` whole orders (8 events each) from 8 writers, for one restaurant.
pub async fn restaurant_log(store: &EventStore, orders: u32) -> Vec<InventoryItemId> {
    restaurants_log(store, orders, 1).await
}

/// Writes `orders` whole orders (8 events each) from 8 writers, shared between `restaurants`
/// organizations (writer `w` serves restaurant `w % restaurants`); the first one's stock items.
pub async fn restaurants_log(store: &EventStore, orders: u32, restaurants: u32) -> Vec<InventoryItemId> {
    let mut kitchens = Vec::new();
    for _ in 0..restaurants.max(1) {
        let tenant = store.tenant(TenantId(Uuid::now_v7()));
        let items: Vec<InventoryItemId> = (0..20).map(|_| InventoryItemId(Uuid::now_v7())).collect();
        for item in &items {
            let received = StockEvent::Received {
                department: Department::Kitchen,
                quantity: Quantity::new(Decimal::new(1_000_000, 0)).unwrap(),
                unit_cost: Money::new(Decimal::new(125, 2)).unwrap(),
                purchase_order_id: PurchaseOrderId(Uuid::now_v7()),
                receipt_id: ReceiptId(Uuid::now_v7()),
                at: Utc::now(),
            };
            let append = StreamAppend::new(format!("stock-{}", item.0), ExpectedVersion::Any, &[received]);
            tenant.append(&meta(), &[append]).await.unwrap();
        }
        kitchens.push((tenant, items));
    }
    let per = orders / 8;
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let (tenant, items) = kitchens[w as usize % kitchens.len()].clone();
            tokio::spawn(async move {
                for i in 0..per {
                    tenant
                        .append(&meta(), &order_appends(w * per + i, &items))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    kitchens.swap_remove(0).1
}
