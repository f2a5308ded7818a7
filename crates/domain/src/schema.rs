//! How the domain's values look on the wire, for the API's OpenAPI document: decimal strings with
//! the pattern each unit is spelled in, ids as UUIDs. The domain only describes its own values
//! here (a description is data, no I/O); the API derives its schemas from these.
//!
//! Computed figures (totals, ratios, report amounts) are plain `Decimal`s in the domain, since
//! they may be negative or carry more places while they are summed; on the wire they are one of
//! the marker types below, named after what a client may rely on.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};

/// A decimal string schema with `pattern`, `description` and one example.
pub(crate) fn decimal(pattern: &str, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([serde_json::Value::String(example.to_owned())])
        .into()
}

/// A UUID string schema described as `description`.
pub(crate) fn uuid(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .description(Some(description))
        .into()
}

macro_rules! figure {
    ($($(#[$doc:meta])* $name:ident = $pattern:literal, $description:literal, $example:literal;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                decimal($pattern, $description, $example)
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

figure! {
    /// An amount of money computed by the server (a total, a report figure): exactly two places,
    /// negative where a loss or a refund makes it so.
    Amount = r"^-?[0-9]+\.[0-9]{2}$", "An amount of money: a decimal string with exactly two places, e.g. \"12.50\" (negative only for losses and variances)", "12.50";
    /// A percentage computed by the server, rounded to two places.
    Ratio = r"^-?[0-9]+(\.[0-9]{1,2})?$", "A percentage, as a decimal string of at most two places, e.g. \"31.25\"", "31.25";
    /// A computed quantity (stock on hand, an average, a count of portions sold).
    Figure = r"^-?[0-9]+(\.[0-9]+)?$", "A decimal number as a string, e.g. \"2.5\"", "2.5";
}
