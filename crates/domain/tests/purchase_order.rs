//! Purchase orders: every transition and every refusal, given / when / then.
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::catalog::Department;
use brigade_domain::ids::{InventoryItemId, ReceiptId};
use brigade_domain::purchase_order::{PoCommand, PoError, PoEvent, PoLine, PoStatus, PurchaseOrder, ReceivedLine};
use brigade_domain::stock::StockEvent;
use brigade_domain::{Aggregate, Role, flow};
use support::*;

fn lines() -> Vec<PoLine> {
    vec![
        PoLine {
            inventory_item_id: id("flour"),
            quantity: qty("100"),
            unit_price: money("1.20"),
        },
        PoLine {
            inventory_item_id: id("butter"),
            quantity: qty("10"),
            unit_price: money("8.00"),
        },
    ]
}
fn drafted() -> PoEvent {
    PoEvent::Drafted {
        supplier_id: id("mill"),
        lines: lines(),
        expected_on: None,
        by: user("paula"),
        at: t0(),
    }
}
fn submitted() -> PoEvent {
    PoEvent::Submitted {
        by: user("paula"),
        at: t0(),
    }
}
fn approved() -> PoEvent {
    PoEvent::Approved {
        by: user("maria"),
        at: t0(),
    }
}
fn received(item: &str, q: &str, cost: &str) -> ReceivedLine {
    ReceivedLine {
        inventory_item_id: id(item),
        quantity: qty(q),
        unit_cost: money(cost),
    }
}
fn receive(receipt: &str, lines: Vec<ReceivedLine>, allow: bool) -> PoCommand {
    PoCommand::Receive {
        receipt_id: id(receipt),
        lines,
        allow_over_receipt: allow,
    }
}
fn goods(receipt: &str, lines: Vec<ReceivedLine>) -> PoEvent {
    PoEvent::GoodsReceived {
        receipt_id: id(receipt),
        lines,
        by: user("sam"),
        at: t0(),
    }
}

#[test]
fn a_buyer_drafts_revises_and_submits() {
    let draft = PoCommand::Draft {
        supplier_id: id("mill"),
        lines: lines(),
        expected_on: None,
    };
    fresh::<PurchaseOrder>()
        .when(draft.clone(), &buyer())
        .then(vec![drafted()]);
    fresh::<PurchaseOrder>()
        .when(draft.clone(), &cashier())
        .then_refused(PoError::NotAllowed("manage"));
    given([drafted()])
        .when(draft, &buyer())
        .then_refused(PoError::AlreadyDrafted);
    let empty = PoCommand::Draft {
        supplier_id: id("mill"),
        lines: vec![],
        expected_on: None,
    };
    fresh::<PurchaseOrder>()
        .when(empty, &buyer())
        .then_refused(PoError::NoLines);
    let twice = PoCommand::Draft {
        supplier_id: id("mill"),
        lines: [lines(), lines()].concat(),
        expected_on: None,
    };
    fresh::<PurchaseOrder>()
        .when(twice, &buyer())
        .then_refused(PoError::DuplicateItem(id("flour")));
    let zero = PoCommand::Draft {
        supplier_id: id("mill"),
        lines: vec![PoLine {
            quantity: qty("0"),
            ..lines()[0].clone()
        }],
        expected_on: None,
    };
    fresh::<PurchaseOrder>()
        .when(zero, &buyer())
        .then_refused(PoError::ZeroQuantity);

    let revise = PoCommand::Revise {
        lines: lines()[..1].to_vec(),
        expected_on: None,
    };
    assert_eq!(given([drafted()]).when(revise.clone(), &buyer()).events().len(), 1);
    given([drafted(), submitted()])
        .when(revise, &buyer())
        .then_refused(PoError::WrongStatus {
            action: "revise",
            status: PoStatus::Submitted,
        });
    given([drafted()])
        .when(PoCommand::Submit, &buyer())
        .then(vec![submitted()]);
    given([drafted(), submitted()])
        .when(PoCommand::Submit, &buyer())
        .then_refused(PoError::WrongStatus {
            action: "submit",
            status: PoStatus::Submitted,
        });
    fresh::<PurchaseOrder>()
        .when(PoCommand::Submit, &buyer())
        .then_refused(PoError::NotFound);
}

#[test]
fn approval_needs_another_buyer_or_manager() {
    given([drafted(), submitted()])
        .when(PoCommand::Approve, &manager())
        .then(vec![approved()]);
    given([drafted(), submitted()])
        .when(PoCommand::Approve, &buyer())
        .then_refused(PoError::SameApprover);
    given([drafted(), submitted()])
        .when(PoCommand::Approve, &stocker())
        .then_refused(PoError::NotAllowed("approve or reject"));
    let other_buyer = as_user("otto", &[Role::ProcurementManager]);
    given([drafted(), submitted()])
        .when(PoCommand::Approve, &other_buyer)
        .then(vec![PoEvent::Approved {
            by: user("otto"),
            at: t0(),
        }]);
    given([drafted()])
        .when(PoCommand::Approve, &manager())
        .then_refused(PoError::WrongStatus {
            action: "approve or reject",
            status: PoStatus::Draft,
        });
    let reject = PoCommand::Reject {
        reason: "too dear".into(),
    };
    given([drafted(), submitted()])
        .when(reject.clone(), &manager())
        .then(vec![PoEvent::Rejected {
            reason: "too dear".into(),
            by: user("maria"),
            at: t0(),
        }]);
    let rejected = PoEvent::Rejected {
        reason: "too dear".into(),
        by: user("maria"),
        at: t0(),
    };
    given([drafted(), submitted(), rejected])
        .when(PoCommand::Approve, &manager())
        .then_refused(PoError::WrongStatus {
            action: "approve or reject",
            status: PoStatus::Rejected,
        });
}

