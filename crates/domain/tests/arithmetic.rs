//! The public worked examples of read-models.md, to the cent, and the P&L arithmetic.
#![allow(clippy::unwrap_used)]

mod support;

use brigade_domain::amount::round_money;
use brigade_domain::catalog::MenuCategory;
use brigade_domain::expense::ExpenseCategory;
use brigade_domain::menu_engineering::{ItemSales, Level, MenuClass, analyse};
use brigade_domain::pnl::{Grouping, PlFigures, local_date, period_start};
use brigade_domain::valuation::{ItemValuation, Layer, Method};
use chrono::{NaiveDate, TimeZone, Utc};
use support::{dec, id};

#[test]
fn flour_fifo_and_weighted_average_match_the_public_example() {
    let mut v = ItemValuation::default();
    v.receive(dec("100"), dec("1.20"));
    assert_eq!(
        (v.quantity(), round_money(v.value(Method::WeightedAverage))),
        (dec("100"), dec("120.00"))
    );
    v.receive(dec("50"), dec("1.50"));
    assert_eq!(round_money(v.value(Method::WeightedAverage)), dec("195.00"));

    let consume_120 = v.issue(dec("120"));
    assert_eq!(round_money(consume_120.fifo), dec("150.00"));
    assert_eq!(round_money(consume_120.weighted_average), dec("156.00"));
    assert_eq!(
        v.fifo.layers().copied().collect::<Vec<_>>(),
        vec![Layer {
            quantity: dec("30"),
            unit_cost: dec("1.50")
        }]
    );
    assert_eq!(round_money(v.value(Method::WeightedAverage)), dec("39.00"));

    v.receive(dec("80"), dec("1.40"));
    assert_eq!(round_money(v.value(Method::WeightedAverage)), dec("151.00"));
    assert_eq!(v.quantity(), dec("110"));

    let consume_70 = v.issue(dec("70"));
    assert_eq!(round_money(consume_70.fifo), dec("101.00"));
    assert_eq!(round_money(consume_70.weighted_average), dec("96.09"));
    assert_eq!(
        v.fifo.layers().copied().collect::<Vec<_>>(),
        vec![Layer {
            quantity: dec("40"),
            unit_cost: dec("1.40")
        }]
    );
    assert_eq!(round_money(v.value(Method::WeightedAverage)), dec("54.91"));

    let wastage_5 = v.issue(dec("5"));
    assert_eq!(round_money(wastage_5.fifo), dec("7.00"));
    assert_eq!(round_money(wastage_5.weighted_average), dec("6.86"));

    assert_eq!(round_money(v.value(Method::Fifo)), dec("49.00"));
    assert_eq!(round_money(v.value(Method::WeightedAverage)), dec("48.05"));
    assert_eq!(round_money(consume_120.fifo + consume_70.fifo), dec("251.00"));
    assert_eq!(
        round_money(consume_120.weighted_average + consume_70.weighted_average),
        dec("252.09")
    );
}

#[test]
fn an_issue_that_empties_the_stock_takes_exactly_the_remaining_value() {
    let mut v = ItemValuation::default();
    v.receive(dec("3"), dec("1"));
    v.receive(dec("7"), dec("1.07"));
    v.issue(dec("1"));
    let last = v.issue(dec("9"));
    assert_eq!(v.value(Method::WeightedAverage), dec("0"));
    assert_eq!(v.value(Method::Fifo), dec("0"));
    assert_eq!(last.fifo, dec("9.49"));
}

#[test]
fn a_shortfall_is_costed_at_the_last_receipt_and_filled_by_the_next() {
    let mut v = ItemValuation::default();
    v.receive(dec("10"), dec("2.00"));
    let over = v.issue(dec("12"));
    assert_eq!(over.fifo, dec("24.00"), "2 short, costed at the last receipt's 2.00");
    assert_eq!(over.weighted_average, dec("24.00"));
    assert_eq!(v.quantity(), dec("-2"));
    assert_eq!(v.value(Method::Fifo), dec("-4.00"));
    v.receive(dec("5"), dec("3.00"));
    assert_eq!(v.quantity(), dec("3"));
    assert_eq!(
        v.fifo.layers().copied().collect::<Vec<_>>(),
        vec![Layer {
            quantity: dec("3"),
            unit_cost: dec("3.00")
        }]
    );
    assert_eq!(
        (v.value(Method::Fifo), v.value(Method::WeightedAverage)),
        (dec("9.00"), dec("9.00"))
    );
}

fn sales(name: &str, sold: &str, price: &str, cost: &str) -> ItemSales {
    let sold = dec(sold);
    ItemSales {
        menu_item_id: id(name),
        name: name.into(),
        category: MenuCategory::Food,
        sold,
        revenue: sold * dec(price),
        food_cost: sold * dec(cost),
        list_price: dec(price),
        list_cost: dec(cost),
    }
}

