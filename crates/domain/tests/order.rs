//! The customer order: every transition and every refusal, given / when / then.
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::Aggregate;
use brigade_domain::amount::{Money, Percent};
use brigade_domain::catalog::MenuCategory;
use brigade_domain::ids::{CustomerId, LineId, PaymentId, RefundId};
use brigade_domain::order::{
    Discount, LineStatus, NewLine, Order, OrderCommand, OrderError, OrderEvent, OrderLine, OrderStatus, OrderType,
    PaymentMethod,
};
use support::*;

fn burger() -> NewLine {
    NewLine {
        line_id: id("l-burger"),
        item: dish("Burger", MenuCategory::Food, "14.00", "grill", &[("beef", "0.2")]),
        quantity: 2,
        modifications: vec!["no onions".into()],
        notes: None,
    }
}
fn beer() -> NewLine {
    NewLine {
        line_id: id("l-beer"),
        item: dish("Beer", MenuCategory::Beverage, "6.00", "bar", &[("lager", "0.5")]),
        quantity: 1,
        modifications: vec![],
        notes: Some("cold".into()),
    }
}

fn line(new: &NewLine) -> OrderLine {
    let d = &new.item.details;
    OrderLine {
        line_id: new.line_id,
        menu_item_id: new.item.menu_item_id,
        name: d.name.clone(),
        category: d.category,
        station: d.station.clone(),
        unit_price: d.sell_price,
        quantity: new.quantity,
        modifications: new.modifications.clone(),
        notes: new.notes.clone(),
        recipe: d.recipe.clone(),
        status: LineStatus::Pending,
    }
}

fn place(lines: Vec<NewLine>, tax: &str) -> OrderCommand {
    OrderCommand::Place {
        number: 7,
        order_type: OrderType::DineIn,
        table: Some(12),
        covers: Some(2),
        customer_id: Some(id::<CustomerId>("ann")),
        lines,
        tax_rate: pct(tax),
    }
}

fn placed() -> OrderEvent {
    OrderEvent::Placed {
        number: 7,
        order_type: OrderType::DineIn,
        table: Some(12),
        covers: Some(2),
        customer_id: Some(id("ann")),
        lines: vec![line(&burger()), line(&beer())],
        tax_rate: Percent::ZERO,
        by: user("carl"),
        at: t0(),
    }
}
fn sent() -> OrderEvent {
    OrderEvent::SentToKitchen {
        by: user("carl"),
        at: t0(),
    }
}
fn completed() -> OrderEvent {
    OrderEvent::TicketCompleted {
        by: user("kim"),
        at: t0(),
    }
}
fn served() -> OrderEvent {
    OrderEvent::Served {
        by: user("carl"),
        at: t0(),
    }
}
fn paid(name: &str, amount: &str) -> OrderEvent {
    OrderEvent::PaymentCaptured {
        payment_id: id(name),
        method: PaymentMethod::Card,
        amount: money(amount),
        tip: Money::ZERO,
        by: user("carl"),
        at: t0(),
    }
}
fn pay(name: &str, amount: &str, tip: &str) -> OrderCommand {
    OrderCommand::TakePayment {
        payment_id: id(name),
        method: PaymentMethod::Cash,
        amount: money(amount),
        tip: money(tip),
    }
}
fn closed(tips: &str) -> OrderEvent {
    OrderEvent::Closed {
        food_sales: money("28.00"),
        beverage_sales: money("6.00"),
        discount: Money::ZERO,
        tax: Money::ZERO,
        tips: money(tips),
        at: t0(),
    }
}

#[test]
fn placing_an_order_copies_prices_and_recipes_from_the_menu() {
    fresh::<Order>()
        .when(place(vec![burger(), beer()], "0"), &cashier())
        .then(vec![placed()]);
}

#[test]
fn placing_refuses_bad_orders() {
    let mut no_table = place(vec![], "0");
    if let OrderCommand::Place { table, .. } = &mut no_table {
        *table = None;
    }
    fresh::<Order>()
        .when(no_table, &cashier())
        .then_refused(OrderError::TableRequired);
    let mut zero = burger();
    zero.quantity = 0;
    fresh::<Order>()
        .when(place(vec![zero], "0"), &cashier())
        .then_refused(OrderError::BadQuantity);
    let mut absurd = burger();
    absurd.quantity = 1000;
    fresh::<Order>()
        .when(place(vec![absurd], "0"), &cashier())
        .then_refused(OrderError::BadQuantity);
    fresh::<Order>()
        .when(place(vec![burger(), burger()], "0"), &cashier())
        .then_refused(OrderError::DuplicateLine(id("l-burger")));
    given([placed()])
        .when(place(vec![], "0"), &cashier())
        .then_refused(OrderError::AlreadyPlaced);
}

