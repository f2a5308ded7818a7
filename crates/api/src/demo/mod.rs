//! Loads the demo restaurant through the same command handling the API uses: every event of the
//! demo is decided by the domain and appended with its guarantees, none is written by hand.
//! Loading is idempotent: when the demo organization exists, nothing is done.
//!
//! The demo is dated relative to the moment it is loaded, never on a fixed day: its service is
//! the business day before that moment in the restaurant's timezone ([`service_day`]), opening at
//! [`OPENS_AT`] local time, so that every figure of it (sales, purchases, expenses) falls on one
//! local day in the past, whatever the hour and the date the demo is loaded on.

mod data;
pub mod logins;

use anyhow::{Context as _, anyhow};
use brigade_domain::amount::{Money, Percent, Quantity, SignedQuantity};
use brigade_domain::catalog::{Department, Station, UnitOfMeasure};
use brigade_domain::expense::{Expense, ExpenseCategory, RecordExpense};
use brigade_domain::ids::{
    ExpenseId, InventoryItemId, LineId, MenuItemId, OrderId, PaymentId, PurchaseOrderId, ReceiptId, RefundId,
    SupplierId, TenantId, TransferId, UserId,
};
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
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use data::{INVENTORY, MENU, SERVICE, SUPPLIERS};
use rust_decimal::Decimal;
use std::str::FromStr;
use uuid::Uuid;

/// The demo organization's tenant id (stable, so a second run finds it).
pub fn demo_tenant() -> TenantId {
    TenantId(named("tenant"))
}

/// A fixed id for a named thing of the demo (so a reload finds what is there).
pub(crate) fn named(name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("brigade-demo:{name}").as_bytes())
}

/// The demo restaurant's timezone: its business days, and so its P&L's days, are New York's.
pub const TIMEZONE: Tz = chrono_tz::America::New_York;

/// When the demo's day opens, local time: the first delivery is booked then, and the day's
/// commands follow three minutes apart (about seven hours of them, so the day never runs past
/// local midnight).
pub const OPENS_AT: NaiveTime = match NaiveTime::from_hms_opt(7, 0, 0) {
    Some(t) => t,
    None => panic!("07:00 is a time"),
};

/// The local business day of the demo's service when it is loaded at `now`: the day before
/// `now`'s in [`TIMEZONE`]. Yesterday, so that the whole day is history (no event dated after the
/// moment it was written) and today is left to whoever tries the demo.
pub fn service_day(now: DateTime<Utc>) -> NaiveDate {
    let today = now.with_timezone(&TIMEZONE).date_naive();
    today.pred_opt().unwrap_or(today)
}

