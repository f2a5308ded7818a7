//! The invariants of domain.md, over random command sequences (proptest).
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::amount::{Money, Quantity, SignedQuantity};
use brigade_domain::catalog::{Department, MenuCategory};
use brigade_domain::ids::{AdjustmentId, LineId, PaymentId, RefundId, TransferId};
use brigade_domain::order::{Discount, NewLine, Order, OrderCommand, OrderStatus, OrderType, PaymentMethod};
use brigade_domain::purchase_order::{PoCommand, PoLine, PoStatus, PurchaseOrder, ReceivedLine};
use brigade_domain::stock::{AdjustmentReason, StockCommand, StockLedger};
use brigade_domain::transfer::{Transfer, TransferCommand, TransferLine, TransferStatus};
use brigade_domain::valuation::Fifo;
use brigade_domain::{Aggregate, Context};
use proptest::prelude::*;
use rust_decimal::Decimal;
use support::*;

fn cents(max: i64) -> impl Strategy<Value = Money> {
    (0..=max).prop_map(|c| Money::new(Decimal::new(c, 2)).unwrap())
}

fn actor() -> impl Strategy<Value = Context> {
    prop_oneof![Just(cashier()), Just(manager()), Just(cook())]
}

fn order_command() -> impl Strategy<Value = OrderCommand> {
    let line = (0_u8..4, 1_u32..4).prop_map(|(n, quantity)| NewLine {
        line_id: id(&format!("line-{n}")),
        item: dish(
            &format!("dish-{n}"),
            if n % 2 == 0 {
                MenuCategory::Food
            } else {
                MenuCategory::Beverage
            },
            &format!("{}.50", 5 + n),
            "grill",
            &[],
        ),
        quantity,
        modifications: vec![],
        notes: None,
    });
    let payment = 0_u8..6;
    prop_oneof![
        prop::collection::vec(line.clone(), 0..3).prop_map(|lines| OrderCommand::Place {
            number: 1,
            order_type: OrderType::Takeout,
            table: None,
            covers: None,
            customer_id: None,
            lines,
            tax_rate: pct("7.5"),
        }),
        line.clone().prop_map(OrderCommand::AddLine),
        (0_u8..4).prop_map(|n| OrderCommand::RemoveLine(id::<LineId>(&format!("line-{n}")))),
        cents(2000).prop_map(|m| OrderCommand::ApplyDiscount {
            discount: Discount::Amount(m),
            reason: None,
            limit: pct("10")
        }),
        Just(OrderCommand::SendToKitchen),
        Just(OrderCommand::StartTicket),
        (0_u8..4).prop_map(|n| OrderCommand::MarkLineReady(id(&format!("line-{n}")))),
        Just(OrderCommand::CompleteTicket),
        Just(OrderCommand::RecallTicket),
        any::<bool>().prop_map(|rush| OrderCommand::SetPriority { rush }),
        Just(OrderCommand::Serve),
        Just(OrderCommand::Cancel { reason: None }),
        (payment.clone(), cents(4000), cents(500)).prop_map(|(p, amount, tip)| OrderCommand::TakePayment {
            payment_id: id::<PaymentId>(&format!("pay-{p}")),
            method: PaymentMethod::Card,
            amount,
            tip,
        }),
        (0_u16..1000, payment, cents(4000)).prop_map(|(r, p, amount)| OrderCommand::Refund {
            refund_id: id::<RefundId>(&format!("refund-{r}")),
            payment_id: id(&format!("pay-{p}")),
            amount,
            reason: "guest".into(),
        }),
    ]
}

