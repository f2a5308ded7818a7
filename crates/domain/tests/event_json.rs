//! Every event type round-trips through JSON, and `fixtures/events.json` pins each event's stored
//! shape (type name, schema version, payload), so a careless rename fails here before it reaches
//! a database full of events. `fixtures/past_versions.json` keeps every retired schema version,
//! read through its upcaster. Regenerate the first after a deliberate change with
//! `BRIGADE_BLESS=1 cargo test -p brigade-domain --test event_json`.
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::DomainEvent;
use brigade_domain::Role;
use brigade_domain::amount::{Money, Percent, SignedQuantity};
use brigade_domain::catalog::{Department, InventoryCategory, MenuCategory, Station, UnitOfMeasure};
use brigade_domain::customer::{CustomerEvent, CustomerProfile};
use brigade_domain::expense::{ExpenseCategory, ExpenseEvent};
use brigade_domain::inventory_item::{InventoryItemEvent, ItemDetails, SkuClaimEvent};
use brigade_domain::menu_item::{MenuItemEvent, RecipeLine};
use brigade_domain::order::{Discount, LineStatus, OrderEvent, OrderLine, OrderType, PaymentMethod};
use brigade_domain::organization::{OrganizationEvent, Settings};
use brigade_domain::purchase_order::{PoEvent, PoLine, ReceivedLine};
use brigade_domain::stock::{AdjustmentReason, Allocation, StockEvent};
use brigade_domain::supplier::{SupplierEvent, SupplierProfile};
use brigade_domain::transfer::{TransferEvent, TransferLine, ValidatedLine};
use brigade_domain::user::{UserEvent, UserProfile};
use chrono::NaiveDate;
use serde_json::{Value, json};
use support::*;

