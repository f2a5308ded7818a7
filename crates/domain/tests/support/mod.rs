//! Given / when / then for deciders, and small builders shared by the domain tests.
#![allow(dead_code, clippy::unwrap_used)]

use brigade_domain::amount::{Money, Percent, Quantity};
use brigade_domain::catalog::{MenuCategory, Station};
use brigade_domain::ids::{InventoryItemId, MenuItemId, UserId};
use brigade_domain::menu_item::{MenuItemDetails, MenuItemSnapshot, RecipeLine};
use brigade_domain::{Actor, Aggregate, Context, Role};
use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// A fixed moment, so expected events can be written out in full.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 18, 30, 0).unwrap()
}

/// A deterministic user id per name.
pub fn user(name: &str) -> UserId {
    UserId(Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()))
}

/// `name` acting with `roles` at t0.
pub fn as_user(name: &str, roles: &[Role]) -> Context {
    Context::new(
        Actor {
            user_id: user(name),
            roles: roles.to_vec(),
        },
        t0(),
    )
}

/// The usual actors.
pub fn manager() -> Context {
    as_user("maria", &[Role::Manager])
}
pub fn cashier() -> Context {
    as_user("carl", &[Role::PosOperator])
}
pub fn cook() -> Context {
    as_user("kim", &[Role::KitchenStaff])
}
pub fn buyer() -> Context {
    as_user("paula", &[Role::ProcurementManager])
}
pub fn stocker() -> Context {
    as_user("sam", &[Role::StockController])
}

pub fn money(s: &str) -> Money {
    Money::new(s.parse::<Decimal>().unwrap()).unwrap()
}
pub fn qty(s: &str) -> Quantity {
    Quantity::new(s.parse::<Decimal>().unwrap()).unwrap()
}
pub fn pct(s: &str) -> Percent {
    Percent::new(s.parse::<Decimal>().unwrap()).unwrap()
}
// Each test file is its own binary including this module; not every one reads decimals.
#[allow(unused_imports)]
pub use brigade_testkit::dec;

/// A deterministic id per name.
pub fn id<T: From<Uuid>>(name: &str) -> T {
    T::from(Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes()))
}

/// A menu item snapshot.
pub fn dish(
    name: &str,
    category: MenuCategory,
    price: &str,
    station: &str,
    recipe: &[(&str, &str)],
) -> MenuItemSnapshot {
    MenuItemSnapshot {
        menu_item_id: id::<MenuItemId>(name),
        details: MenuItemDetails {
            name: name.into(),
            category,
            sell_price: money(price),
            station: Station::new(station).unwrap(),
            recipe: recipe
                .iter()
                .map(|(item, q)| RecipeLine {
                    inventory_item_id: id::<InventoryItemId>(item),
                    quantity: qty(q),
                })
                .collect(),
        },
    }
}

/// A scenario: the state built from past events.
pub struct Given<A: Aggregate>(pub A);

/// Which aggregate an event type belongs to, so `given(events)` needs no type annotation.
pub trait HistoryOf: Sized {
    type Aggregate: Aggregate<Event = Self>;
}

macro_rules! history_of {
    ($($event:ty => $aggregate:ty),* $(,)?) => {$(
        impl HistoryOf for $event {
            type Aggregate = $aggregate;
        }
    )*};
}

history_of! {
    brigade_domain::order::OrderEvent => brigade_domain::order::Order,
    brigade_domain::purchase_order::PoEvent => brigade_domain::purchase_order::PurchaseOrder,
    brigade_domain::transfer::TransferEvent => brigade_domain::transfer::Transfer,
    brigade_domain::stock::StockEvent => brigade_domain::stock::StockLedger,
    brigade_domain::menu_item::MenuItemEvent => brigade_domain::menu_item::MenuItem,
    brigade_domain::inventory_item::InventoryItemEvent => brigade_domain::inventory_item::InventoryItem,
    brigade_domain::inventory_item::SkuClaimEvent => brigade_domain::inventory_item::SkuClaim,
    brigade_domain::supplier::SupplierEvent => brigade_domain::supplier::Supplier,
    brigade_domain::customer::CustomerEvent => brigade_domain::customer::Customer,
    brigade_domain::expense::ExpenseEvent => brigade_domain::expense::Expense,
    brigade_domain::organization::OrganizationEvent => brigade_domain::organization::Organization,
    brigade_domain::user::UserEvent => brigade_domain::user::User,
}

/// A state built from past events.
pub fn given<E: HistoryOf>(events: impl IntoIterator<Item = E>) -> Given<E::Aggregate> {
    let events: Vec<E> = events.into_iter().collect();
    Given(E::Aggregate::replay(&events))
}

/// An aggregate with no history yet.
pub fn fresh<A: Aggregate>() -> Given<A> {
    Given(A::default())
}

impl<A: Aggregate> Given<A> {
    /// Decides `command`; the result is checked with `then` or `then_refused`.
    pub fn when(&self, command: A::Command, ctx: &Context) -> When<A> {
        When {
            result: self.0.decide(&command, ctx),
        }
    }
}

pub struct When<A: Aggregate> {
    pub result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> When<A> {
    #[track_caller]
    pub fn then(self, expected: Vec<A::Event>) {
        assert_eq!(self.result, Ok(expected));
    }

    #[track_caller]
    pub fn then_refused(self, expected: A::Error) {
        assert_eq!(self.result, Err(expected));
    }

    /// The events, for tests that check them partly.
    #[track_caller]
    pub fn events(self) -> Vec<A::Event> {
        match self.result {
            Ok(events) => events,
            Err(e) => panic!("expected events, got refusal: {e}"),
        }
    }
}