/// Decides every command against the state so far, applying accepted events; checks `each`
/// after every step, and that the state equals a replay of all accepted events at the end.
fn run<A: Aggregate>(
    commands: &[(A::Command, Context)],
    mut each: impl FnMut(&A, &A, &A::Command, &Result<Vec<A::Event>, A::Error>),
) -> (A, Vec<A::Event>) {
    let mut state = A::default();
    let mut history = vec![];
    for (command, ctx) in commands {
        let before = state.clone();
        let result = state.decide(command, ctx);
        if let Ok(events) = &result {
            events.iter().for_each(|e| state.evolve(e));
            history.extend(events.iter().cloned());
        }
        each(&before, &state, command, &result);
    }
    (state, history)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_order_is_paid_beyond_its_total_and_refunds_never_exceed_captures(commands in prop::collection::vec((order_command(), actor()), 1..40)) {
        let (state, history) = run::<Order>(&commands, |before, after, _, result| {
            let t = after.totals();
            assert!(t.paid <= t.total, "paid {} beyond total {}", t.paid, t.total);
            for p in &after.payments {
                assert!(p.refunded.value() <= p.amount.value(), "refunded {} of {}", p.refunded, p.amount);
            }
            if result.is_err() {
                assert_eq!(before, after, "a refused command changes nothing");
            }
        });
        prop_assert_eq!(Order::replay(&history), state, "state rebuilt from events equals state after the commands");
    }

    #[test]
    fn closed_and_cancelled_orders_refuse_every_command_but_refunds(commands in prop::collection::vec((order_command(), actor()), 1..40)) {
        run::<Order>(&commands, |before, _, command, result| {
            let ended = before.closed || before.status == Some(OrderStatus::Cancelled);
            let refund = matches!(command, OrderCommand::Refund { .. });
            if ended && !(refund && before.closed) {
                assert!(result.is_err(), "{command:?} accepted on an ended order");
            }
        });
    }

    #[test]
    fn an_order_closes_exactly_once_and_only_served_and_fully_paid(commands in prop::collection::vec((order_command(), actor()), 1..40)) {
        let (state, history) = run::<Order>(&commands, |_, _, _, _| {});
        let closes = history.iter().filter(|e| matches!(e, brigade_domain::order::OrderEvent::Closed { .. })).count();
        prop_assert!(closes <= 1);
        if closes == 1 {
            prop_assert_eq!(state.status, Some(OrderStatus::Served));
        }
    }
}

fn department() -> impl Strategy<Value = Department> {
    prop::sample::select(Department::ALL.to_vec())
}

