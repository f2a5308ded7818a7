//! Organization, inventory items and SKUs, suppliers, menu items, customers, expenses.
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::Aggregate;
use brigade_domain::catalog::{InventoryCategory, MenuCategory, Station, UnitOfMeasure};
use brigade_domain::customer::{Customer, CustomerCommand, CustomerError, CustomerEvent, CustomerProfile};
use brigade_domain::expense::{Expense, ExpenseCategory, ExpenseError, ExpenseEvent, RecordExpense};
use brigade_domain::inventory_item::{
    ClaimSku, InventoryItem, InventoryItemCommand, InventoryItemError, InventoryItemEvent, ItemDetails, SkuClaim,
    SkuClaimEvent, SkuTaken,
};
use brigade_domain::menu_item::{MenuItem, MenuItemCommand, MenuItemError, MenuItemEvent, RecipeLine};
use brigade_domain::organization::{Organization, OrganizationCommand, OrganizationError, OrganizationEvent, Settings};
use brigade_domain::supplier::{Supplier, SupplierCommand, SupplierError, SupplierEvent, SupplierProfile};
use chrono::NaiveDate;
use support::*;

#[test]
fn an_organization_is_established_once_and_its_settings_change_by_managers() {
    let establish = OrganizationCommand::Establish {
        name: " Chez Brigade ".into(),
        settings: Settings::default(),
    };
    let established = OrganizationEvent::Established {
        name: "Chez Brigade".into(),
        settings: Settings::default(),
        at: t0(),
    };
    fresh::<Organization>()
        .when(establish.clone(), &manager())
        .then(vec![established.clone()]);
    given([established.clone()])
        .when(establish, &manager())
        .then_refused(OrganizationError::AlreadyEstablished);
    let change = |s: Settings| OrganizationCommand::ChangeSettings { settings: s };
    let taxed = Settings {
        tax_rate: pct("8.25"),
        ..Settings::default()
    };
    given([established.clone()])
        .when(change(taxed.clone()), &manager())
        .then(vec![OrganizationEvent::SettingsChanged {
            settings: taxed.clone(),
            at: t0(),
        }]);
    given([established.clone()])
        .when(change(taxed), &cashier())
        .then_refused(OrganizationError::ManagerRequired);
    given([established.clone()])
        .when(change(Settings::default()), &manager())
        .then(vec![]);
    fresh::<Organization>()
        .when(change(Settings::default()), &manager())
        .then_refused(OrganizationError::NotEstablished);
    let bad = [
        (
            Settings {
                currency: "usd".into(),
                ..Settings::default()
            },
            OrganizationError::BadCurrency("usd".into()),
        ),
        (
            Settings {
                timezone: "Mars/Olympus".into(),
                ..Settings::default()
            },
            OrganizationError::BadTimezone("Mars/Olympus".into()),
        ),
        (
            Settings {
                kitchen_red_after_secs: 300,
                ..Settings::default()
            },
            OrganizationError::BadKitchenThresholds,
        ),
        (
            Settings {
                loyalty_points_per_unit: dec("-1"),
                ..Settings::default()
            },
            OrganizationError::BadLoyaltyRate,
        ),
    ];
    for (settings, error) in bad {
        given([established.clone()])
            .when(change(settings), &manager())
            .then_refused(error);
    }
}

fn flour_details() -> ItemDetails {
    ItemDetails {
        name: "Flour T55".into(),
        category: InventoryCategory::Food,
        minimum_stock: qty("20"),
        maximum_stock: Some(qty("200")),
    }
}

