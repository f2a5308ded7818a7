//! Stock ledgers, transfers and adjustments: every transition and every refusal.
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::amount::{Quantity, SignedQuantity};
use brigade_domain::catalog::{Department, MenuCategory};
use brigade_domain::ids::{InventoryItemId, TransferId};
use brigade_domain::order::{NewLine, Order, OrderCommand, OrderEvent, OrderType};
use brigade_domain::stock::{AdjustmentReason, StockCommand, StockError, StockEvent, StockLedger};
use brigade_domain::transfer::{
    Transfer, TransferCommand, TransferError, TransferEvent, TransferLine, TransferStatus, ValidatedLine,
};
use brigade_domain::{Aggregate, flow};
use std::collections::BTreeMap;
use support::*;

fn adjust(name: &str, department: Department, q: &str) -> StockCommand {
    StockCommand::Adjust {
        adjustment_id: id(name),
        department,
        quantity: SignedQuantity::new(dec(q)).unwrap(),
        reason: AdjustmentReason::StockAudit,
        note: None,
    }
}
fn adjusted(name: &str, department: Department, q: &str, reason: AdjustmentReason) -> StockEvent {
    StockEvent::Adjusted {
        adjustment_id: id(name),
        department,
        quantity: SignedQuantity::new(dec(q)).unwrap(),
        reason,
        note: None,
        by: user("sam"),
        at: t0(),
    }
}
fn moved(from: Department, to: Department, q: &str) -> StockEvent {
    StockEvent::Transferred {
        transfer_id: id("t"),
        from,
        to,
        quantity: qty(q),
        at: t0(),
    }
}

#[test]
fn adjustments_are_checked_and_recorded_once() {
    fresh::<StockLedger>()
        .when(adjust("a1", Department::Stock, "5"), &stocker())
        .then(vec![adjusted(
            "a1",
            Department::Stock,
            "5",
            AdjustmentReason::StockAudit,
        )]);
    let history = [adjusted("a1", Department::Stock, "5", AdjustmentReason::StockAudit)];
    given(history.clone())
        .when(adjust("a2", Department::Stock, "-5.001"), &stocker())
        .then_refused(StockError::Insufficient {
            department: Department::Stock,
            on_hand: dec("5"),
        });
    assert_eq!(
        given(history.clone())
            .when(adjust("a2", Department::Stock, "-5"), &stocker())
            .events()
            .len(),
        1
    );
    given(history.clone())
        .when(adjust("a1", Department::Stock, "1"), &stocker())
        .then_refused(StockError::DuplicateAdjustment(id("a1")));
    given(history.clone())
        .when(adjust("a2", Department::Stock, "0"), &stocker())
        .then_refused(StockError::ZeroQuantity);
    given(history)
        .when(adjust("a2", Department::Stock, "1"), &cook())
        .then_refused(StockError::NotAllowed);
}

#[test]
fn transfers_between_departments_need_the_stock_at_the_source() {
    let history = [adjusted("a1", Department::Stock, "5", AdjustmentReason::StockAudit)];
    let command = |from, to, q: &str| StockCommand::Transfer {
        transfer_id: id("t"),
        from,
        to,
        quantity: qty(q),
    };
    given(history.clone())
        .when(command(Department::Stock, Department::Kitchen, "5"), &stocker())
        .then(vec![moved(Department::Stock, Department::Kitchen, "5")]);
    given(history.clone())
        .when(command(Department::Stock, Department::Kitchen, "6"), &stocker())
        .then_refused(StockError::Insufficient {
            department: Department::Stock,
            on_hand: dec("5"),
        });
    given(history.clone())
        .when(command(Department::Stock, Department::Stock, "1"), &stocker())
        .then_refused(StockError::SameDepartment);
    given(history)
        .when(command(Department::Stock, Department::Bar, "0"), &stocker())
        .then_refused(StockError::ZeroQuantity);
}

