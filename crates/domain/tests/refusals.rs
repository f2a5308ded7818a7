//! The refusals the state-machine tests do not reach: malformed text and quantities, checked on
//! every aggregate that accepts them. Each refusal produces no event.
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::amount::SignedQuantity;
use brigade_domain::catalog::{Department, InventoryCategory, MenuCategory, TextError, UnitOfMeasure};
use brigade_domain::customer::{Customer, CustomerCommand, CustomerError, CustomerProfile};
use brigade_domain::expense::{Expense, ExpenseCategory, ExpenseError, RecordExpense};
use brigade_domain::inventory_item::{InventoryItem, InventoryItemCommand, InventoryItemError, ItemDetails};
use brigade_domain::menu_item::{MenuItem, MenuItemCommand, MenuItemError, RecipeLine};
use brigade_domain::order::{NewLine, Order, OrderCommand, OrderError, OrderType};
use brigade_domain::organization::{Organization, OrganizationCommand, OrganizationError, Settings};
use brigade_domain::purchase_order::{PoCommand, PoError, PoEvent, PoLine};
use brigade_domain::stock::{AdjustmentReason, StockCommand, StockError, StockLedger};
use brigade_domain::supplier::{Supplier, SupplierCommand, SupplierError, SupplierProfile};
use brigade_domain::transfer::{Transfer, TransferCommand, TransferError, TransferLine};
use chrono::NaiveDate;
use support::*;

const TOO_LONG: usize = 1001;

#[test]
fn blank_or_overlong_names_are_refused_everywhere() {
    let blank = "   ".to_string();
    let establish = OrganizationCommand::Establish {
        name: blank.clone(),
        settings: Settings::default(),
    };
    fresh::<Organization>()
        .when(establish, &manager())
        .then_refused(OrganizationError::BadName(TextError::Empty));

    let details = ItemDetails {
        name: "x".repeat(121),
        category: InventoryCategory::Food,
        minimum_stock: qty("0"),
        maximum_stock: None,
    };
    let register = InventoryItemCommand::Register {
        sku: "X-1".into(),
        unit: UnitOfMeasure::new("kg").unwrap(),
        details,
    };
    fresh::<InventoryItem>()
        .when(register, &stocker())
        .then_refused(InventoryItemError::BadName(TextError::TooLong(120)));

    let mut burger = dish("Burger", MenuCategory::Food, "14.00", "grill", &[]).details;
    burger.name = blank.clone();
    fresh::<MenuItem>()
        .when(MenuItemCommand::Add(burger), &manager())
        .then_refused(MenuItemError::BadName(TextError::Empty));

    let supplier = SupplierProfile {
        name: blank.clone(),
        contact: None,
        payment_terms: None,
    };
    fresh::<Supplier>()
        .when(SupplierCommand::Register(supplier), &buyer())
        .then_refused(SupplierError::BadProfile(TextError::Empty));

    let customer = CustomerProfile {
        name: "Ann".into(),
        email: None,
        phone: None,
        preferences: Some("y".repeat(TOO_LONG)),
    };
    fresh::<Customer>()
        .when(CustomerCommand::Register(customer), &cashier())
        .then_refused(CustomerError::BadProfile(TextError::TooLong(1000)));
}

#[test]
fn control_characters_and_overlong_notes_are_refused() {
    let note = Some("a\u{7}bell".to_string());
    let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let expense = RecordExpense {
        category: ExpenseCategory::Other,
        amount: money("1.00"),
        date,
        note,
    };
    fresh::<Expense>()
        .when(expense, &manager())
        .then_refused(ExpenseError::BadNote(TextError::BadCharacters("printable characters")));

    let adjust = StockCommand::Adjust {
        adjustment_id: id("a"),
        department: Department::Kitchen,
        quantity: SignedQuantity::new(dec("1")).unwrap(),
        reason: AdjustmentReason::StockAudit,
        note: Some("n".repeat(501)),
    };
    fresh::<StockLedger>()
        .when(adjust, &stocker())
        .then_refused(StockError::BadNote(TextError::TooLong(500)));

    let drafted = PoEvent::Drafted {
        supplier_id: id("mill"),
        lines: vec![PoLine {
            inventory_item_id: id("flour"),
            quantity: qty("1"),
            unit_price: money("1"),
        }],
        expected_on: None,
        by: user("paula"),
        at: t0(),
    };
    let submitted = PoEvent::Submitted {
        by: user("paula"),
        at: t0(),
    };
    given([drafted, submitted])
        .when(PoCommand::Reject { reason: " ".into() }, &manager())
        .then_refused(PoError::BadText(TextError::Empty));

    let request = TransferCommand::Request {
        from: Department::Stock,
        to: Department::Bar,
        lines: vec![TransferLine {
            inventory_item_id: id("gin"),
            requested: qty("1"),
        }],
        notes: Some("z".repeat(501)),
    };
    fresh::<Transfer>()
        .when(request, &stocker())
        .then_refused(TransferError::BadText(TextError::TooLong(500)));
}