#[test]
fn commands_on_an_order_that_does_not_exist_are_refused() {
    fresh::<Order>()
        .when(OrderCommand::SendToKitchen, &cashier())
        .then_refused(OrderError::NotFound);
    fresh::<Order>()
        .when(pay("p", "1.00", "0"), &cashier())
        .then_refused(OrderError::NotFound);
    fresh::<Order>()
        .when(
            OrderCommand::Refund {
                refund_id: id("r"),
                payment_id: id("p"),
                amount: money("1"),
                reason: "x".into(),
            },
            &cashier(),
        )
        .then_refused(OrderError::NotFound);
}

#[test]
fn lines_are_added_and_removed_only_while_open() {
    let fries = NewLine {
        line_id: id("l-fries"),
        item: dish("Fries", MenuCategory::Food, "4.00", "fryer", &[]),
        quantity: 1,
        modifications: vec![],
        notes: None,
    };
    let added = given([placed()])
        .when(OrderCommand::AddLine(fries.clone()), &cashier())
        .events();
    assert_eq!(
        added,
        vec![OrderEvent::LineAdded {
            line: line(&fries),
            by: user("carl"),
            at: t0()
        }]
    );
    given([placed()])
        .when(OrderCommand::AddLine(burger()), &cashier())
        .then_refused(OrderError::DuplicateLine(id("l-burger")));
    given([placed()])
        .when(OrderCommand::RemoveLine(id("l-beer")), &cashier())
        .then(vec![OrderEvent::LineRemoved {
            line_id: id("l-beer"),
            by: user("carl"),
            at: t0(),
        }]);
    given([placed()])
        .when(OrderCommand::RemoveLine(id("nope")), &cashier())
        .then_refused(OrderError::UnknownLine(id("nope")));
    let wrong = OrderError::WrongStatus {
        action: "add a line to",
        status: OrderStatus::InKitchen,
    };
    given([placed(), sent()])
        .when(OrderCommand::AddLine(fries), &cashier())
        .then_refused(wrong);
    let wrong = OrderError::WrongStatus {
        action: "remove a line from",
        status: OrderStatus::InKitchen,
    };
    given([placed(), sent()])
        .when(OrderCommand::RemoveLine(id("l-beer")), &cashier())
        .then_refused(wrong);
}

#[test]
fn removing_a_line_may_not_leave_the_total_below_what_was_paid() {
    given([placed(), paid("p1", "30.00")])
        .when(OrderCommand::RemoveLine(id("l-burger")), &cashier())
        .then_refused(OrderError::BelowPaid { paid: dec("30.00") });
}

#[test]
fn discounts_within_the_limit_are_for_anyone_above_it_for_managers() {
    let limit = pct("10");
    let small = OrderCommand::ApplyDiscount {
        discount: Discount::Amount(money("3.40")),
        reason: None,
        limit,
    };
    let events = given([placed()]).when(small, &cashier()).events();
    assert!(matches!(&events[..], [OrderEvent::DiscountApplied { amount, .. }] if *amount == money("3.40")));
    let big = OrderCommand::ApplyDiscount {
        discount: Discount::Percent(pct("50")),
        reason: Some("birthday".into()),
        limit,
    };
    given([placed()])
        .when(big.clone(), &cashier())
        .then_refused(OrderError::DiscountNeedsManager { limit: dec("10") });
    let events = given([placed()]).when(big, &manager()).events();
    assert!(matches!(&events[..], [OrderEvent::DiscountApplied { amount, .. }] if *amount == money("17.00")));
}