/// The instant the demo's day opens ([`OPENS_AT`] on [`service_day`], local). 07:00 exists on
/// every day in New York (its clocks change at 02:00), so the fallback is never taken.
fn opening(now: DateTime<Utc>) -> DateTime<Utc> {
    TIMEZONE
        .from_local_datetime(&service_day(now).and_time(OPENS_AT))
        .earliest()
        .map_or(now - Duration::days(1), |t| t.with_timezone(&Utc))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

/// The demo's staff: a user per role, each with a login (`logins`).
pub const STAFF: &[(&str, Role)] = &[
    ("maria", Role::Manager),
    ("paula", Role::ProcurementManager),
    ("sam", Role::StockController),
    ("priya", Role::ProcessingStaff),
    ("kim", Role::KitchenStaff),
    ("carl", Role::PosOperator),
    ("alex", Role::Accountant),
    ("root", Role::SuperAdmin),
];

/// What the loader did.
#[derive(Debug, Default)]
pub struct Summary {
    /// False when the demo was already there.
    pub loaded: bool,
    /// Commands executed.
    pub commands: usize,
    /// Events now in the demo tenant.
    pub events: i64,
}

struct Loader {
    store: TenantStore,
    /// The demo day's clock: each command happens three minutes after the one before.
    clock: DateTime<Utc>,
    /// The business day the demo's dated documents (expenses, deliveries) carry.
    day: NaiveDate,
    correlation: Uuid,
    commands: usize,
}

impl Loader {
    /// The next moment of the demo day, and a context for `who` at it.
    fn ctx(&mut self, who: &str) -> Context {
        self.clock += Duration::minutes(3);
        let role = STAFF
            .iter()
            .find(|(name, _)| *name == who)
            .map_or(Role::Manager, |(_, r)| *r);
        Context::new(
            Actor {
                user_id: UserId(named(&format!("user:{who}"))),
                roles: vec![role],
            },
            self.clock,
        )
    }

    /// Command ids follow the loader's script, so a load that stopped half-way resumes: the
    /// commands already recorded are answered from the store and write nothing again.
    fn meta(&mut self, ctx: &Context) -> CommandMeta {
        self.commands += 1;
        CommandMeta::direct(
            named(&format!("command:{}", self.commands)),
            self.correlation,
            Some(ctx.actor.user_id),
        )
    }

    async fn run<A: Aggregate>(
        &mut self,
        id: impl std::fmt::Display,
        command: A::Command,
        who: &str,
    ) -> anyhow::Result<()> {
        let ctx = self.ctx(who);
        let meta = self.meta(&ctx);
        let stream = stream_id::<A>(id);
        self.store
            .execute::<A>(&stream, &command, &ctx, &meta)
            .await
            .map_err(|e| anyhow!("{stream}: {e}"))?;
        Ok(())
    }
}

fn item_id(sku: &str) -> InventoryItemId {
    InventoryItemId(named(&format!("item:{sku}")))
}

/// Loads the demo restaurant into `store` unless it is already there, as of `now`: its day of
/// history is [`service_day`]`(now)`.
pub async fn load(store: &EventStore, now: DateTime<Utc>) -> anyhow::Result<Summary> {
    let tenant = store.tenant(demo_tenant());
    let last = stream_id::<Expense>(ExpenseId(named("expense:utilities")));
    if tenant.stream_version(&last).await? > 0 {
        return Ok(Summary {
            loaded: false,
            commands: 0,
            events: count(store).await?,
        });
    }
    let mut l = Loader {
        store: tenant,
        clock: opening(now),
        day: service_day(now),
        correlation: named("correlation"),
        commands: 0,
    };
    let settings = Settings {
        tax_rate: Percent::new(dec("8.875"))?,
        timezone: TIMEZONE.name().into(),
        ..Settings::default()
    };
    l.run::<Organization>(
        demo_tenant(),
        OrganizationCommand::Establish {
            name: "Brigade Bistro".into(),
            settings,
        },
        "root",
    )
    .await?;
    catalog(&mut l).await.context("catalog")?;
    procurement(&mut l).await.context("procurement")?;
    transfers(&mut l).await.context("transfers")?;
    service(&mut l).await.context("service")?;
    books(&mut l).await.context("books")?;
    Ok(Summary {
        loaded: true,
        commands: l.commands,
        events: count(store).await?,
    })
}

async fn count(store: &EventStore) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM events WHERE tenant_id = $1")
        .bind(demo_tenant().uuid())
        .fetch_one(store.pool())
        .await?)
}