#[test]
fn goods_are_received_in_parts_at_their_actual_cost() {
    let history = [drafted(), submitted(), approved()];
    let first = vec![received("flour", "60", "1.25")];
    given(history.clone())
        .when(receive("r1", first.clone(), false), &stocker())
        .then(vec![goods("r1", first.clone())]);
    let partial = PurchaseOrder::replay(&[drafted(), submitted(), approved(), goods("r1", first.clone())]);
    assert_eq!(partial.status, Some(PoStatus::PartiallyReceived));
    let rest = vec![received("flour", "40", "1.25"), received("butter", "10", "7.90")];
    let full = PurchaseOrder::replay(&[
        drafted(),
        submitted(),
        approved(),
        goods("r1", first.clone()),
        goods("r2", rest),
    ]);
    assert_eq!(full.status, Some(PoStatus::Received));

    let over = vec![received("flour", "40.001", "1.25")];
    given([drafted(), submitted(), approved(), goods("r1", first.clone())])
        .when(receive("r2", over.clone(), false), &stocker())
        .then_refused(PoError::OverReceipt {
            item: id("flour"),
            ordered: dec("100"),
            received: dec("100.001"),
        });
    assert_eq!(
        given([drafted(), submitted(), approved(), goods("r1", first.clone())])
            .when(receive("r2", over, true), &stocker())
            .events()
            .len(),
        1
    );
    given([drafted(), submitted(), approved(), goods("r1", first.clone())])
        .when(receive("r1", first.clone(), false), &stocker())
        .then_refused(PoError::DuplicateReceipt(id("r1")));
    given(history.clone())
        .when(receive("r3", vec![received("salt", "1", "1")], false), &stocker())
        .then_refused(PoError::NotOrdered(id::<InventoryItemId>("salt")));
    given(history.clone())
        .when(receive("r3", vec![], false), &stocker())
        .then_refused(PoError::NoLines);
    given(history)
        .when(receive("r3", first.clone(), false), &cashier())
        .then_refused(PoError::NotAllowed("receive goods on"));
    given([drafted(), submitted()])
        .when(receive("r1", first, false), &stocker())
        .then_refused(PoError::WrongStatus {
            action: "receive goods on",
            status: PoStatus::Submitted,
        });
}

#[test]
fn a_receipt_puts_each_line_into_procurement_at_its_cost() {
    let history = PurchaseOrder::replay(&[drafted(), submitted(), approved()]);
    let lines = vec![received("flour", "100", "1.20")];
    let (po_events, stock) =
        flow::receive_goods(&history, id("po"), id::<ReceiptId>("r1"), &lines, false, &stocker()).unwrap();
    assert_eq!(po_events.len(), 1);
    assert_eq!(stock.len(), 1);
    let (item, events) = &stock[0];
    assert_eq!(*item, id("flour"));
    assert!(
        matches!(&events[..], [StockEvent::Received { department: Department::Procurement, quantity, unit_cost, .. }]
        if *quantity == qty("100") && *unit_cost == money("1.20"))
    );
}

#[test]
fn closing_and_cancelling_follow_the_diagram() {
    let part = goods("r1", vec![received("flour", "60", "1.25")]);
    given([drafted(), submitted(), approved(), part.clone()])
        .when(PoCommand::Close, &buyer())
        .then(vec![PoEvent::Closed {
            by: user("paula"),
            at: t0(),
        }]);
    given([drafted(), submitted(), approved()])
        .when(PoCommand::Close, &buyer())
        .then_refused(PoError::WrongStatus {
            action: "close",
            status: PoStatus::Approved,
        });
    for history in [
        vec![drafted()],
        vec![drafted(), submitted()],
        vec![drafted(), submitted(), approved()],
    ] {
        assert_eq!(
            given(history)
                .when(PoCommand::Cancel { reason: None }, &buyer())
                .events()
                .len(),
            1
        );
    }
    given([drafted(), submitted(), approved(), part])
        .when(PoCommand::Cancel { reason: None }, &buyer())
        .then_refused(PoError::WrongStatus {
            action: "cancel",
            status: PoStatus::PartiallyReceived,
        });
}

#[test]
fn closed_cancelled_and_rejected_purchase_orders_refuse_every_command() {
    let ends = [
        (
            vec![
                drafted(),
                submitted(),
                approved(),
                goods("r1", vec![received("flour", "100", "1")]),
                PoEvent::Closed {
                    by: user("paula"),
                    at: t0(),
                },
            ],
            PoStatus::Closed,
        ),
        (
            vec![
                drafted(),
                PoEvent::Cancelled {
                    reason: None,
                    by: user("paula"),
                    at: t0(),
                },
            ],
            PoStatus::Cancelled,
        ),
        (
            vec![
                drafted(),
                submitted(),
                PoEvent::Rejected {
                    reason: "no".into(),
                    by: user("maria"),
                    at: t0(),
                },
            ],
            PoStatus::Rejected,
        ),
    ];
    let commands = [
        PoCommand::Revise {
            lines: lines(),
            expected_on: None,
        },
        PoCommand::Submit,
        PoCommand::Approve,
        PoCommand::Reject { reason: "x".into() },
        receive("r9", vec![received("flour", "1", "1")], true),
        PoCommand::Close,
        PoCommand::Cancel { reason: None },
    ];
    for (history, status) in ends {
        for command in commands.clone() {
            let result = given(history.clone())
                .when(command, &as_user("root", &[Role::SuperAdmin]))
                .result;
            assert!(
                matches!(result, Err(PoError::WrongStatus { status: s, .. }) if s == status),
                "{status:?}: {result:?}"
            );
        }
    }
}
