//! Loading and deciding through the store: upcasting, time travel, the command loop, flows.
#![allow(clippy::unwrap_used)]

use brigade_testkit::events as common;

use brigade_domain::amount::{Money, Percent, Quantity};
use brigade_domain::catalog::Department;
use brigade_domain::ids::{InventoryItemId, LineId, OrderId, PaymentId, TransferId};
use brigade_domain::menu_item::{MenuItem, MenuItemSnapshot};
use brigade_domain::order::{NewLine, Order, OrderCommand, OrderError, OrderType, PaymentMethod};
use brigade_domain::organization::{Organization, OrganizationCommand, OrganizationError, Settings};
use brigade_domain::stock::StockLedger;
use brigade_domain::transfer::{Transfer, TransferCommand, TransferLine};
use brigade_domain::{Aggregate, Role, flow, stream_id};
use brigade_eventstore::{
    CommandError, EventStore, ExpectedVersion, MAX_ATTEMPTS, NewEvent, StoreError, StreamAppend, TenantStore,
    retry_on_conflict,
};
use common::{ctx, dish, meta, stream, tenant};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

fn money(d: Decimal) -> Money {
    Money::new(d).unwrap()
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_event_stored_in_an_old_schema_version_is_read_through_its_upcaster(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = stream("menu_item");
    // menu_item.added v1 called the price "price"; v2 calls it "sell_price".
    let v1 = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "menu_item.added".into(),
        schema_version: 1,
        payload: json!({"name": "Salad", "category": "food", "price": "9.00", "station": "cold", "recipe": [], "at": "2026-01-05T12:00:00Z"}),
    };
    store
        .append(
            &meta(),
            &[StreamAppend {
                stream_id: s.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![v1],
            }],
        )
        .await
        .unwrap();
    let stored = store.read_stream(&s, 0, None).await.unwrap();
    assert_eq!(stored[0].schema_version, 1, "the stored event is never rewritten");
    let loaded = store.load::<MenuItem>(&s).await.unwrap();
    assert_eq!(loaded.state.details.unwrap().sell_price.value(), dec!(9.00));
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_event_of_a_future_schema_version_is_a_decode_error_not_a_panic(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = stream("menu_item");
    let v9 = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "menu_item.added".into(),
        schema_version: 9,
        payload: json!({}),
    };
    store
        .append(
            &meta(),
            &[StreamAppend {
                stream_id: s.clone(),
                expected: ExpectedVersion::Any,
                events: vec![v9],
            }],
        )
        .await
        .unwrap();
    let err = store.load::<MenuItem>(&s).await.unwrap_err();
    assert!(matches!(err, StoreError::Decode { version: 1, .. }), "{err}");
}

async fn establish(store: &TenantStore) -> String {
    let s = stream_id::<Organization>(store.tenant_id());
    let command = OrganizationCommand::Establish {
        name: "Chez Test".into(),
        settings: Settings::default(),
    };
    store
        .execute::<Organization>(&s, &command, &ctx(&[Role::Manager]), &meta())
        .await
        .unwrap();
    s
}