fn samples() -> Vec<DomainEvent> {
    let at = t0();
    let by = user("maria");
    let details = dish("Burger", MenuCategory::Food, "14.00", "grill", &[("beef", "0.2")]).details;
    let line = OrderLine {
        line_id: id("l1"),
        menu_item_id: id("burger"),
        name: "Burger".into(),
        category: MenuCategory::Food,
        station: Station::new("grill").unwrap(),
        unit_price: money("14.00"),
        quantity: 2,
        modifications: vec!["no onions".into()],
        notes: Some("allergy".into()),
        recipe: vec![RecipeLine {
            inventory_item_id: id("beef"),
            quantity: qty("0.2"),
        }],
        status: LineStatus::Pending,
    };
    let item = ItemDetails {
        name: "Flour".into(),
        category: InventoryCategory::Food,
        minimum_stock: qty("20"),
        maximum_stock: None,
    };
    let supplier = SupplierProfile {
        name: "Mill".into(),
        contact: None,
        payment_terms: Some("net 30".into()),
    };
    let customer = CustomerProfile {
        name: "Ann".into(),
        email: Some("ann@example.com".into()),
        phone: None,
        preferences: None,
    };
    let po_lines = vec![PoLine {
        inventory_item_id: id("flour"),
        quantity: qty("100"),
        unit_price: money("1.20"),
    }];
    let received = vec![ReceivedLine {
        inventory_item_id: id("flour"),
        quantity: qty("100"),
        unit_cost: money("1.25"),
    }];
    use DomainEvent as D;
    vec![
        D::Organization(OrganizationEvent::Established {
            name: "Chez Brigade".into(),
            settings: Settings::default(),
            at,
        }),
        D::Organization(OrganizationEvent::SettingsChanged {
            settings: Settings {
                tax_rate: pct("8.25"),
                ..Settings::default()
            },
            at,
        }),
        D::InventoryItem(InventoryItemEvent::Registered {
            sku: "FL-55".into(),
            unit: UnitOfMeasure::new("kg").unwrap(),
            details: item.clone(),
            at,
        }),
        D::InventoryItem(InventoryItemEvent::Updated { details: item, at }),
        D::InventorySku(SkuClaimEvent::Claimed {
            inventory_item_id: id("flour"),
            at,
        }),
        D::Stock(StockEvent::Received {
            department: Department::Procurement,
            quantity: qty("100"),
            unit_cost: money("1.20"),
            purchase_order_id: id("po"),
            receipt_id: id("r1"),
            at,
        }),
        D::Stock(StockEvent::Consumed {
            department: Department::Kitchen,
            order_id: id("o"),
            allocations: vec![Allocation {
                line_id: id("l1"),
                menu_item_id: id("burger"),
                category: MenuCategory::Food,
                quantity: qty("0.4"),
            }],
            at,
        }),
        D::Stock(StockEvent::Transferred {
            transfer_id: id("t"),
            from: Department::Stock,
            to: Department::Kitchen,
            quantity: qty("5"),
            at,
        }),
        D::Stock(StockEvent::Adjusted {
            adjustment_id: id("a"),
            department: Department::Kitchen,
            quantity: SignedQuantity::new(dec("-0.5")).unwrap(),
            reason: AdjustmentReason::Wastage,
            note: Some("dropped".into()),
            by,
            at,
        }),
        D::Supplier(SupplierEvent::Registered {
            profile: supplier.clone(),
            at,
        }),
        D::Supplier(SupplierEvent::Updated { profile: supplier, at }),
        D::Supplier(SupplierEvent::Deactivated { at }),
        D::MenuItem(MenuItemEvent::Added {
            details: details.clone(),
            at,
        }),
        D::MenuItem(MenuItemEvent::Renamed {
            name: "Cheeseburger".into(),
            category: MenuCategory::Food,
            at,
        }),
        D::MenuItem(MenuItemEvent::Repriced {
            sell_price: money("15.00"),
            at,
        }),
        D::MenuItem(MenuItemEvent::StationChanged {
            station: Station::new("saute").unwrap(),
            at,
        }),
        D::MenuItem(MenuItemEvent::RecipeChanged {
            recipe: details.recipe,
            at,
        }),
        D::MenuItem(MenuItemEvent::Withdrawn { at }),
        D::MenuItem(MenuItemEvent::Restored { at }),
        D::Customer(CustomerEvent::Registered {
            profile: customer.clone(),
            at,
        }),
        D::Customer(CustomerEvent::ProfileUpdated { profile: customer, at }),
        D::Order(OrderEvent::Placed {
            number: 7,
            order_type: OrderType::DineIn,
            table: Some(12),
            covers: Some(2),
            customer_id: Some(id("ann")),
            lines: vec![line.clone()],
            tax_rate: Percent::ZERO,
            by,
            at,
        }),
        D::Order(OrderEvent::LineAdded { line, by, at }),
        D::Order(OrderEvent::LineRemoved {
            line_id: id("l1"),
            by,
            at,
        }),
        D::Order(OrderEvent::DiscountApplied {
            discount: Discount::Percent(pct("10")),
            amount: money("2.80"),
            reason: Some("regular".into()),
            by,
            at,
        }),
        D::Order(OrderEvent::SentToKitchen { by, at }),
        D::Order(OrderEvent::TicketStarted { by, at }),
        D::Order(OrderEvent::LineReady {
            line_id: id("l1"),
            by,
            at,
        }),
        D::Order(OrderEvent::TicketCompleted { by, at }),
        D::Order(OrderEvent::TicketRecalled { by, at }),
        D::Order(OrderEvent::PrioritySet { rush: true, by, at }),
        D::Order(OrderEvent::Served { by, at }),
        D::Order(OrderEvent::Cancelled {
            reason: Some("walked out".into()),
            after_send: true,
            by,
            at,
        }),
        D::Order(OrderEvent::PaymentCaptured {
            payment_id: id("p1"),
            method: PaymentMethod::Card,
            amount: money("25.20"),
            tip: money("4.00"),
            by,
            at,
        }),
        D::Order(OrderEvent::PaymentRefunded {
            refund_id: id("r1"),
            payment_id: id("p1"),
            amount: money("5.00"),
            reason: "cold".into(),
            by,
            at,
        }),
        D::Order(OrderEvent::Closed {
            food_sales: money("28.00"),
            beverage_sales: Money::ZERO,
            discount: money("2.80"),
            tax: Money::ZERO,
            tips: money("4.00"),
            at,
        }),
        D::PurchaseOrder(PoEvent::Drafted {
            supplier_id: id("mill"),
            lines: po_lines.clone(),
            expected_on: NaiveDate::from_ymd_opt(2026, 3, 20),
            by,
            at,
        }),
        D::PurchaseOrder(PoEvent::Revised {
            lines: po_lines,
            expected_on: None,
            by,
            at,
        }),
        D::PurchaseOrder(PoEvent::Submitted { by, at }),
        D::PurchaseOrder(PoEvent::Approved { by, at }),
        D::PurchaseOrder(PoEvent::Rejected {
            reason: "too dear".into(),
            by,
            at,
        }),
        D::PurchaseOrder(PoEvent::GoodsReceived {
            receipt_id: id("r1"),
            lines: received,
            by,
            at,
        }),
        D::PurchaseOrder(PoEvent::Closed { by, at }),
        D::PurchaseOrder(PoEvent::Cancelled { reason: None, by, at }),
        D::Transfer(TransferEvent::Requested {
            from: Department::Stock,
            to: Department::Bar,
            lines: vec![TransferLine {
                inventory_item_id: id("gin"),
                requested: qty("2"),
            }],
            notes: None,
            by,
            at,
        }),
        D::Transfer(TransferEvent::Validated {
            lines: vec![ValidatedLine {
                inventory_item_id: id("gin"),
                requested: qty("2"),
                validated: qty("1.5"),
            }],
            by,
            at,
        }),
        D::Transfer(TransferEvent::Rejected {
            reason: Some("wrong gin".into()),
            by,
            at,
        }),
        D::Transfer(TransferEvent::Cancelled { by, at }),
        D::Expense(ExpenseEvent::Recorded {
            category: ExpenseCategory::Labor,
            amount: money("1500.00"),
            date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            note: None,
            by,
            at,
        }),
        D::User(UserEvent::Created {
            user_id: user("kim"),
            profile: UserProfile {
                username: "kim".into(),
                display_name: "Kim".into(),
            },
            roles: vec![Role::KitchenStaff],
            by,
            at,
        }),
        D::User(UserEvent::SignedUp {
            user_id: user("sam"),
            profile: UserProfile {
                username: "sam".into(),
                display_name: "Sam".into(),
            },
            at,
        }),
        D::User(UserEvent::Approved {
            roles: vec![Role::StockController],
            by,
            at,
        }),
        D::User(UserEvent::RolesChanged {
            roles: vec![Role::KitchenStaff, Role::ProcessingStaff],
            by,
            at,
        }),
        D::User(UserEvent::Renamed {
            display_name: "Kim L.".into(),
            by,
            at,
        }),
        D::User(UserEvent::Deactivated { by, at }),
    ]
}