fn stock_command() -> impl Strategy<Value = StockCommand> {
    let q = (1_i64..20_000).prop_map(|n| Decimal::new(n, 3));
    prop_oneof![
        (q.clone(), cents(900)).prop_map(|(q, c)| StockCommand::Receive {
            purchase_order_id: id("po"),
            receipt_id: id("r"),
            quantity: Quantity::new(q).unwrap(),
            unit_cost: c
        }),
        (department(), q.clone()).prop_map(|(department, q)| StockCommand::Consume {
            order_id: id("o"),
            department,
            allocations: vec![brigade_domain::stock::Allocation {
                line_id: id("l"),
                menu_item_id: id("m"),
                category: MenuCategory::Food,
                quantity: Quantity::new(q).unwrap()
            }],
        }),
        (department(), department(), q.clone()).prop_map(|(from, to, q)| StockCommand::Transfer {
            transfer_id: id::<TransferId>("t"),
            from,
            to,
            quantity: Quantity::new(q).unwrap()
        }),
        (0_u32..1_000_000, department(), q, any::<bool>()).prop_map(|(n, department, q, up)| StockCommand::Adjust {
            adjustment_id: id::<AdjustmentId>(&n.to_string()),
            department,
            quantity: SignedQuantity::new(if up { q } else { -q }).unwrap(),
            reason: AdjustmentReason::Spoilage,
            note: None,
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn transfers_conserve_stock_and_only_consumption_goes_below_zero(commands in prop::collection::vec(stock_command(), 1..60)) {
        let with_actor: Vec<_> = commands.into_iter().map(|c| (c, stocker())).collect();
        let (state, history) = run::<StockLedger>(&with_actor, |before, after, command, result| {
            match (command, result) {
                (StockCommand::Transfer { .. }, _) => assert_eq!(before.total(), after.total(), "a transfer changed the org-wide total"),
                (StockCommand::Consume { .. }, _) => {}
                (_, Ok(_)) => {
                    for d in Department::ALL {
                        assert!(after.in_department(d) >= Decimal::ZERO.min(before.in_department(d)), "{d} went below zero without kitchen consumption");
                    }
                }
                (_, Err(_)) => assert_eq!(before, after),
            }
        });
        prop_assert_eq!(StockLedger::replay(&history), state);
    }

    #[test]
    fn fifo_value_is_the_sum_of_the_remaining_layers_and_issues_take_the_oldest_first(moves in prop::collection::vec((any::<bool>(), 1_i64..5_000, 1_i64..900), 1..80)) {
        let mut fifo = Fifo::default();
        let (mut received, mut issued) = (Decimal::ZERO, Decimal::ZERO);
        for (receipt, q, c) in moves {
            let q = Decimal::new(q, 2);
            let before: Vec<_> = fifo.layers().copied().collect();
            if receipt {
                fifo.receive(q, Decimal::new(c, 2));
                received += q;
            } else {
                fifo.issue(q);
                issued += q;
                let after: Vec<_> = fifo.layers().copied().collect();
                // What is left is the newest part of what was there: a suffix, its head possibly cut.
                prop_assert!(after.len() <= before.len());
                let offset = before.len() - after.len();
                for (i, layer) in after.iter().enumerate() {
                    let was = before[offset + i];
                    prop_assert_eq!(layer.unit_cost, was.unit_cost);
                    if i == 0 { prop_assert!(layer.quantity <= was.quantity) } else { prop_assert_eq!(layer.quantity, was.quantity) }
                }
            }
            let layered: Decimal = fifo.layers().map(|l| l.quantity * l.unit_cost).sum();
            if fifo.quantity() >= Decimal::ZERO {
                prop_assert_eq!(fifo.value(), layered, "value on hand is the sum of the layers");
            }
            prop_assert!(fifo.layers().all(|l| l.quantity > Decimal::ZERO));
            prop_assert_eq!(fifo.quantity(), received - issued);
        }
    }
}

fn po_command() -> impl Strategy<Value = (PoCommand, Context)> {
    let lines = vec![PoLine {
        inventory_item_id: id("flour"),
        quantity: qty("10"),
        unit_price: money("1.00"),
    }];
    let receive = (1_i64..800, any::<bool>(), 0_u16..100).prop_map(|(q, over, r)| PoCommand::Receive {
        receipt_id: id(&format!("r{r}")),
        lines: vec![ReceivedLine {
            inventory_item_id: id("flour"),
            quantity: Quantity::new(Decimal::new(q, 2)).unwrap(),
            unit_cost: money("1.10"),
        }],
        allow_over_receipt: over,
    });
    let command = prop_oneof![
        Just(PoCommand::Draft {
            supplier_id: id("mill"),
            lines: lines.clone(),
            expected_on: None
        }),
        Just(PoCommand::Revise {
            lines,
            expected_on: None
        }),
        Just(PoCommand::Submit),
        Just(PoCommand::Approve),
        Just(PoCommand::Reject { reason: "no".into() }),
        receive,
        Just(PoCommand::Close),
        Just(PoCommand::Cancel { reason: None }),
    ];
    (command, prop_oneof![Just(buyer()), Just(manager())])
}

fn transfer_command() -> impl Strategy<Value = (TransferCommand, Context)> {
    let command = prop_oneof![
        Just(TransferCommand::Request {
            from: Department::Stock,
            to: Department::Bar,
            lines: vec![TransferLine {
                inventory_item_id: id("gin"),
                requested: qty("2")
            }],
            notes: None
        }),
        (0_i64..300).prop_map(|q| TransferCommand::Validate {
            lines: vec![(id("gin"), Quantity::new(Decimal::new(q, 2)).unwrap())]
        }),
        Just(TransferCommand::Reject { reason: None }),
        Just(TransferCommand::Cancel),
    ];
    (command, prop_oneof![Just(stocker()), Just(cook()), Just(manager())])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn closed_cancelled_and_rejected_purchase_orders_refuse_every_command(commands in prop::collection::vec(po_command(), 1..30)) {
        let (state, history) = run::<PurchaseOrder>(&commands, |before, after, _, result| {
            if matches!(before.status, Some(PoStatus::Closed | PoStatus::Cancelled | PoStatus::Rejected)) {
                assert!(result.is_err());
            }
            if result.is_err() {
                assert_eq!(before, after);
            }
        });
        prop_assert_eq!(PurchaseOrder::replay(&history), state);
    }

    #[test]
    fn finished_transfers_refuse_every_command(commands in prop::collection::vec(transfer_command(), 1..20)) {
        let (state, history) = run::<Transfer>(&commands, |before, after, _, result| {
            if matches!(before.status, Some(TransferStatus::Validated | TransferStatus::Rejected | TransferStatus::Cancelled)) {
                assert!(result.is_err());
            }
            if result.is_err() {
                assert_eq!(before, after);
            }
        });
        prop_assert_eq!(Transfer::replay(&history), state);
    }
}