#[test]
fn a_discount_never_takes_an_order_below_zero_or_below_what_was_paid() {
    let limit = pct("100");
    let too_much = OrderCommand::ApplyDiscount {
        discount: Discount::Amount(money("34.01")),
        reason: None,
        limit,
    };
    given([placed()])
        .when(too_much, &manager())
        .then_refused(OrderError::DiscountTooLarge { max: dec("34.00") });
    let zero = OrderCommand::ApplyDiscount {
        discount: Discount::Amount(Money::ZERO),
        reason: None,
        limit,
    };
    given([placed()])
        .when(zero, &manager())
        .then_refused(OrderError::AmountNotPositive);
    let after_payment = OrderCommand::ApplyDiscount {
        discount: Discount::Amount(money("10.00")),
        reason: None,
        limit,
    };
    given([placed(), paid("p1", "30.00")])
        .when(after_payment, &manager())
        .then_refused(OrderError::BelowPaid { paid: dec("30.00") });
}

#[test]
fn sending_fires_the_ticket_once_and_never_an_empty_order() {
    given([placed()])
        .when(OrderCommand::SendToKitchen, &cashier())
        .then(vec![sent()]);
    let empty = OrderEvent::Placed {
        number: 1,
        order_type: OrderType::Takeout,
        table: None,
        covers: None,
        customer_id: None,
        lines: vec![],
        tax_rate: Percent::ZERO,
        by: user("carl"),
        at: t0(),
    };
    given([empty])
        .when(OrderCommand::SendToKitchen, &cashier())
        .then_refused(OrderError::Empty);
    given([placed(), sent()])
        .when(OrderCommand::SendToKitchen, &cashier())
        .then_refused(OrderError::WrongStatus {
            action: "send",
            status: OrderStatus::InKitchen,
        });
}

#[test]
fn the_kitchen_starts_readies_lines_and_bumps_the_ticket() {
    let kim = user("kim");
    given([placed(), sent()])
        .when(OrderCommand::StartTicket, &cook())
        .then(vec![OrderEvent::TicketStarted { by: kim, at: t0() }]);
    given([placed(), sent(), OrderEvent::TicketStarted { by: kim, at: t0() }])
        .when(OrderCommand::StartTicket, &cook())
        .then_refused(OrderError::AlreadyStarted);
    given([placed()])
        .when(OrderCommand::StartTicket, &cook())
        .then_refused(OrderError::WrongStatus {
            action: "start",
            status: OrderStatus::Open,
        });

    let burger_ready = OrderEvent::LineReady {
        line_id: id("l-burger"),
        by: kim,
        at: t0(),
    };
    given([placed(), sent()])
        .when(OrderCommand::MarkLineReady(id("l-burger")), &cook())
        .then(vec![burger_ready.clone()]);
    given([placed(), sent(), burger_ready.clone()])
        .when(OrderCommand::MarkLineReady(id("l-burger")), &cook())
        .then_refused(OrderError::LineAlreadyReady(id("l-burger")));
    given([placed(), sent()])
        .when(OrderCommand::MarkLineReady(id("x")), &cook())
        .then_refused(OrderError::UnknownLine(id("x")));
    // The last line up bumps the ticket.
    given([placed(), sent(), burger_ready])
        .when(OrderCommand::MarkLineReady(id("l-beer")), &cook())
        .then(vec![
            OrderEvent::LineReady {
                line_id: id("l-beer"),
                by: kim,
                at: t0(),
            },
            OrderEvent::TicketCompleted { by: kim, at: t0() },
        ]);
    given([placed(), sent()])
        .when(OrderCommand::CompleteTicket, &cook())
        .then(vec![completed()]);
    given([placed()])
        .when(OrderCommand::CompleteTicket, &cook())
        .then_refused(OrderError::WrongStatus {
            action: "complete",
            status: OrderStatus::Open,
        });
    let state = Order::replay(&[placed(), sent(), completed()]);
    assert_eq!(state.status, Some(OrderStatus::Ready));
    assert!(state.lines.iter().all(|l| l.status == LineStatus::Ready));
}