fn stored(event: &DomainEvent) -> Value {
    let (event_type, schema_version, payload) = event.encode();
    json!({ "event_type": event_type, "schema_version": schema_version, "payload": payload })
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn every_event_round_trips_through_its_stored_form() {
    for event in samples() {
        let (event_type, version, payload) = event.encode();
        assert_eq!(
            DomainEvent::decode(&event_type, version, payload).unwrap(),
            event,
            "{event_type}"
        );
    }
}

#[test]
fn the_stored_shape_of_every_event_is_pinned_by_the_fixture() {
    let actual: Vec<Value> = samples().iter().map(stored).collect();
    let path = fixture("events.json");
    if std::env::var_os("BRIGADE_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&actual).unwrap() + "\n").unwrap();
    }
    let pinned: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        pinned.len(),
        actual.len(),
        "an event type was added or removed: bless the fixture deliberately"
    );
    for (pinned, actual) in pinned.iter().zip(&actual) {
        assert_eq!(pinned, actual, "the stored shape of {} changed", pinned["event_type"]);
    }
    let mut types: Vec<&str> = actual.iter().map(|v| v["event_type"].as_str().unwrap()).collect();
    types.sort_unstable();
    let count = types.len();
    types.dedup();
    assert_eq!(types.len(), count, "one sample per event type");
}

#[test]
fn every_past_schema_version_is_still_read() {
    let past: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("past_versions.json")).unwrap()).unwrap();
    assert!(!past.is_empty());
    for old in past {
        let event_type = old["event_type"].as_str().unwrap();
        let version = i32::try_from(old["schema_version"].as_i64().unwrap()).unwrap();
        assert!(
            version < DomainEvent::schema_version(event_type),
            "{event_type} v{version} is not a past version"
        );
        let decoded = DomainEvent::decode(event_type, version, old["payload"].clone()).unwrap();
        assert_eq!(stored(&decoded), old["reads_as"], "{event_type} v{version}");
        let text = serde_json::to_string(&old["payload"]).unwrap();
        assert_eq!(DomainEvent::decode_str(event_type, version, &text).unwrap(), decoded);
    }
}

#[test]
fn unknown_types_and_future_versions_are_errors_not_panics() {
    use brigade_domain::DecodeError;
    assert_eq!(
        DomainEvent::decode("order.teleported", 1, json!({})),
        Err(DecodeError::UnknownType("order.teleported".into()))
    );
    assert_eq!(
        DomainEvent::decode("nothing", 1, json!({})),
        Err(DecodeError::UnknownType("nothing".into()))
    );
    assert!(matches!(
        DomainEvent::decode("order.placed", 2, json!({})),
        Err(DecodeError::UnsupportedVersion { version: 2, .. })
    ));
    assert!(matches!(
        DomainEvent::decode("order.served", 1, json!({"by": 1})),
        Err(DecodeError::Malformed { .. })
    ));
}