#[test]
fn the_four_item_menu_matches_the_public_example() {
    let report = analyse(&[
        sales("Burger", "120", "14.00", "4.00"),
        sales("Salmon", "40", "24.00", "9.00"),
        sales("Salad", "90", "9.00", "2.50"),
        sales("Risotto", "10", "12.00", "6.50"),
    ]);
    let rows: Vec<_> = report
        .items
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.cm,
                i.menu_mix_pct,
                i.popularity,
                i.profitability,
                i.class,
                i.bcg.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "Burger",
                dec("10.00"),
                dec("46.15"),
                Level::High,
                Level::High,
                MenuClass::Star,
                "star"
            ),
            (
                "Salmon",
                dec("15.00"),
                dec("15.38"),
                Level::Low,
                Level::High,
                MenuClass::Puzzle,
                "question_mark"
            ),
            (
                "Salad",
                dec("6.50"),
                dec("34.62"),
                Level::High,
                Level::Low,
                MenuClass::Plowhorse,
                "cash_cow"
            ),
            (
                "Risotto",
                dec("5.50"),
                dec("3.85"),
                Level::Low,
                Level::Low,
                MenuClass::Dog,
                "dog"
            ),
        ]
    );
    assert_eq!(report.total_sold, dec("260"));
    assert_eq!(report.popularity_threshold_pct, dec("17.50"));
    assert_eq!(report.average_cm, dec("9.38"));
    assert_eq!(report.revenue, dec("3570.00"));
    assert_eq!(report.food_cost, dec("1130.00"));
    assert_eq!(report.food_cost_pct, Some(dec("31.65")));
    assert_eq!(report.items[0].total_cm, dec("1200.00"));
    let items_cm: rust_decimal::Decimal = report.items.iter().map(|i| i.total_cm).sum();
    assert_eq!(
        report.total_cm, items_cm,
        "the group's CM is its items' (each in cents here)"
    );
    assert_eq!(
        report.total_cm,
        report.revenue - report.food_cost,
        "what the sales left after food cost"
    );
}

#[test]
fn an_item_that_did_not_sell_still_counts_and_is_low() {
    let report = analyse(&[
        sales("Burger", "10", "14.00", "4.00"),
        sales("Lobster", "0", "60.00", "20.00"),
    ]);
    assert_eq!(report.popularity_threshold_pct, dec("35.00"), "two items on offer");
    let lobster = &report.items[1];
    assert_eq!(
        (lobster.popularity, lobster.cm, lobster.class),
        (Level::Low, dec("40.00"), MenuClass::Puzzle)
    );
}

#[test]
fn a_menu_with_no_sales_is_analysed_without_dividing_by_zero() {
    let report = analyse(&[sales("A", "0", "10", "4"), sales("B", "0", "10", "8")]);
    assert_eq!(report.food_cost_pct, None);
    assert_eq!(report.average_cm, dec("4.00"));
    assert_eq!(
        report.items.iter().map(|i| i.class).collect::<Vec<_>>(),
        vec![MenuClass::Puzzle, MenuClass::Dog]
    );
}

#[test]
fn the_pl_statement_follows_the_uniform_system() {
    let figures = PlFigures {
        food_sales: dec("3570.00"),
        beverage_sales: dec("1200.00"),
        discounts: dec("70.00"),
        refunds: dec("100.00"),
        food_cost: dec("1130.00"),
        beverage_cost: dec("300.00"),
        wastage: dec("7.00"),
        expenses: [
            (ExpenseCategory::Labor, dec("1500.00")),
            (ExpenseCategory::Rent, dec("900.00")),
            (ExpenseCategory::Utilities, dec("100.005")),
        ]
        .into_iter()
        .collect(),
        closed_orders: 200,
        covers: 320,
    };
    let s = figures.statement();
    assert_eq!(s.net_sales, dec("4600.00"));
    assert_eq!(s.cost_of_sales, dec("1430.00"));
    assert_eq!(s.gross_profit, dec("3170.00"));
    assert_eq!(s.prime_cost, dec("2930.00"));
    assert_eq!(
        s.other_expenses[&ExpenseCategory::Utilities],
        dec("100.01"),
        "rounded half away from zero"
    );
    assert_eq!(
        s.net_profit,
        dec("663.00"),
        "3170 - 7 - 1500 - 900 - 100.005 = 662.995, rounded once, half away from zero"
    );
    assert_eq!(s.ratios.food_cost_pct, Some(dec("31.65")));
    assert_eq!(s.ratios.beverage_cost_pct, Some(dec("25.00")));
    assert_eq!(
        s.ratios.cost_of_sales_pct,
        Some(dec("29.98")),
        "1430 of 3570 + 1200 of sales"
    );
    assert_eq!(s.ratios.labor_pct, Some(dec("32.61")));
    assert_eq!(s.ratios.prime_cost_pct, Some(dec("63.70")));
    assert_eq!(s.ratios.net_margin_pct, Some(dec("14.41")));
    assert_eq!(s.average_ticket, Some(dec("23.00")));
}

#[test]
fn ratios_over_zero_sales_are_null_not_errors() {
    let s = PlFigures {
        expenses: [(ExpenseCategory::Rent, dec("900"))].into_iter().collect(),
        ..PlFigures::default()
    }
    .statement();
    assert_eq!(s.net_profit, dec("-900.00"));
    assert_eq!(
        (
            s.ratios.food_cost_pct,
            s.ratios.labor_pct,
            s.ratios.net_margin_pct,
            s.average_ticket
        ),
        (None, None, None, None)
    );
}

#[test]
fn periods_are_days_iso_weeks_and_months_in_the_organizations_timezone() {
    // 02:30 UTC on Monday 2 March is still Sunday 1 March in New York.
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 2, 30, 0).unwrap();
    let local = local_date(at, chrono_tz::America::New_York);
    assert_eq!(local, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    assert_eq!(period_start(local, Grouping::Day), local);
    assert_eq!(
        period_start(local, Grouping::Week),
        NaiveDate::from_ymd_opt(2026, 2, 23).unwrap()
    );
    assert_eq!(
        period_start(local, Grouping::Month),
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    );
    assert_eq!(
        period_start(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(), Grouping::Month),
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    );
}