#[test]
fn a_bumped_ticket_can_be_recalled_and_rushed() {
    let kim = user("kim");
    given([placed(), sent(), completed()])
        .when(OrderCommand::RecallTicket, &cook())
        .then(vec![OrderEvent::TicketRecalled { by: kim, at: t0() }]);
    given([placed(), sent()])
        .when(OrderCommand::RecallTicket, &cook())
        .then_refused(OrderError::WrongStatus {
            action: "recall",
            status: OrderStatus::InKitchen,
        });
    let recalled = Order::replay(&[
        placed(),
        sent(),
        completed(),
        OrderEvent::TicketRecalled { by: kim, at: t0() },
    ]);
    assert_eq!(
        (recalled.status, recalled.ticket.recalls),
        (Some(OrderStatus::InKitchen), 1)
    );

    given([placed(), sent()])
        .when(OrderCommand::SetPriority { rush: true }, &cook())
        .then(vec![OrderEvent::PrioritySet {
            rush: true,
            by: kim,
            at: t0(),
        }]);
    given([placed(), sent()])
        .when(OrderCommand::SetPriority { rush: false }, &cook())
        .then(vec![]);
    given([placed(), sent(), completed(), served()])
        .when(OrderCommand::SetPriority { rush: true }, &cook())
        .then_refused(OrderError::WrongStatus {
            action: "prioritise",
            status: OrderStatus::Served,
        });
}

#[test]
fn serving_a_fully_paid_order_closes_it() {
    given([placed(), sent(), completed()])
        .when(OrderCommand::Serve, &cashier())
        .then(vec![served()]);
    given([placed(), sent(), completed(), paid("p1", "34.00")])
        .when(OrderCommand::Serve, &cashier())
        .then(vec![served(), closed("0")]);
    given([placed(), sent()])
        .when(OrderCommand::Serve, &cashier())
        .then_refused(OrderError::WrongStatus {
            action: "serve",
            status: OrderStatus::InKitchen,
        });
}

#[test]
fn split_payments_close_the_order_when_the_last_one_settles_it() {
    let history = [placed(), sent(), completed(), served(), paid("p1", "20.00")];
    given(history.clone())
        .when(pay("p2", "14.00", "3.00"), &cashier())
        .then(vec![
            OrderEvent::PaymentCaptured {
                payment_id: id("p2"),
                method: PaymentMethod::Cash,
                amount: money("14.00"),
                tip: money("3.00"),
                by: user("carl"),
                at: t0(),
            },
            closed("3.00"),
        ]);
    given(history.clone())
        .when(pay("p2", "14.01", "0"), &cashier())
        .then_refused(OrderError::ExceedsBalance {
            outstanding: dec("14.00"),
        });
    given(history.clone())
        .when(pay("p1", "1.00", "0"), &cashier())
        .then_refused(OrderError::DuplicatePayment(id("p1")));
    given(history)
        .when(pay("p2", "0", "0"), &cashier())
        .then_refused(OrderError::AmountNotPositive);
}

#[test]
fn tax_is_added_to_the_total_and_tips_are_on_top() {
    let state = fresh::<Order>()
        .when(place(vec![burger(), beer()], "8.25"), &cashier())
        .events();
    let order = Order::replay(&state);
    let t = order.totals();
    assert_eq!((t.subtotal, t.tax, t.total), (dec("34.00"), dec("2.81"), dec("36.81")));
    given(state)
        .when(pay("p", "36.82", "5.00"), &cashier())
        .then_refused(OrderError::ExceedsBalance {
            outstanding: dec("36.81"),
        });
}

#[test]
fn refunds_never_exceed_what_was_captured() {
    let history = [placed(), paid("p1", "20.00")];
    let refund = |name: &str, amount: &str| OrderCommand::Refund {
        refund_id: id(name),
        payment_id: id("p1"),
        amount: money(amount),
        reason: "cold food".into(),
    };
    let r1 = OrderEvent::PaymentRefunded {
        refund_id: id("r1"),
        payment_id: id("p1"),
        amount: money("15.00"),
        reason: "cold food".into(),
        by: user("maria"),
        at: t0(),
    };
    given(history.clone())
        .when(refund("r1", "15.00"), &manager())
        .then(vec![r1.clone()]);
    let after = [placed(), paid("p1", "20.00"), r1];
    given(after.clone())
        .when(refund("r2", "5.01"), &manager())
        .then_refused(OrderError::ExceedsRefundable {
            refundable: dec("5.00"),
        });
    given(after.clone())
        .when(refund("r1", "1.00"), &manager())
        .then_refused(OrderError::DuplicateRefund);
    given(after)
        .when(refund("r2", "0"), &manager())
        .then_refused(OrderError::AmountNotPositive);
    let unknown = OrderCommand::Refund {
        refund_id: id("r9"),
        payment_id: id::<PaymentId>("p9"),
        amount: money("1"),
        reason: "x".into(),
    };
    given(history)
        .when(unknown, &manager())
        .then_refused(OrderError::UnknownPayment(id("p9")));
}