#[test]
fn kitchen_consumption_is_never_refused_and_may_go_below_zero() {
    let order = Order::replay(
        &fresh::<Order>()
            .when(
                OrderCommand::Place {
                    number: 1,
                    order_type: OrderType::Takeout,
                    table: None,
                    covers: None,
                    customer_id: None,
                    lines: vec![
                        NewLine {
                            line_id: id("l1"),
                            item: dish("Bread", MenuCategory::Food, "5.00", "pastry", &[("flour", "0.25")]),
                            quantity: 3,
                            modifications: vec![],
                            notes: None,
                        },
                        NewLine {
                            line_id: id("l2"),
                            item: dish(
                                "Pizza",
                                MenuCategory::Food,
                                "12.00",
                                "grill",
                                &[("flour", "0.3"), ("cheese", "0.1")],
                            ),
                            quantity: 1,
                            modifications: vec![],
                            notes: None,
                        },
                        NewLine {
                            line_id: id("l3"),
                            item: dish(
                                "Spritz",
                                MenuCategory::Beverage,
                                "9.00",
                                "bar",
                                &[("aperol", "0.06"), ("lemon", "0.25")],
                            ),
                            quantity: 2,
                            modifications: vec![],
                            notes: None,
                        },
                        NewLine {
                            line_id: id("l4"),
                            item: dish("Sole", MenuCategory::Food, "25.00", "saute", &[("lemon", "0.5")]),
                            quantity: 1,
                            modifications: vec![],
                            notes: None,
                        },
                    ],
                    tax_rate: pct("0"),
                },
                &cashier(),
            )
            .events(),
    );
    let (order_events, stock) = flow::send_to_kitchen(&order, id("o"), &cashier()).unwrap();
    assert!(matches!(order_events[..], [OrderEvent::SentToKitchen { .. }]));
    let by_item: BTreeMap<InventoryItemId, &Vec<StockEvent>> = stock.iter().map(|(i, e)| (*i, e)).collect();
    let flour = by_item[&id::<InventoryItemId>("flour")];
    match &flour[..] {
        [
            StockEvent::Consumed {
                department: Department::Kitchen,
                allocations,
                ..
            },
        ] => {
            let used: Vec<_> = allocations.iter().map(|a| a.quantity).collect();
            assert_eq!(
                used,
                vec![qty("0.75"), qty("0.3")],
                "one allocation per line, recipe x portions"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &by_item[&id::<InventoryItemId>("aperol")][..],
        [StockEvent::Consumed {
            department: Department::Bar,
            ..
        }]
    ));
    // A lemon used at the bar and in the kitchen: one entry for its ledger, one event per department.
    assert_eq!(
        stock
            .iter()
            .filter(|(item, _)| *item == id::<InventoryItemId>("lemon"))
            .count(),
        1
    );
    let lemon: Vec<Department> = by_item[&id::<InventoryItemId>("lemon")]
        .iter()
        .map(|e| match e {
            StockEvent::Consumed { department, .. } => *department,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(lemon, vec![Department::Kitchen, Department::Bar]);
    // With nothing on hand, the kitchen goes negative rather than refusing to cook.
    let ledger = StockLedger::replay(flour);
    assert_eq!(ledger.in_department(Department::Kitchen), dec("-1.05"));
}

/// 10 of flour and 1 of salt, from the stock room to the kitchen.
fn requested_lines() -> Vec<TransferLine> {
    vec![
        TransferLine {
            inventory_item_id: id("flour"),
            requested: qty("10"),
        },
        TransferLine {
            inventory_item_id: id("salt"),
            requested: qty("1"),
        },
    ]
}

fn requested() -> TransferEvent {
    TransferEvent::Requested {
        from: Department::Stock,
        to: Department::Kitchen,
        lines: requested_lines(),
        notes: None,
        by: user("sam"),
        at: t0(),
    }
}

#[test]
fn a_transfer_is_requested_then_validated_by_the_receiving_side() {
    let request = TransferCommand::Request {
        from: Department::Stock,
        to: Department::Kitchen,
        lines: requested_lines(),
        notes: None,
    };
    fresh::<Transfer>()
        .when(request.clone(), &stocker())
        .then(vec![requested()]);
    given([requested()])
        .when(request, &stocker())
        .then_refused(TransferError::AlreadyRequested);
    let same = TransferCommand::Request {
        from: Department::Bar,
        to: Department::Bar,
        lines: vec![],
        notes: None,
    };
    fresh::<Transfer>()
        .when(same, &stocker())
        .then_refused(TransferError::SameDepartment);
    let none = TransferCommand::Request {
        from: Department::Stock,
        to: Department::Bar,
        lines: vec![],
        notes: None,
    };
    fresh::<Transfer>()
        .when(none, &stocker())
        .then_refused(TransferError::NoLines);

    let lines = vec![(id("flour"), qty("8")), (id("salt"), qty("1"))];
    given([requested()])
        .when(TransferCommand::Validate { lines: lines.clone() }, &cook())
        .then(vec![TransferEvent::Validated {
            lines: vec![
                ValidatedLine {
                    inventory_item_id: id("flour"),
                    requested: qty("10"),
                    validated: qty("8"),
                },
                ValidatedLine {
                    inventory_item_id: id("salt"),
                    requested: qty("1"),
                    validated: qty("1"),
                },
            ],
            by: user("kim"),
            at: t0(),
        }]);
    given([requested()])
        .when(TransferCommand::Validate { lines: lines.clone() }, &cashier())
        .then_refused(TransferError::NotReceivingSide(Department::Kitchen));
    given([requested()])
        .when(
            TransferCommand::Validate {
                lines: vec![(id("flour"), qty("11")), (id("salt"), qty("1"))],
            },
            &cook(),
        )
        .then_refused(TransferError::OverValidated(id("flour")));
    given([requested()])
        .when(
            TransferCommand::Validate {
                lines: vec![(id("flour"), qty("1"))],
            },
            &cook(),
        )
        .then_refused(TransferError::LinesMismatch(id("salt")));
    given([requested()])
        .when(
            TransferCommand::Validate {
                lines: vec![(id("flour"), qty("1")), (id("salt"), qty("1")), (id("oil"), qty("1"))],
            },
            &cook(),
        )
        .then_refused(TransferError::LinesMismatch(id("oil")));
    fresh::<Transfer>()
        .when(TransferCommand::Validate { lines }, &cook())
        .then_refused(TransferError::NotFound);
}

#[test]
fn a_transfer_can_be_rejected_or_cancelled_and_then_refuses_everything() {
    let rejected = TransferEvent::Rejected {
        reason: None,
        by: user("kim"),
        at: t0(),
    };
    given([requested()])
        .when(TransferCommand::Reject { reason: None }, &cook())
        .then(vec![rejected.clone()]);
    given([requested()])
        .when(TransferCommand::Reject { reason: None }, &buyer())
        .then_refused(TransferError::NotReceivingSide(Department::Kitchen));
    let cancelled = TransferEvent::Cancelled {
        by: user("sam"),
        at: t0(),
    };
    given([requested()])
        .when(TransferCommand::Cancel, &stocker())
        .then(vec![cancelled.clone()]);
    given([requested()])
        .when(TransferCommand::Cancel, &cook())
        .then_refused(TransferError::NotRequester);
    let validated = TransferEvent::Validated {
        lines: vec![],
        by: user("kim"),
        at: t0(),
    };
    for (end, status) in [
        (rejected, TransferStatus::Rejected),
        (cancelled, TransferStatus::Cancelled),
        (validated, TransferStatus::Validated),
    ] {
        for command in [
            TransferCommand::Validate { lines: vec![] },
            TransferCommand::Reject { reason: None },
            TransferCommand::Cancel,
        ] {
            given([requested(), end.clone()])
                .when(command, &manager())
                .then_refused(TransferError::NotPending(status));
        }
    }
}

#[test]
fn validating_a_transfer_moves_stock_only_when_the_source_holds_it() {
    let transfer = Transfer::replay(&[requested()]);
    let flour = StockLedger::replay(&[adjusted("a", Department::Stock, "9", AdjustmentReason::StockAudit)]);
    let ledgers: BTreeMap<InventoryItemId, StockLedger> = [(id("flour"), flour)].into_iter().collect();
    let lines = [(id("flour"), qty("8")), (id("salt"), Quantity::ZERO)];
    let (events, stock) = flow::validate_transfer(&transfer, id::<TransferId>("t"), &ledgers, &lines, &cook()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(stock.len(), 1, "a zero line moves nothing");
    let too_much = [(id("flour"), qty("10")), (id("salt"), Quantity::ZERO)];
    let err = flow::validate_transfer(&transfer, id("t"), &ledgers, &too_much, &cook()).unwrap_err();
    assert_eq!(
        err,
        flow::FlowError::Stock {
            item: id("flour"),
            error: StockError::Insufficient {
                department: Department::Stock,
                on_hand: dec("9")
            }
        }
    );
}