#[test]
fn inventory_items_are_registered_with_a_normalized_sku_and_updated() {
    let register = InventoryItemCommand::Register {
        sku: " fl-55 ".into(),
        unit: UnitOfMeasure::new("kg").unwrap(),
        details: flour_details(),
    };
    let registered = InventoryItemEvent::Registered {
        sku: "FL-55".into(),
        unit: UnitOfMeasure::new("kg").unwrap(),
        details: flour_details(),
        at: t0(),
    };
    fresh::<InventoryItem>()
        .when(register.clone(), &stocker())
        .then(vec![registered.clone()]);
    fresh::<InventoryItem>()
        .when(register.clone(), &cook())
        .then_refused(InventoryItemError::NotAllowed);
    given([registered.clone()])
        .when(register, &stocker())
        .then_refused(InventoryItemError::AlreadyRegistered);
    let bad_sku = InventoryItemCommand::Register {
        sku: "FL 55".into(),
        unit: UnitOfMeasure::new("kg").unwrap(),
        details: flour_details(),
    };
    fresh::<InventoryItem>()
        .when(bad_sku, &stocker())
        .then_refused(InventoryItemError::BadSku);
    let inverted = ItemDetails {
        maximum_stock: Some(qty("10")),
        ..flour_details()
    };
    let update = |d: ItemDetails| InventoryItemCommand::Update { details: d };
    given([registered.clone()])
        .when(update(inverted), &stocker())
        .then_refused(InventoryItemError::MaximumBelowMinimum);
    given([registered.clone()])
        .when(update(flour_details()), &stocker())
        .then(vec![]);
    let renamed = ItemDetails {
        name: "Flour".into(),
        ..flour_details()
    };
    given([registered])
        .when(update(renamed.clone()), &stocker())
        .then(vec![InventoryItemEvent::Updated {
            details: renamed.clone(),
            at: t0(),
        }]);
    fresh::<InventoryItem>()
        .when(update(renamed), &stocker())
        .then_refused(InventoryItemError::NotFound);
}

#[test]
fn a_sku_is_claimed_once() {
    let claim = ClaimSku { item: id("flour") };
    let claimed = SkuClaimEvent::Claimed {
        inventory_item_id: id("flour"),
        at: t0(),
    };
    fresh::<SkuClaim>().when(claim, &stocker()).then(vec![claimed.clone()]);
    given([claimed])
        .when(ClaimSku { item: id("other") }, &stocker())
        .then_refused(SkuTaken { holder: id("flour") });
}

#[test]
fn suppliers_are_registered_updated_and_deactivated_by_buyers() {
    let profile = SupplierProfile {
        name: "Moulin".into(),
        contact: Some("anne@moulin.fr".into()),
        payment_terms: Some("net 30".into()),
    };
    let registered = SupplierEvent::Registered {
        profile: profile.clone(),
        at: t0(),
    };
    fresh::<Supplier>()
        .when(SupplierCommand::Register(profile.clone()), &buyer())
        .then(vec![registered.clone()]);
    fresh::<Supplier>()
        .when(SupplierCommand::Register(profile.clone()), &cashier())
        .then_refused(SupplierError::NotAllowed);
    fresh::<Supplier>()
        .when(SupplierCommand::Deactivate, &buyer())
        .then_refused(SupplierError::NotFound);
    given([registered.clone()])
        .when(SupplierCommand::Register(profile.clone()), &buyer())
        .then_refused(SupplierError::AlreadyRegistered);
    given([registered.clone()])
        .when(SupplierCommand::Update(profile.clone()), &buyer())
        .then(vec![]);
    let deactivated = SupplierEvent::Deactivated { at: t0() };
    given([registered.clone()])
        .when(SupplierCommand::Deactivate, &buyer())
        .then(vec![deactivated.clone()]);
    given([registered, deactivated])
        .when(SupplierCommand::Update(profile), &buyer())
        .then_refused(SupplierError::Deactivated);
}

