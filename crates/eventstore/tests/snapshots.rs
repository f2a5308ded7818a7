//! Snapshots are an optimisation only: over random histories, loading from a snapshot plus the
//! newer events gives exactly the state that loading every event gives, at every version.
#![allow(clippy::unwrap_used)]

use brigade_testkit::events as common;

use brigade_domain::amount::{Quantity, SignedQuantity};
use brigade_domain::catalog::Department;
use brigade_domain::ids::{AdjustmentId, InventoryItemId, TransferId};
use brigade_domain::stock::{AdjustmentReason, StockCommand, StockEvent, StockLedger};
use brigade_domain::{Aggregate, Role, stream_id};
use brigade_eventstore::{EventStore, ExpectedVersion, StreamAppend, TenantStore};
use common::{ctx, meta, tenant};
use proptest::prelude::*;
use rust_decimal::Decimal;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

fn department() -> impl Strategy<Value = Department> {
    prop::sample::select(Department::ALL.to_vec())
}

fn command() -> impl Strategy<Value = StockCommand> {
    let qty = (1_u32..50_000).prop_map(|n| Decimal::new(i64::from(n), 3));
    prop_oneof![
        (department(), qty.clone(), any::<bool>()).prop_map(|(department, q, up)| StockCommand::Adjust {
            adjustment_id: AdjustmentId(Uuid::now_v7()),
            department,
            quantity: SignedQuantity::new(if up { q } else { -q }).unwrap(),
            reason: AdjustmentReason::StockAudit,
            note: None,
        }),
        (department(), department(), qty).prop_map(|(from, to, q)| StockCommand::Transfer {
            transfer_id: TransferId(Uuid::now_v7()),
            from,
            to,
            quantity: Quantity::new(q).unwrap(),
        }),
    ]
}

/// Decides each command in turn (skipping refusals) and returns the events of the history.
fn history(commands: &[StockCommand]) -> Vec<StockEvent> {
    let context = ctx(&[Role::StockController]);
    let mut state = StockLedger::default();
    let mut events = vec![];
    for c in commands {
        if let Ok(new) = state.decide(c, &context) {
            new.iter().for_each(|e| state.evolve(e));
            events.extend(new);
        }
    }
    events
}

async fn write(store: &TenantStore, stream: &str, events: &[StockEvent], chunk: usize) {
    let mut version = 0;
    for part in events.chunks(chunk) {
        let expected = ExpectedVersion::at(version);
        store
            .append(&meta(), &[StreamAppend::new(stream, expected, part)])
            .await
            .unwrap();
        version += part.len() as u64;
    }
}

/// A database of its own, migrated, dropped when the test ends.
struct FreshDatabase {
    admin_url: String,
    name: String,
    store: EventStore,
}

impl FreshDatabase {
    async fn create() -> Self {
        let admin_url =
            std::env::var("DATABASE_URL").expect("DATABASE_URL must point at the test PostgreSQL (make test sets it)");
        let name = format!("brigade_prop_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect(&format!("{base}/{name}"))
            .await
            .unwrap();
        let store = EventStore::new(pool);
        store.migrate().await.unwrap();
        Self { admin_url, name, store }
    }

    async fn drop(self) {
        self.store.pool().close().await;
        let mut admin = PgConnection::connect(&self.admin_url).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[test]
fn snapshot_plus_newer_events_equals_all_events() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = rt.block_on(FreshDatabase::create());
    let config = ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    };
    proptest!(config, |(commands in prop::collection::vec(command(), 1..60), chunk in 1_usize..7, at in 0.0_f64..1.0, probe in 0.0_f64..1.0)| {
        let events = history(&commands);
        prop_assume!(!events.is_empty());
        let result: Result<(), TestCaseError> = rt.block_on(async {
            let store = db.store.tenant(tenant());
            let stream = stream_id::<StockLedger>(InventoryItemId(Uuid::now_v7()));
            write(&store, &stream, &events, chunk).await;
            let n = events.len() as u64;
            let k = ((n as f64) * at) as u64;
            let snapshot_state = StockLedger::replay(&events[..k as usize]);
            store.save_snapshot(&stream, k, &snapshot_state).await.unwrap();

            let full = store.load_from_scratch::<StockLedger>(&stream).await.unwrap();
            prop_assert_eq!(&store.load::<StockLedger>(&stream).await.unwrap(), &full);
            prop_assert_eq!(full.version, n);
            prop_assert_eq!(&full.state, &StockLedger::replay(&events));
            let v = ((n as f64) * probe) as u64;
            let at_v = store.load_at_version::<StockLedger>(&stream, Some(v)).await.unwrap();
            prop_assert_eq!(at_v.state, StockLedger::replay(&events[..v as usize]));
            prop_assert_eq!(at_v.version, v);
            Ok(())
        });
        result?;
    });
    rt.block_on(db.drop());
}
