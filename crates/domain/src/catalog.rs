//! Small closed vocabularies of the restaurant: departments, stations, categories, units, text.

use crate::actor::Role;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where stock sits. Stock flows procurement -> stock -> processing -> kitchen, and stock -> bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// Goods received from suppliers land here.
    Procurement,
    /// The main store room.
    Stock,
    /// Prep: butchery, sauces, mise en place.
    Processing,
    /// The kitchen line: every station but the bar consumes from here.
    Kitchen,
    /// The bar consumes from here.
    Bar,
}

impl Department {
    /// Every department, in flow order.
    pub const ALL: [Department; 5] = [
        Department::Procurement,
        Department::Stock,
        Department::Processing,
        Department::Kitchen,
        Department::Bar,
    ];

    /// The roles that may validate a transfer arriving in this department (the receiving side
    /// counts what arrived). Managers and super admins may always. The bar has no role of its own
    /// in the authorization matrix, so kitchen staff receive for it.
    pub fn receiving_roles(self) -> &'static [Role] {
        match self {
            Department::Procurement => &[Role::Manager, Role::ProcurementManager],
            Department::Stock => &[Role::Manager, Role::StockController],
            Department::Processing => &[Role::Manager, Role::ProcessingStaff],
            Department::Kitchen | Department::Bar => &[Role::Manager, Role::KitchenStaff],
        }
    }
}

impl fmt::Display for Department {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Department::Procurement => "procurement",
            Department::Stock => "stock",
            Department::Processing => "processing",
            Department::Kitchen => "kitchen",
            Department::Bar => "bar",
        };
        f.write_str(name)
    }
}

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty or only whitespace.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed.
    #[error("must be at most {0} characters")]
    TooLong(usize),
    /// Contains characters outside the allowed set.
    #[error("may only contain {0}")]
    BadCharacters(&'static str),
}

/// Checks a free-text field: trimmed, not empty, at most `max` characters, no control characters.
pub fn text(value: &str, max: usize) -> Result<String, TextError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::BadCharacters("printable characters"));
    }
    Ok(trimmed.to_owned())
}

/// Checks an optional free-text field the same way, keeping `None` and mapping blank to `None`.
pub fn optional_text(value: Option<&str>, max: usize) -> Result<Option<String>, TextError> {
    match value {
        Some(v) if !v.trim().is_empty() => text(v, max).map(Some),
        _ => Ok(None),
    }
}

fn slug(value: &str, max: usize) -> Result<String, TextError> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() {
        return Err(TextError::Empty);
    }
    if v.len() > max {
        return Err(TextError::TooLong(max));
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(TextError::BadCharacters("letters, digits and underscores"));
    }
    Ok(v)
}

macro_rules! slug_type {
    ($(#[$doc:meta])* $name:ident, max = $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses the name (case-insensitive; stored lowercase).
            pub fn new(value: &str) -> Result<Self, TextError> {
                slug(value, $max).map(Self)
            }

            /// The name as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = TextError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_type!(
    /// A kitchen station a ticket line is routed to: `grill`, `fryer`, `saute`, `cold`, `pastry`,
    /// `bar`, or any other the restaurant names (lowercase letters, digits, underscores).
    Station, max = 32
);
slug_type!(
    /// A unit of measure such as `kg`, `l`, `piece`, `bottle`.
    UnitOfMeasure, max = 16
);

impl Station {
    /// The department whose stock a line on this station consumes: the bar's own, else the kitchen's.
    pub fn department(&self) -> Department {
        if self.0 == "bar" {
            Department::Bar
        } else {
            Department::Kitchen
        }
    }
}

/// What an inventory item is, for stock reports by category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InventoryCategory {
    /// Food ingredients.
    Food,
    /// Drinks and drink ingredients.
    Beverage,
    /// Non-food supplies (napkins, containers).
    Supplies,
}

/// What a menu item is, for the P&L's food and beverage lines and menu engineering groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MenuCategory {
    /// Food sales.
    Food,
    /// Beverage sales.
    Beverage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stations_route_bar_lines_to_the_bar_and_all_others_to_the_kitchen() {
        assert_eq!(Station::new("BAR").unwrap().department(), Department::Bar);
        assert_eq!(Station::new("grill").unwrap().department(), Department::Kitchen);
        assert_eq!(Station::new("pastry").unwrap().department(), Department::Kitchen);
    }

    #[test]
    fn station_names_are_slugs() {
        assert_eq!(Station::new(""), Err(TextError::Empty));
        assert!(Station::new("grill 2").is_err());
        assert!(serde_json::from_str::<Station>("\"deep-fry\"").is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("  Flour ", 10), Ok("Flour".to_owned()));
        assert_eq!(text("   ", 10), Err(TextError::Empty));
        assert_eq!(text("abcdef", 5), Err(TextError::TooLong(5)));
        assert_eq!(optional_text(Some("  "), 5), Ok(None));
    }
}
