//! Menu engineering (Kasavana & Smith), with the BCG names restaurants use for the four classes.
//!
//! Popularity is high when an item's menu mix reaches 70% of an equal share (0.7 / number of
//! items); profitability is high when its contribution margin reaches the sold-weighted average.
//! Comparisons are made at full precision; only the reported figures are rounded.

use crate::amount::round_money;
use crate::catalog::MenuCategory;
use crate::ids::MenuItemId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Sales of one menu item over the period, as the read model accumulates them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemSales {
    /// The item.
    pub menu_item_id: MenuItemId,
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: MenuCategory,
    /// Portions sold on orders closed in the period.
    #[schema(value_type = crate::schema::Figure)]
    pub sold: Decimal,
    /// What those portions sold for.
    #[schema(value_type = crate::schema::Amount)]
    pub revenue: Decimal,
    /// The valued recipe consumption of those portions.
    #[schema(value_type = crate::schema::Amount)]
    pub food_cost: Decimal,
    /// Current menu price: the CM of an item that did not sell is judged on it.
    #[schema(value_type = crate::schema::Amount)]
    pub list_price: Decimal,
    /// Current recipe cost per portion, likewise.
    #[schema(value_type = crate::schema::Amount)]
    pub list_cost: Decimal,
}

/// High or low.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// At or above the threshold.
    High,
    /// Below it.
    Low,
}

/// The Kasavana-Smith class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MenuClass {
    /// Popular and profitable.
    Star,
    /// Popular, low margin.
    Plowhorse,
    /// Unpopular, high margin.
    Puzzle,
    /// Unpopular, low margin: a candidate to take off the menu.
    Dog,
}

impl MenuClass {
    fn of(popularity: Level, profitability: Level) -> Self {
        match (popularity, profitability) {
            (Level::High, Level::High) => MenuClass::Star,
            (Level::High, Level::Low) => MenuClass::Plowhorse,
            (Level::Low, Level::High) => MenuClass::Puzzle,
            (Level::Low, Level::Low) => MenuClass::Dog,
        }
    }

    /// The BCG name: star, cash_cow, question_mark, dog.
    pub fn bcg_name(self) -> &'static str {
        match self {
            MenuClass::Star => "star",
            MenuClass::Plowhorse => "cash_cow",
            MenuClass::Puzzle => "question_mark",
            MenuClass::Dog => "dog",
        }
    }
}

/// One analysed item, figures rounded for reporting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EngineeredItem {
    /// The item.
    pub menu_item_id: MenuItemId,
    /// Its name.
    pub name: String,
    /// Portions sold.
    #[schema(value_type = crate::schema::Figure)]
    pub sold: Decimal,
    /// Average selling price.
    #[schema(value_type = crate::schema::Amount)]
    pub price: Decimal,
    /// Average food cost per portion.
    #[schema(value_type = crate::schema::Amount)]
    pub food_cost: Decimal,
    /// Contribution margin per portion.
    #[schema(value_type = crate::schema::Amount)]
    pub cm: Decimal,
    /// CM x sold.
    #[schema(value_type = crate::schema::Amount)]
    pub total_cm: Decimal,
    /// Share of portions, in percent.
    #[schema(value_type = crate::schema::Ratio)]
    pub menu_mix_pct: Decimal,
    /// High or low against the group's popularity threshold.
    pub popularity: Level,
    /// High or low against the group's average contribution margin.
    pub profitability: Level,
    /// Kasavana-Smith class.
    pub class: MenuClass,
    /// BCG name.
    pub bcg: String,
}

/// The analysis of one group of items (a category, or the whole menu).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MenuAnalysis {
    /// Items, in the order given.
    pub items: Vec<EngineeredItem>,
    /// N: portions sold in the group.
    #[schema(value_type = crate::schema::Figure)]
    pub total_sold: Decimal,
    /// 70% of an equal share, in percent.
    #[schema(value_type = crate::schema::Ratio)]
    pub popularity_threshold_pct: Decimal,
    /// Sold-weighted average CM.
    #[schema(value_type = crate::schema::Amount)]
    pub average_cm: Decimal,
    /// The group's total contribution margin: what its sales left after food cost (the sum of
    /// the items' total CM, rounded once).
    #[schema(value_type = crate::schema::Amount)]
    pub total_cm: Decimal,
    /// Sales of the item in the period.
    #[schema(value_type = crate::schema::Amount)]
    pub revenue: Decimal,
    /// Food cost.
    #[schema(value_type = crate::schema::Amount)]
    pub food_cost: Decimal,
    /// Food cost / revenue in percent; `None` without revenue.
    #[schema(value_type = Option<crate::schema::Ratio>)]
    pub food_cost_pct: Option<Decimal>,
}

fn per_portion(total: Decimal, sold: Decimal, fallback: Decimal) -> Decimal {
    if sold.is_zero() { fallback } else { total / sold }
}

/// Analyses one group. An item with no sales still counts as an item on offer (and is low).
/// With no sales at all, the average CM is the plain mean of the items' list margins.
pub fn analyse(items: &[ItemSales]) -> MenuAnalysis {
    let hundred = Decimal::ONE_HUNDRED;
    let n: Decimal = items.iter().map(|i| i.sold).sum();
    let count = Decimal::from(items.len().max(1));
    let threshold = Decimal::new(7, 1) / count;
    let cms: Vec<Decimal> = items
        .iter()
        .map(|i| per_portion(i.revenue, i.sold, i.list_price) - per_portion(i.food_cost, i.sold, i.list_cost))
        .collect();
    let total_cm: Decimal = items.iter().zip(&cms).map(|(i, cm)| cm * i.sold).sum();
    let average_cm = if n.is_zero() {
        cms.iter().sum::<Decimal>() / count
    } else {
        total_cm / n
    };
    let revenue: Decimal = items.iter().map(|i| i.revenue).sum();
    let food_cost: Decimal = items.iter().map(|i| i.food_cost).sum();
    let analysed = items
        .iter()
        .zip(&cms)
        .map(|(i, cm)| {
            let mix = if n.is_zero() { Decimal::ZERO } else { i.sold / n };
            let popularity = if !i.sold.is_zero() && mix >= threshold {
                Level::High
            } else {
                Level::Low
            };
            let profitability = if *cm >= average_cm { Level::High } else { Level::Low };
            let class = MenuClass::of(popularity, profitability);
            EngineeredItem {
                menu_item_id: i.menu_item_id,
                name: i.name.clone(),
                sold: i.sold,
                price: round_money(per_portion(i.revenue, i.sold, i.list_price)),
                food_cost: round_money(per_portion(i.food_cost, i.sold, i.list_cost)),
                cm: round_money(*cm),
                total_cm: round_money(cm * i.sold),
                menu_mix_pct: round_money(mix * hundred),
                popularity,
                profitability,
                class,
                bcg: class.bcg_name().to_owned(),
            }
        })
        .collect();
    MenuAnalysis {
        items: analysed,
        total_sold: n,
        popularity_threshold_pct: round_money(threshold * hundred),
        average_cm: round_money(average_cm),
        total_cm: round_money(total_cm),
        revenue: round_money(revenue),
        food_cost: round_money(food_cost),
        food_cost_pct: (!revenue.is_zero()).then(|| round_money(food_cost / revenue * hundred)),
    }
}
