//! Drives a restaurant through the domain's commands, as the API will: every event in these tests
//! is decided by the domain and appended with the store's guarantees.

use brigade_domain::amount::{Money, Percent, Quantity, SignedQuantity};
use brigade_domain::catalog::{Department, InventoryCategory, MenuCategory, Station, UnitOfMeasure};
use brigade_domain::customer::{Customer, CustomerCommand, CustomerProfile};
use brigade_domain::expense::{Expense, ExpenseCategory, RecordExpense};
use brigade_domain::ids::*;
use brigade_domain::inventory_item::ItemDetails;
use brigade_domain::menu_item::{MenuItem, MenuItemCommand, MenuItemDetails, RecipeLine};
use brigade_domain::order::{NewLine, Order, OrderCommand, OrderType, PaymentMethod};
use brigade_domain::organization::{Organization, OrganizationCommand, Settings};
use brigade_domain::purchase_order::{PoCommand, PoLine, PurchaseOrder, ReceivedLine};
use brigade_domain::stock::{AdjustmentReason, StockCommand, StockLedger};
use brigade_domain::supplier::{Supplier, SupplierCommand, SupplierProfile};
use brigade_domain::transfer::{Transfer, TransferCommand, TransferLine};
use brigade_domain::{Actor, Aggregate, Context, Role, stream_id};
use brigade_eventstore::{CommandMeta, EventStore, TenantStore};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use std::sync::atomic::{AtomicI64, Ordering};
use uuid::Uuid;

pub use crate::dec;

/// A restaurant (a tenant) and a clock that moves a minute per command.
pub struct Restaurant {
    pub store: TenantStore,
    pub tenant: TenantId,
    minutes: AtomicI64,
    start: DateTime<Utc>,
    supplier: SupplierId,
    numbers: AtomicI64,
}

impl Restaurant {
    /// Establishes a new organization (UTC) whose day starts at `start`.
    pub async fn open(store: &EventStore, start: DateTime<Utc>) -> Restaurant {
        let tenant = TenantId(Uuid::now_v7());
        let r = Restaurant {
            store: store.tenant(tenant),
            tenant,
            minutes: AtomicI64::new(0),
            start,
            supplier: SupplierId(Uuid::now_v7()),
            numbers: AtomicI64::new(100),
        };
        r.run::<Organization>(
            tenant,
            OrganizationCommand::Establish {
                name: "Test Kitchen".into(),
                settings: Settings::default(),
            },
        )
        .await;
        r.run::<Supplier>(
            r.supplier,
            SupplierCommand::Register(SupplierProfile {
                name: "Mill & Co".into(),
                contact: None,
                payment_terms: None,
            }),
        )
        .await;
        r
    }