#[test]
fn order_lines_with_bad_text_are_refused() {
    let line = NewLine {
        line_id: id("l"),
        item: dish("Burger", MenuCategory::Food, "14.00", "grill", &[]),
        quantity: 1,
        modifications: vec!["".into()],
        notes: None,
    };
    let place = OrderCommand::Place {
        number: 1,
        order_type: OrderType::Takeout,
        table: None,
        covers: None,
        customer_id: None,
        lines: vec![line],
        tax_rate: pct("0"),
    };
    fresh::<Order>()
        .when(place, &cashier())
        .then_refused(OrderError::BadText(TextError::Empty));
}

#[test]
fn transfers_refuse_zero_and_repeated_lines() {
    let request = |lines| TransferCommand::Request {
        from: Department::Stock,
        to: Department::Kitchen,
        lines,
        notes: None,
    };
    let zero = vec![TransferLine {
        inventory_item_id: id("flour"),
        requested: qty("0"),
    }];
    fresh::<Transfer>()
        .when(request(zero), &stocker())
        .then_refused(TransferError::ZeroQuantity);
    let line = TransferLine {
        inventory_item_id: id("flour"),
        requested: qty("1"),
    };
    fresh::<Transfer>()
        .when(request(vec![line.clone(), line]), &stocker())
        .then_refused(TransferError::DuplicateItem(id("flour")));
}

#[test]
fn a_consumption_needs_lines_and_a_recipe_needs_quantities() {
    let consume = StockCommand::Consume {
        order_id: id("o"),
        department: Department::Kitchen,
        allocations: vec![],
    };
    fresh::<StockLedger>()
        .when(consume, &cook())
        .then_refused(StockError::NothingConsumed);

    let mut details = dish("Soup", MenuCategory::Food, "6.00", "saute", &[]).details;
    details.recipe = vec![RecipeLine {
        inventory_item_id: id("leek"),
        quantity: qty("0"),
    }];
    fresh::<MenuItem>()
        .when(MenuItemCommand::Add(details), &manager())
        .then_refused(MenuItemError::ZeroRecipeQuantity);
    fresh::<MenuItem>()
        .when(MenuItemCommand::Withdraw, &manager())
        .then_refused(MenuItemError::NotFound);
    fresh::<MenuItem>()
        .when(MenuItemCommand::Restore, &manager())
        .then_refused(MenuItemError::NotFound);
}

/// A refusal names a state the way the API and the events spell it (`in_kitchen`), never as the
/// code does (`InKitchen`): every status prints as its serde name.
#[test]
fn every_status_prints_as_the_api_spells_it() {
    use brigade_domain::order::OrderStatus;
    use brigade_domain::purchase_order::PoStatus;
    use brigade_domain::transfer::TransferStatus;
    use brigade_domain::user::UserStatus;
    fn check<T: serde::Serialize + std::fmt::Display>(all: &[T]) {
        for status in all {
            let serde_name = serde_json::to_value(status).unwrap();
            assert_eq!(serde_name.as_str(), Some(status.to_string().as_str()));
        }
    }
    use OrderStatus as O;
    check(&[O::Open, O::InKitchen, O::Ready, O::Served, O::Cancelled]);
    use PoStatus as P;
    check(&[
        P::Draft,
        P::Submitted,
        P::Approved,
        P::PartiallyReceived,
        P::Received,
        P::Closed,
        P::Rejected,
        P::Cancelled,
    ]);
    use TransferStatus as T;
    check(&[T::Requested, T::Validated, T::Rejected, T::Cancelled]);
    use UserStatus as U;
    check(&[U::Pending, U::Active, U::Deactivated]);
    let refusal = OrderError::WrongStatus {
        action: "serve",
        status: O::InKitchen,
    };
    assert_eq!(refusal.to_string(), "cannot serve an order that is in_kitchen");
}