#[test]
fn cancelling_after_send_needs_a_manager_and_no_money_held() {
    given([placed()])
        .when(OrderCommand::Cancel { reason: None }, &cashier())
        .then(vec![OrderEvent::Cancelled {
            reason: None,
            after_send: false,
            by: user("carl"),
            at: t0(),
        }]);
    given([placed(), sent()])
        .when(OrderCommand::Cancel { reason: None }, &cashier())
        .then_refused(OrderError::CancelNeedsManager);
    given([placed(), sent()])
        .when(
            OrderCommand::Cancel {
                reason: Some("walked out".into()),
            },
            &manager(),
        )
        .then(vec![OrderEvent::Cancelled {
            reason: Some("walked out".into()),
            after_send: true,
            by: user("maria"),
            at: t0(),
        }]);
    given([placed(), paid("p1", "10.00")])
        .when(OrderCommand::Cancel { reason: None }, &manager())
        .then_refused(OrderError::PaymentsNotRefunded { captured: dec("10.00") });
    let refunded = OrderEvent::PaymentRefunded {
        refund_id: id::<RefundId>("r"),
        payment_id: id("p1"),
        amount: money("10.00"),
        reason: "x".into(),
        by: user("maria"),
        at: t0(),
    };
    let events = given([placed(), paid("p1", "10.00"), refunded])
        .when(OrderCommand::Cancel { reason: None }, &manager())
        .events();
    assert!(matches!(events[..], [OrderEvent::Cancelled { .. }]));
    given([placed(), sent(), completed(), served()])
        .when(OrderCommand::Cancel { reason: None }, &manager())
        .then_refused(OrderError::WrongStatus {
            action: "cancel",
            status: OrderStatus::Served,
        });
}

fn every_command() -> Vec<OrderCommand> {
    vec![
        place(vec![], "0"),
        OrderCommand::AddLine(NewLine {
            line_id: id::<LineId>("new"),
            ..burger()
        }),
        OrderCommand::RemoveLine(id("l-burger")),
        OrderCommand::ApplyDiscount {
            discount: Discount::Amount(money("1")),
            reason: None,
            limit: pct("100"),
        },
        OrderCommand::SendToKitchen,
        OrderCommand::StartTicket,
        OrderCommand::MarkLineReady(id("l-burger")),
        OrderCommand::CompleteTicket,
        OrderCommand::RecallTicket,
        OrderCommand::SetPriority { rush: true },
        OrderCommand::Serve,
        OrderCommand::Cancel { reason: None },
        pay("p9", "1.00", "0"),
    ]
}

#[test]
fn a_closed_order_refuses_everything_but_a_refund() {
    let history = [
        placed(),
        sent(),
        completed(),
        paid("p1", "34.00"),
        served(),
        closed("0"),
    ];
    for command in every_command() {
        let expected = if matches!(command, OrderCommand::Place { .. }) {
            OrderError::AlreadyPlaced
        } else {
            OrderError::Closed
        };
        given(history.clone()).when(command, &manager()).then_refused(expected);
    }
    let refund = OrderCommand::Refund {
        refund_id: id("r"),
        payment_id: id("p1"),
        amount: money("4.00"),
        reason: "overcooked".into(),
    };
    assert_eq!(
        given(history).when(refund, &manager()).events().len(),
        1,
        "a sale is corrected by a refund after closing"
    );
}

#[test]
fn a_cancelled_order_refuses_everything() {
    let history = [
        placed(),
        OrderEvent::Cancelled {
            reason: None,
            after_send: false,
            by: user("carl"),
            at: t0(),
        },
    ];
    for command in every_command() {
        let expected = if matches!(command, OrderCommand::Place { .. }) {
            OrderError::AlreadyPlaced
        } else {
            OrderError::Cancelled
        };
        given(history.clone()).when(command, &manager()).then_refused(expected);
    }
    let refund = OrderCommand::Refund {
        refund_id: id("r"),
        payment_id: id("p1"),
        amount: money("4.00"),
        reason: "x".into(),
    };
    given(history)
        .when(refund, &manager())
        .then_refused(OrderError::UnknownPayment(id("p1")));
}