    /// A start of day for tests: 2026-11-20 10:00 UTC.
    pub fn morning() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
    }

    /// Moves the clock on.
    pub fn advance(&self, hours: i64) {
        self.minutes.fetch_add(hours * 60, Ordering::SeqCst);
    }

    /// Changes the organization's timezone.
    pub async fn set_timezone(&self, timezone: &str) {
        let settings = Settings {
            timezone: timezone.into(),
            ..Settings::default()
        };
        self.run::<Organization>(self.tenant, OrganizationCommand::ChangeSettings { settings })
            .await;
    }

    /// The restaurant's clock now.
    pub fn now(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(self.minutes.load(Ordering::SeqCst))
    }

    /// A context one minute later than the last, for a super admin (every role).
    pub fn ctx(&self) -> Context {
        let m = self.minutes.fetch_add(1, Ordering::SeqCst) + 1;
        Context::new(
            Actor {
                user_id: UserId(Uuid::now_v7()),
                roles: vec![Role::SuperAdmin],
            },
            self.start + Duration::minutes(m),
        )
    }

    pub fn meta(ctx: &Context) -> CommandMeta {
        CommandMeta::direct(Uuid::now_v7(), Uuid::now_v7(), Some(ctx.actor.user_id))
    }

    pub async fn run<A: Aggregate>(&self, id: impl std::fmt::Display, command: A::Command) {
        let ctx = self.ctx();
        let stream = stream_id::<A>(id);
        self.store
            .execute::<A>(&stream, &command, &ctx, &Self::meta(&ctx))
            .await
            .unwrap_or_else(|e| panic!("{stream}: {e}"));
    }

    pub async fn item(&self, name: &str, unit: &str, minimum: &str) -> InventoryItemId {
        let id = InventoryItemId(Uuid::now_v7());
        let details = ItemDetails {
            name: name.into(),
            category: InventoryCategory::Food,
            minimum_stock: Quantity::new(dec(minimum)).unwrap(),
            maximum_stock: None,
        };
        let ctx = self.ctx();
        let sku = format!("SKU-{}", &id.0.simple().to_string()[20..]);
        self.store
            .register_inventory_item(
                id,
                &sku,
                UnitOfMeasure::new(unit).unwrap(),
                details,
                &ctx,
                &Self::meta(&ctx),
            )
            .await
            .unwrap();
        id
    }

    /// Buys `quantity` of `item` through a purchase order and receives it at `unit_cost`.
    pub async fn receive(&self, item: InventoryItemId, quantity: &str, unit_cost: &str) {
        let po = PurchaseOrderId(Uuid::now_v7());
        let line = PoLine {
            inventory_item_id: item,
            quantity: Quantity::new(dec(quantity)).unwrap(),
            unit_price: Money::new(dec(unit_cost)).unwrap(),
        };
        self.run::<PurchaseOrder>(
            po,
            PoCommand::Draft {
                supplier_id: self.supplier,
                lines: vec![line],
                expected_on: None,
            },
        )
        .await;
        self.run::<PurchaseOrder>(po, PoCommand::Submit).await;
        self.run::<PurchaseOrder>(po, PoCommand::Approve).await;
        let received = [ReceivedLine {
            inventory_item_id: item,
            quantity: Quantity::new(dec(quantity)).unwrap(),
            unit_cost: Money::new(dec(unit_cost)).unwrap(),
        }];
        let ctx = self.ctx();
        self.store
            .receive_goods(po, ReceiptId(Uuid::now_v7()), &received, false, &ctx, &Self::meta(&ctx))
            .await
            .unwrap();
    }

    /// Moves stock between departments (requested and validated).
    pub async fn transfer(&self, item: InventoryItemId, quantity: &str, from: Department, to: Department) {
        let id = TransferId(Uuid::now_v7());
        let q = Quantity::new(dec(quantity)).unwrap();
        self.run::<Transfer>(
            id,
            TransferCommand::Request {
                from,
                to,
                lines: vec![TransferLine {
                    inventory_item_id: item,
                    requested: q,
                }],
                notes: None,
            },
        )
        .await;
        let ctx = self.ctx();
        self.store
            .validate_transfer(id, &[(item, q)], &ctx, &Self::meta(&ctx))
            .await
            .unwrap();
    }

    /// Receives and moves the goods all the way to the kitchen.
    pub async fn stock_kitchen(&self, item: InventoryItemId, quantity: &str, unit_cost: &str) {
        self.receive(item, quantity, unit_cost).await;
        self.transfer(item, quantity, Department::Procurement, Department::Stock)
            .await;
        self.transfer(item, quantity, Department::Stock, Department::Kitchen)
            .await;
    }

    pub async fn dish(
        &self,
        name: &str,
        category: MenuCategory,
        price: &str,
        station: &str,
        recipe: &[(InventoryItemId, &str)],
    ) -> MenuItemId {
        let id = MenuItemId(Uuid::now_v7());
        let details = MenuItemDetails {
            name: name.into(),
            category,
            sell_price: Money::new(dec(price)).unwrap(),
            station: Station::new(station).unwrap(),
            recipe: recipe
                .iter()
                .map(|(item, q)| RecipeLine {
                    inventory_item_id: *item,
                    quantity: Quantity::new(dec(q)).unwrap(),
                })
                .collect(),
        };
        self.run::<MenuItem>(id, MenuItemCommand::Add(details)).await;
        id
    }

    pub async fn customer(&self, name: &str) -> CustomerId {
        let id = CustomerId(Uuid::now_v7());
        let profile = CustomerProfile {
            name: name.into(),
            email: None,
            phone: None,
            preferences: None,
        };
        self.run::<Customer>(id, CustomerCommand::Register(profile)).await;
        id
    }

    /// Places an order (dine-in at table 1) and sends it to the kitchen.
    pub async fn place_and_send(&self, lines: &[(MenuItemId, u32)], customer: Option<CustomerId>) -> OrderId {
        let order = OrderId(Uuid::now_v7());
        let mut new_lines = vec![];
        for (dish, portions) in lines {
            new_lines.push(NewLine {
                line_id: LineId(Uuid::now_v7()),
                item: self.store.offer(*dish).await.unwrap(),
                quantity: *portions,
                modifications: vec![],
                notes: None,
            });
        }
        let number = u32::try_from(self.numbers.fetch_add(1, Ordering::SeqCst)).unwrap();
        self.run::<Order>(
            order,
            OrderCommand::Place {
                number,
                order_type: OrderType::DineIn,
                table: Some(1),
                covers: Some(2),
                customer_id: customer,
                lines: new_lines,
                tax_rate: Percent::ZERO,
            },
        )
        .await;
        let ctx = self.ctx();
        self.store
            .send_to_kitchen(order, &ctx, &Self::meta(&ctx))
            .await
            .unwrap();
        order
    }

    /// Cooks, serves and takes full payment: the order closes.
    pub async fn finish(&self, order: OrderId) {
        self.run::<Order>(order, OrderCommand::StartTicket).await;
        self.run::<Order>(order, OrderCommand::CompleteTicket).await;
        self.run::<Order>(order, OrderCommand::Serve).await;
        let total = self
            .store
            .load::<Order>(&stream_id::<Order>(order))
            .await
            .unwrap()
            .state
            .totals()
            .total;
        self.run::<Order>(
            order,
            OrderCommand::TakePayment {
                payment_id: PaymentId(Uuid::now_v7()),
                method: PaymentMethod::Card,
                amount: Money::new(total).unwrap(),
                tip: Money::new(Decimal::ZERO).unwrap(),
            },
        )
        .await;
    }

    /// A whole sale of `portions` of one dish.
    pub async fn sell(&self, dish: MenuItemId, portions: u32) -> OrderId {
        let order = self.place_and_send(&[(dish, portions)], None).await;
        self.finish(order).await;
        order
    }

    pub async fn adjust(&self, item: InventoryItemId, quantity: &str, reason: AdjustmentReason) {
        self.run::<StockLedger>(
            item,
            StockCommand::Adjust {
                adjustment_id: AdjustmentId(Uuid::now_v7()),
                department: Department::Kitchen,
                quantity: SignedQuantity::new(dec(quantity)).unwrap(),
                reason,
                note: None,
            },
        )
        .await;
    }

    pub async fn expense(&self, category: ExpenseCategory, amount: &str, date: NaiveDate) {
        self.run::<Expense>(
            ExpenseId(Uuid::now_v7()),
            RecordExpense {
                category,
                amount: Money::new(dec(amount)).unwrap(),
                date,
                note: None,
            },
        )
        .await;
    }
}