#[sqlx::test(migrations = "../../migrations")]
async fn state_at_a_time_and_at_a_version_is_what_the_aggregate_was_then(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = establish(&store).await;
    let then = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let settings = Settings {
        currency: "EUR".into(),
        ..Settings::default()
    };
    let changed = store
        .execute::<Organization>(
            &s,
            &OrganizationCommand::ChangeSettings { settings },
            &ctx(&[Role::Manager]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(changed.version, 2);

    assert_eq!(
        store
            .load_at_time::<Organization>(&s, then)
            .await
            .unwrap()
            .state
            .settings
            .currency,
        "USD"
    );
    assert_eq!(
        store
            .load_at_version::<Organization>(&s, Some(1))
            .await
            .unwrap()
            .state
            .settings
            .currency,
        "USD"
    );
    assert_eq!(
        store.load::<Organization>(&s).await.unwrap().state.settings.currency,
        "EUR"
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_refused_command_writes_nothing_and_says_why(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = establish(&store).await;
    let command = OrganizationCommand::ChangeSettings {
        settings: Settings {
            currency: "euro".into(),
            ..Settings::default()
        },
    };
    let err = store
        .execute::<Organization>(&s, &command, &ctx(&[Role::Manager]), &meta())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CommandError::Domain(OrganizationError::BadCurrency(_))),
        "{err}"
    );
    assert_eq!(store.stream_version(&s).await.unwrap(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn repeating_a_command_returns_its_first_outcome_even_when_a_new_decision_would_refuse(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = stream_id::<Organization>(store.tenant_id());
    let command = OrganizationCommand::Establish {
        name: "Chez Test".into(),
        settings: Settings::default(),
    };
    let m = meta();
    let first = store
        .execute::<Organization>(&s, &command, &ctx(&[Role::Manager]), &m)
        .await
        .unwrap();
    let again = store
        .execute::<Organization>(&s, &command, &ctx(&[Role::Manager]), &m)
        .await
        .unwrap();
    let (first, again) = (first.append.unwrap(), again.append.unwrap());
    assert!(!first.duplicate && again.duplicate);
    assert_eq!(first.positions, again.positions);
    // A new command id with the same content is a new command, and is refused.
    let err = store
        .execute::<Organization>(&s, &command, &ctx(&[Role::Manager]), &meta())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        CommandError::Domain(OrganizationError::AlreadyEstablished)
    ));
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_conflict_is_retried_a_bounded_number_of_times_then_reported(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = stream("counter");
    store
        .append(&meta(), &[common::append(&s, ExpectedVersion::Any, 1)])
        .await
        .unwrap();
    let mut tries = 0;
    let (store, s) = (&store, &s);
    let result: Result<(), CommandError<OrderError>> = retry_on_conflict(MAX_ATTEMPTS, || {
        tries += 1;
        async move {
            store
                .append(&meta(), &[common::append(s, ExpectedVersion::NoStream, 1)])
                .await?;
            Ok(())
        }
    })
    .await;
    assert!(matches!(
        result,
        Err(CommandError::Conflict {
            attempts: MAX_ATTEMPTS,
            ..
        })
    ));
    assert_eq!(tries, MAX_ATTEMPTS);
}

async fn placed_order(store: &TenantStore, price: &str, quantity: u32) -> String {
    let order = OrderId(Uuid::now_v7());
    place_takeout(store, order, dish(price), quantity).await;
    stream_id::<Order>(order)
}

/// Places a takeout order of `quantity` portions of `item`, as a cashier.
async fn place_takeout(store: &TenantStore, order: OrderId, item: MenuItemSnapshot, quantity: u32) {
    let line = NewLine {
        line_id: LineId(Uuid::now_v7()),
        item,
        quantity,
        modifications: vec![],
        notes: None,
    };
    let place = OrderCommand::Place {
        number: 1,
        order_type: OrderType::Takeout,
        table: None,
        covers: None,
        customer_id: None,
        lines: vec![line],
        tax_rate: Percent::ZERO,
    };
    store
        .execute::<Order>(&stream_id::<Order>(order), &place, &ctx(&[Role::PosOperator]), &meta())
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn concurrent_payments_on_one_order_never_exceed_its_total(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let s = placed_order(&store, "10.00", 10).await; // total 100.00
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                let pay = OrderCommand::TakePayment {
                    payment_id: PaymentId(Uuid::now_v7()),
                    method: PaymentMethod::Card,
                    amount: money(dec!(10.00)),
                    tip: Money::ZERO,
                };
                store
                    .execute::<Order>(&s, &pay, &ctx(&[Role::PosOperator]), &meta())
                    .await
            })
        })
        .collect();
    let mut accepted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(CommandError::Domain(OrderError::ExceedsBalance { .. }) | CommandError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    let order = store.load::<Order>(&s).await.unwrap().state;
    let totals = order.totals();
    assert!(totals.paid <= totals.total, "paid {} of {}", totals.paid, totals.total);
    assert_eq!(order.payments.len(), accepted);
    assert_eq!(totals.paid, Decimal::from(accepted) * dec!(10));
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_transfer_moves_stock_atomically_or_not_at_all(pool: PgPool) {
    let store = EventStore::new(pool).tenant(tenant());
    let flour = InventoryItemId(Uuid::now_v7());
    let ledger = stream_id::<StockLedger>(flour);
    let stocker = ctx(&[Role::StockController]);
    let found = brigade_domain::stock::StockCommand::Adjust {
        adjustment_id: brigade_domain::ids::AdjustmentId(Uuid::now_v7()),
        department: Department::Stock,
        quantity: brigade_domain::amount::SignedQuantity::new(dec!(10)).unwrap(),
        reason: brigade_domain::stock::AdjustmentReason::StockAudit,
        note: None,
    };
    store
        .execute::<StockLedger>(&ledger, &found, &stocker, &meta())
        .await
        .unwrap();

    let transfer_id = TransferId(Uuid::now_v7());
    let ts = stream_id::<Transfer>(transfer_id);
    let request = TransferCommand::Request {
        from: Department::Stock,
        to: Department::Kitchen,
        lines: vec![TransferLine {
            inventory_item_id: flour,
            requested: Quantity::new(dec!(25)).unwrap(),
        }],
        notes: None,
    };
    store
        .execute::<Transfer>(&ts, &request, &stocker, &meta())
        .await
        .unwrap();

    let cook = ctx(&[Role::KitchenStaff]);
    let (store, ts, ledger, cook) = (&store, &ts, &ledger, &cook);
    let validate = async |quantity: Decimal| -> Result<(), CommandError<flow::FlowError>> {
        let m = &meta();
        retry_on_conflict(MAX_ATTEMPTS, || async move {
            let transfer = store.load::<Transfer>(ts).await?;
            let stock = store.load::<StockLedger>(ledger).await?;
            let ledgers = [(flour, stock.state.clone())].into_iter().collect();
            let lines = [(flour, Quantity::new(quantity).unwrap())];
            let (events, moves) = flow::validate_transfer(&transfer.state, transfer_id, &ledgers, &lines, cook)
                .map_err(CommandError::Domain)?;
            let mut appends = vec![StreamAppend::new(ts, ExpectedVersion::Exact(transfer.version), &events)];
            for (_, stock_events) in &moves {
                appends.push(StreamAppend::new(
                    ledger,
                    ExpectedVersion::Exact(stock.version),
                    stock_events,
                ));
            }
            store.append(m, &appends).await?;
            Ok(())
        })
        .await
    };
    // The stock room holds 10: validating 25 is refused and nothing moves.
    let err = validate(dec!(25)).await.unwrap_err();
    assert!(
        matches!(err, CommandError::Domain(flow::FlowError::Stock { .. })),
        "{err}"
    );
    assert_eq!(store.stream_version(ts).await.unwrap(), 1);
    // 8 of the 25 arrived: 8 leave the stock room and enter the kitchen, in one change.
    validate(dec!(8)).await.unwrap();
    let stock = store.load::<StockLedger>(ledger).await.unwrap().state;
    assert_eq!(
        (
            stock.in_department(Department::Stock),
            stock.in_department(Department::Kitchen)
        ),
        (dec!(2), dec!(8))
    );
    assert_eq!(stock.total(), dec!(10), "a transfer conserves the organization's total");
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_command_loop_snapshots_long_streams_and_loads_them_identically(pool: PgPool) {
    let store = EventStore::new(pool.clone()).tenant(tenant());
    let s = placed_order(&store, "10.00", 1).await;
    let manager = ctx(&[Role::Manager]);
    for i in 0..120 {
        let command = OrderCommand::SetPriority { rush: i % 2 == 0 };
        store.execute::<Order>(&s, &command, &manager, &meta()).await.unwrap();
    }
    let snapshot = store
        .load_snapshot::<Order>(&s, None)
        .await
        .unwrap()
        .expect("a snapshot at version 100");
    assert_eq!(snapshot.version, 100);
    let with_snapshot = store.load::<Order>(&s).await.unwrap();
    let from_scratch = store.load_from_scratch::<Order>(&s).await.unwrap();
    assert_eq!(with_snapshot, from_scratch);
    assert_eq!(with_snapshot.version, 121);
    assert_eq!(store.load_at_version::<Order>(&s, Some(50)).await.unwrap().version, 50);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_snapshot_of_an_older_shape_is_ignored(pool: PgPool) {
    let store = EventStore::new(pool.clone()).tenant(tenant());
    let s = placed_order(&store, "10.00", 1).await;
    sqlx::query("INSERT INTO snapshots (tenant_id, stream_id, snapshot_version, version, state) VALUES ($1, $2, $3, 1, '{\"bogus\": true}')")
        .bind(store.tenant_id().uuid())
        .bind(&s)
        .bind(<Order as Aggregate>::SNAPSHOT_VERSION + 1)
        .execute(&pool)
        .await
        .unwrap();
    assert!(store.load_snapshot::<Order>(&s, None).await.unwrap().is_none());
    assert_eq!(
        store.load::<Order>(&s).await.unwrap(),
        store.load_from_scratch::<Order>(&s).await.unwrap()
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn sending_an_order_records_its_consumption_in_one_append_with_one_cause(pool: PgPool) {
    use brigade_domain::menu_item::RecipeLine;
    use brigade_domain::stock::StockEvent;
    let store = EventStore::new(pool).tenant(tenant());
    let order = OrderId(Uuid::now_v7());
    let (beef, bun) = (InventoryItemId(Uuid::now_v7()), InventoryItemId(Uuid::now_v7()));
    let mut burger = dish("16.00");
    burger.details.recipe = vec![
        RecipeLine {
            inventory_item_id: beef,
            quantity: Quantity::new(dec!(0.18)).unwrap(),
        },
        RecipeLine {
            inventory_item_id: bun,
            quantity: Quantity::new(dec!(1)).unwrap(),
        },
    ];
    place_takeout(&store, order, burger, 2).await;
    let cashier = ctx(&[Role::PosOperator]);

    let m = meta();
    let sent = store.send_to_kitchen(order, &cashier, &m).await.unwrap();
    assert_eq!(
        sent.streams.len(),
        3,
        "the order and two ingredient ledgers in one append"
    );
    assert_eq!(sent.version_of(&stream_id::<Order>(order)), Some(2));
    let consumed = store
        .read_stream(&stream_id::<StockLedger>(beef), 0, None)
        .await
        .unwrap();
    assert!(
        matches!(&consumed[..], [e] if matches!(e.decode::<StockEvent>().unwrap(),
        StockEvent::Consumed { ref allocations, .. } if allocations[0].quantity == Quantity::new(dec!(0.36)).unwrap()))
    );
    let ledger = store
        .load::<StockLedger>(&stream_id::<StockLedger>(bun))
        .await
        .unwrap()
        .state;
    assert_eq!(
        ledger.in_department(brigade_domain::catalog::Department::Kitchen),
        dec!(-2)
    );

    // Every event of the append names the same command, correlation and cause.
    let mut causes = std::collections::BTreeSet::new();
    for s in [
        stream_id::<Order>(order),
        stream_id::<StockLedger>(beef),
        stream_id::<StockLedger>(bun),
    ] {
        for e in store
            .read_stream(&s, 0, None)
            .await
            .unwrap()
            .iter()
            .filter(|e| sent.positions.contains(&e.position))
        {
            let metadata = e.metadata().unwrap();
            causes.insert((
                metadata.command.command_id,
                metadata.command.correlation_id,
                metadata.command.causation_id,
            ));
        }
    }
    assert_eq!(
        causes.into_iter().collect::<Vec<_>>(),
        vec![(m.command_id, m.correlation_id, m.causation_id)]
    );

    // A retry of the same command answers with the first outcome and writes nothing.
    let again = store.send_to_kitchen(order, &cashier, &m).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.positions, sent.positions);
    // A new command to send it again is refused by the order.
    let err = store.send_to_kitchen(order, &cashier, &meta()).await.unwrap_err();
    assert!(
        matches!(
            err,
            CommandError::Domain(flow::FlowError::Order(OrderError::WrongStatus { .. }))
        ),
        "{err}"
    );
}