#[test]
fn menu_items_are_added_changed_aspect_by_aspect_withdrawn_and_restored() {
    let burger = dish("Burger", MenuCategory::Food, "14.00", "grill", &[("beef", "0.2")]);
    let added = MenuItemEvent::Added {
        details: burger.details.clone(),
        at: t0(),
    };
    fresh::<MenuItem>()
        .when(MenuItemCommand::Add(burger.details.clone()), &manager())
        .then(vec![added.clone()]);
    fresh::<MenuItem>()
        .when(MenuItemCommand::Add(burger.details.clone()), &cashier())
        .then_refused(MenuItemError::NotAllowed);
    given([added.clone()])
        .when(MenuItemCommand::Add(burger.details.clone()), &manager())
        .then_refused(MenuItemError::AlreadyAdded);
    let mut changed = burger.details.clone();
    changed.sell_price = money("15.50");
    changed.station = Station::new("saute").unwrap();
    given([added.clone()])
        .when(MenuItemCommand::Update(changed.clone()), &manager())
        .then(vec![
            MenuItemEvent::Repriced {
                sell_price: money("15.50"),
                at: t0(),
            },
            MenuItemEvent::StationChanged {
                station: Station::new("saute").unwrap(),
                at: t0(),
            },
        ]);
    let mut doubled = burger.details.clone();
    doubled.recipe.push(RecipeLine {
        inventory_item_id: id("beef"),
        quantity: qty("0.1"),
    });
    given([added.clone()])
        .when(MenuItemCommand::Update(doubled), &manager())
        .then_refused(MenuItemError::DuplicateIngredient(id("beef")));
    let withdrawn = MenuItemEvent::Withdrawn { at: t0() };
    given([added.clone()])
        .when(MenuItemCommand::Withdraw, &manager())
        .then(vec![withdrawn.clone()]);
    let off = given([added.clone(), withdrawn.clone()]);
    assert_eq!(off.0.offer(burger.menu_item_id), Err(MenuItemError::Withdrawn));
    off.when(MenuItemCommand::Update(changed), &manager())
        .then_refused(MenuItemError::Withdrawn);
    given([added.clone(), withdrawn.clone()])
        .when(MenuItemCommand::Withdraw, &manager())
        .then_refused(MenuItemError::Withdrawn);
    given([added.clone(), withdrawn])
        .when(MenuItemCommand::Restore, &manager())
        .then(vec![MenuItemEvent::Restored { at: t0() }]);
    given([added.clone()])
        .when(MenuItemCommand::Restore, &manager())
        .then_refused(MenuItemError::NotWithdrawn);
    assert_eq!(MenuItem::replay(&[added]).offer(burger.menu_item_id), Ok(burger));
}

#[test]
fn customers_keep_their_profile_in_their_own_stream() {
    let profile = CustomerProfile {
        name: "Ann".into(),
        email: Some("ann@example.com".into()),
        phone: None,
        preferences: Some("no nuts".into()),
    };
    let registered = CustomerEvent::Registered {
        profile: profile.clone(),
        at: t0(),
    };
    fresh::<Customer>()
        .when(CustomerCommand::Register(profile.clone()), &cashier())
        .then(vec![registered.clone()]);
    given([registered.clone()])
        .when(CustomerCommand::Register(profile.clone()), &cashier())
        .then_refused(CustomerError::AlreadyRegistered);
    fresh::<Customer>()
        .when(CustomerCommand::UpdateProfile(profile.clone()), &cashier())
        .then_refused(CustomerError::NotFound);
    let bad = CustomerProfile {
        email: Some("ann-at-example".into()),
        ..profile.clone()
    };
    given([registered.clone()])
        .when(CustomerCommand::UpdateProfile(bad), &cashier())
        .then_refused(CustomerError::BadEmail);
    let moved = CustomerProfile {
        phone: Some("+33 1 23".into()),
        ..profile
    };
    given([registered])
        .when(CustomerCommand::UpdateProfile(moved.clone()), &cashier())
        .then(vec![CustomerEvent::ProfileUpdated {
            profile: moved,
            at: t0(),
        }]);
}

#[test]
fn expenses_are_recorded_once_by_managers_or_accountants() {
    let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let rent = RecordExpense {
        category: ExpenseCategory::Rent,
        amount: money("2500.00"),
        date,
        note: None,
    };
    let recorded = ExpenseEvent::Recorded {
        category: ExpenseCategory::Rent,
        amount: money("2500.00"),
        date,
        note: None,
        by: user("maria"),
        at: t0(),
    };
    fresh::<Expense>()
        .when(rent.clone(), &manager())
        .then(vec![recorded.clone()]);
    fresh::<Expense>()
        .when(rent.clone(), &cashier())
        .then_refused(ExpenseError::NotAllowed);
    given([recorded])
        .when(rent, &manager())
        .then_refused(ExpenseError::AlreadyRecorded);
    let zero = RecordExpense {
        category: ExpenseCategory::Labor,
        amount: money("0"),
        date,
        note: None,
    };
    fresh::<Expense>()
        .when(zero, &manager())
        .then_refused(ExpenseError::AmountNotPositive);
}
