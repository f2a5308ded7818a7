//! Money, quantities and percentages: decimals that cannot hold an invalid value.
//!
//! Each type is parsed once at the edge (serde goes through `TryFrom<Decimal>`), so code inside the
//! domain never re-checks scale or sign. Money never touches a float.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a decimal was refused as a money amount, quantity or percentage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// More decimal places than the unit allows (2 for money, 3 for quantities, 4 for percentages).
    #[error("{value} has more than {max} decimal places")]
    TooPrecise {
        /// The value as given.
        value: Decimal,
        /// The number of places allowed.
        max: u32,
    },
    /// A negative value where only zero or more makes sense.
    #[error("{0} is negative")]
    Negative(Decimal),
    /// A value beyond what any restaurant would record: almost always a typo or an attack.
    #[error("{value} is larger than the maximum {max}")]
    TooLarge {
        /// The value as given.
        value: Decimal,
        /// The largest accepted value.
        max: Decimal,
    },
}

/// Parses `value` into the unit's canonical form: money keeps a fixed scale ("12.50"); quantities
/// and percentages are normalized ("0.15", "8.25"), so one value has one spelling in events.
fn checked(value: Decimal, places: u32, max: Decimal, signed: bool, fixed: bool) -> Result<Decimal, AmountError> {
    let normalized = value.normalize();
    if normalized.scale() > places {
        return Err(AmountError::TooPrecise { value, max: places });
    }
    if !signed && value.is_sign_negative() && !value.is_zero() {
        return Err(AmountError::Negative(value));
    }
    if value.abs() > max {
        return Err(AmountError::TooLarge { value, max });
    }
    let mut canonical = normalized;
    if fixed {
        canonical.rescale(places);
    }
    Ok(canonical)
}

/// Rounds a computed amount to cents, half away from zero, as every reported figure is, and
/// spells it with exactly two places: a figure a client reads is "0.00" or "12.50", never "0"
/// or "12.5".
pub fn round_money(value: Decimal) -> Decimal {
    let mut cents = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    cents.rescale(2);
    cents
}

macro_rules! decimal_newtype {
    ($(#[doc = $doc:literal])* $name:ident, places = $places:expr, max = $max:expr, signed = $signed:expr, fixed = $fixed:expr,
     pattern = $pattern:literal, example = $example:literal) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "Decimal", into = "Decimal")]
        pub struct $name(Decimal);

        impl $name {
            /// Zero, in this unit.
            pub const ZERO: Self = Self(Decimal::from_parts(0, 0, 0, false, if $fixed { $places } else { 0 }));

            /// Parses a decimal, refusing values this unit cannot hold.
            pub fn new(value: Decimal) -> Result<Self, AmountError> {
                checked(value, $places, Decimal::from($max), $signed, $fixed).map(Self)
            }

            /// The decimal value, at this unit's fixed scale.
            pub fn value(self) -> Decimal {
                self.0
            }

            /// True when the value is zero.
            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }
        }

        /// Zero at this unit's scale ("0.00" for money), not `Decimal`'s bare "0".
        impl Default for $name {
            fn default() -> Self {
                Self::ZERO
            }
        }

        impl TryFrom<Decimal> for $name {
            type Error = AmountError;
            fn try_from(value: Decimal) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for Decimal {
            fn from(value: $name) -> Decimal {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// A decimal string: the unit's places, sign and range, as the pattern a client can check.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                // The doc comment's lines, joined as one sentence.
                let description = [$($doc),*].map(str::trim).join(" ");
                crate::schema::decimal($pattern, description.trim(), $example)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

decimal_newtype!(
    /// An amount of money in the organization's currency: two decimal places, never negative.
    Money, places = 2, max = 1_000_000_000_i64, signed = false, fixed = true,
    pattern = r"^[0-9]{1,10}(\.[0-9]{1,2})?$", example = "12.50"
);
decimal_newtype!(
    /// A quantity of stock in the item's unit of measure: up to three decimal places, never negative.
    Quantity, places = 3, max = 1_000_000_000_i64, signed = false, fixed = false,
    pattern = r"^[0-9]{1,10}(\.[0-9]{1,3})?$", example = "2.5"
);
decimal_newtype!(
    /// A stock change that may go either way (an audit finds more or less than the books say).
    SignedQuantity, places = 3, max = 1_000_000_000_i64, signed = true, fixed = false,
    pattern = r"^-?[0-9]{1,10}(\.[0-9]{1,3})?$", example = "-1.5"
);
decimal_newtype!(
    /// A percentage such as a tax rate or a discount: 0 to 100, up to four decimal places.
    Percent, places = 4, max = 100_i64, signed = false, fixed = false,
    pattern = r"^[0-9]{1,3}(\.[0-9]{1,4})?$", example = "8.875"
);

impl Money {
    /// Rounds a computed amount to cents (half away from zero). Amounts computed from valid money
    /// stay far inside the accepted range; anything else saturates at the maximum.
    pub fn from_computed(value: Decimal) -> Self {
        let rounded = round_money(value).max(Decimal::ZERO);
        Self::new(rounded).unwrap_or(Self(Decimal::from(1_000_000_000_i64)))
    }
}

impl Percent {
    /// The fraction this percentage stands for (12.5% -> 0.125).
    pub fn fraction(self) -> Decimal {
        self.0 / Decimal::ONE_HUNDRED
    }
}

impl Quantity {
    /// True when the quantity is more than zero.
    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_refuses_fractions_of_a_cent_and_negatives() {
        assert_eq!(
            Money::new(dec!(1.234)),
            Err(AmountError::TooPrecise {
                value: dec!(1.234),
                max: 2
            })
        );
        assert_eq!(Money::new(dec!(-1)), Err(AmountError::Negative(dec!(-1))));
        assert!(matches!(Money::new(dec!(1e10)), Err(AmountError::TooLarge { .. })));
        assert_eq!(Money::new(dec!(12.500)).map(Money::value), Ok(dec!(12.50)));
    }

    #[test]
    fn money_serializes_as_a_decimal_string_with_cents() {
        let m = Money::new(dec!(12.5)).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"12.50\"");
        assert!(serde_json::from_str::<Money>("\"0.001\"").is_err());
    }

    #[test]
    fn quantities_allow_three_places_and_signed_ones_go_negative() {
        assert!(Quantity::new(dec!(0.125)).is_ok());
        assert!(Quantity::new(dec!(0.1255)).is_err());
        assert_eq!(
            SignedQuantity::new(dec!(-2.500)).map(|q| q.to_string()),
            Ok("-2.5".to_owned())
        );
        assert_eq!(
            Quantity::ZERO.to_string(),
            Quantity::new(dec!(0.000)).unwrap().to_string()
        );
        assert_eq!(Money::ZERO.to_string(), "0.00");
        assert_eq!(Money::default().to_string(), "0.00");
    }

    #[test]
    fn rounding_is_half_away_from_zero_and_keeps_two_places() {
        assert_eq!(round_money(dec!(2.345)), dec!(2.35));
        assert_eq!(round_money(dec!(-2.345)), dec!(-2.35));
        assert_eq!(round_money(dec!(48.0454545)), dec!(48.05));
        assert_eq!(round_money(dec!(0)).to_string(), "0.00");
        assert_eq!(round_money(dec!(12.5)).to_string(), "12.50");
    }
}