async fn catalog(l: &mut Loader) -> anyhow::Result<()> {
    for (i, (name, contact, terms)) in SUPPLIERS.iter().enumerate() {
        let profile = SupplierProfile {
            name: (*name).into(),
            contact: Some((*contact).into()),
            payment_terms: Some((*terms).into()),
        };
        l.run::<Supplier>(
            SupplierId(named(&format!("supplier:{i}"))),
            SupplierCommand::Register(profile),
            "paula",
        )
        .await?;
    }
    for (sku, name, unit, category, minimum, _, _) in INVENTORY {
        let details = ItemDetails {
            name: (*name).into(),
            category: *category,
            minimum_stock: Quantity::new(dec(minimum))?,
            maximum_stock: None,
        };
        let ctx = l.ctx("sam");
        let meta = l.meta(&ctx);
        l.store
            .register_inventory_item(item_id(sku), sku, UnitOfMeasure::new(unit)?, details, &ctx, &meta)
            .await
            .map_err(|e| anyhow!("{sku}: {e}"))?;
    }
    for (name, category, price, station, recipe) in MENU {
        let recipe = recipe
            .iter()
            .map(|(sku, q)| {
                Ok(RecipeLine {
                    inventory_item_id: item_id(sku),
                    quantity: Quantity::new(dec(q))?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let details = MenuItemDetails {
            name: (*name).into(),
            category: *category,
            sell_price: Money::new(dec(price))?,
            station: Station::new(station)?,
            recipe,
        };
        l.run::<MenuItem>(
            MenuItemId(named(&format!("menu:{name}"))),
            MenuItemCommand::Add(details),
            "maria",
        )
        .await?;
    }
    Ok(())
}

/// What is bought: ten days of the minimum stock.
fn bought(minimum: &str) -> Decimal {
    dec(minimum) * Decimal::TEN
}

async fn procurement(l: &mut Loader) -> anyhow::Result<()> {
    for supplier in 0..SUPPLIERS.len() {
        let po = PurchaseOrderId(named(&format!("po:{supplier}")));
        let items: Vec<_> = INVENTORY.iter().filter(|i| i.5 == supplier).collect();
        let lines = items
            .iter()
            .map(|(sku, _, _, _, min, _, cost)| {
                Ok(PoLine {
                    inventory_item_id: item_id(sku),
                    quantity: Quantity::new(bought(min))?,
                    unit_price: Money::new(dec(cost))?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let draft = PoCommand::Draft {
            supplier_id: SupplierId(named(&format!("supplier:{supplier}"))),
            lines,
            expected_on: Some(l.day),
        };
        l.run::<PurchaseOrder>(po, draft, "paula").await?;
        l.run::<PurchaseOrder>(po, PoCommand::Submit, "paula").await?;
        l.run::<PurchaseOrder>(po, PoCommand::Approve, "maria").await?;
        // Delivered in full; prices moved a little since the order was raised.
        let received = items
            .iter()
            .map(|(sku, _, _, _, min, _, cost)| {
                Ok(ReceivedLine {
                    inventory_item_id: item_id(sku),
                    quantity: Quantity::new(bought(min))?,
                    unit_cost: Money::from_computed(dec(cost) * dec("1.02")),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let ctx = l.ctx("sam");
        let meta = l.meta(&ctx);
        let receipt = ReceiptId(named(&format!("receipt:{supplier}")));
        l.store
            .receive_goods(po, receipt, &received, false, &ctx, &meta)
            .await
            .map_err(|e| anyhow!("receive {supplier}: {e}"))?;
        l.run::<PurchaseOrder>(po, PoCommand::Close, "paula").await?;
    }
    Ok(())
}

async fn transfer(
    l: &mut Loader,
    name: &str,
    from: Department,
    to: Department,
    lines: Vec<(InventoryItemId, Quantity)>,
    requester: &str,
    receiver: &str,
) -> anyhow::Result<()> {
    let id = TransferId(named(&format!("transfer:{name}")));
    let requested = lines
        .iter()
        .map(|(item, q)| TransferLine {
            inventory_item_id: *item,
            requested: *q,
        })
        .collect();
    l.run::<Transfer>(
        id,
        TransferCommand::Request {
            from,
            to,
            lines: requested,
            notes: None,
        },
        requester,
    )
    .await?;
    let ctx = l.ctx(receiver);
    let meta = l.meta(&ctx);
    l.store
        .validate_transfer(id, &lines, &ctx, &meta)
        .await
        .map_err(|e| anyhow!("transfer {name}: {e}"))?;
    Ok(())
}

async fn transfers(l: &mut Loader) -> anyhow::Result<()> {
    let all: Vec<_> = INVENTORY
        .iter()
        .map(|(sku, _, _, _, min, _, _)| Ok((item_id(sku), Quantity::new(bought(min))?)))
        .collect::<anyhow::Result<_>>()?;
    transfer(
        l,
        "to-stock",
        Department::Procurement,
        Department::Stock,
        all,
        "paula",
        "sam",
    )
    .await?;
    let bar_skus = ["LAGER", "GIN", "TONIC", "COFFEE"];
    let share = |sku: &str, min: &str, part: &str| Quantity::new(bought(min) * dec(part)).map(|q| (item_id(sku), q));
    let kitchen = INVENTORY
        .iter()
        .filter(|i| !bar_skus.contains(&i.0))
        .map(|i| share(i.0, i.4, "0.6"))
        .collect::<Result<Vec<_>, _>>()?;
    transfer(
        l,
        "to-kitchen",
        Department::Stock,
        Department::Kitchen,
        kitchen,
        "kim",
        "kim",
    )
    .await?;
    let bar = INVENTORY
        .iter()
        .filter(|i| bar_skus.contains(&i.0) || i.0 == "LEMON" || i.0 == "SUGAR")
        .map(|i| share(i.0, i.4, "0.3"))
        .collect::<Result<Vec<_>, _>>()?;
    transfer(l, "to-bar", Department::Stock, Department::Bar, bar, "sam", "kim").await?;
    Ok(())
}

async fn service(l: &mut Loader) -> anyhow::Result<()> {
    for (n, (table, lines)) in SERVICE.iter().enumerate() {
        let order = OrderId(named(&format!("order:{n}")));
        let mut new_lines = vec![];
        for (i, (dish, portions)) in lines.iter().enumerate() {
            let item = l
                .store
                .offer(MenuItemId(named(&format!("menu:{}", MENU[*dish].0))))
                .await
                .map_err(|e| anyhow!("{e}"))?;
            new_lines.push(NewLine {
                line_id: LineId(named(&format!("order:{n}:line:{i}"))),
                item,
                quantity: *portions,
                modifications: vec![],
                notes: None,
            });
        }
        let (order_type, table) = if *table == 0 {
            (OrderType::Takeout, None)
        } else {
            (OrderType::DineIn, Some(*table))
        };
        let place = OrderCommand::Place {
            number: u32::try_from(n + 101)?,
            order_type,
            table,
            covers: table.map(|_| 2),
            customer_id: None,
            lines: new_lines,
            tax_rate: Percent::new(dec("8.875"))?,
        };
        l.run::<Order>(order, place, "carl").await?;
        let ctx = l.ctx("carl");
        let meta = l.meta(&ctx);
        l.store
            .send_to_kitchen(order, &ctx, &meta)
            .await
            .map_err(|e| anyhow!("send {n}: {e}"))?;
        if n == 8 {
            // The table left before the food came: the manager cancels, what was used is wastage.
            l.run::<Order>(
                order,
                OrderCommand::Cancel {
                    reason: Some("guests left".into()),
                },
                "maria",
            )
            .await?;
            continue;
        }
        l.run::<Order>(order, OrderCommand::StartTicket, "kim").await?;
        l.run::<Order>(order, OrderCommand::CompleteTicket, "kim").await?;
        l.run::<Order>(order, OrderCommand::Serve, "carl").await?;
        let total = l
            .store
            .load::<Order>(&stream_id::<Order>(order))
            .await?
            .state
            .totals()
            .total;
        let halves = if n == 1 {
            vec![
                (total / Decimal::TWO).round_dp(2),
                total - (total / Decimal::TWO).round_dp(2),
            ]
        } else {
            vec![total]
        };
        for (p, amount) in halves.into_iter().enumerate() {
            let payment = OrderCommand::TakePayment {
                payment_id: PaymentId(named(&format!("order:{n}:payment:{p}"))),
                method: if p == 0 {
                    PaymentMethod::Card
                } else {
                    PaymentMethod::Cash
                },
                amount: Money::new(amount)?,
                tip: Money::new((amount * dec("0.15")).round_dp(2))?,
            };
            l.run::<Order>(order, payment, "carl").await?;
        }
        if n == 2 {
            let refund = OrderCommand::Refund {
                refund_id: RefundId(named("refund:2")),
                payment_id: PaymentId(named("order:2:payment:0")),
                amount: Money::new(dec("5.50"))?,
                reason: "fries arrived cold".into(),
            };
            l.run::<Order>(order, refund, "maria").await?;
        }
    }
    Ok(())
}

async fn books(l: &mut Loader) -> anyhow::Result<()> {
    let spoiled = StockCommand::Adjust {
        adjustment_id: brigade_domain::ids::AdjustmentId(named("adjust:tomato")),
        department: Department::Kitchen,
        quantity: SignedQuantity::new(dec("-0.5"))?,
        reason: AdjustmentReason::Spoilage,
        note: Some("soft tomatoes".into()),
    };
    l.run::<StockLedger>(item_id("TOMATO"), spoiled, "sam").await?;
    for (name, category, amount) in [
        ("labor", ExpenseCategory::Labor, "1850.00"),
        ("rent", ExpenseCategory::Rent, "3200.00"),
        ("utilities", ExpenseCategory::Utilities, "410.00"),
    ] {
        let expense = RecordExpense {
            category,
            amount: Money::new(dec(amount))?,
            date: l.day,
            note: Some(format!("demo {name}")),
        };
        l.run::<Expense>(ExpenseId(named(&format!("expense:{name}"))), expense, "alex")
            .await?;
    }
    Ok(())
}
