//! How the domain's states are spelled outside the code: a status prints as its serde name
//! (`in_kitchen`), the spelling the events and the API use, so a refusal names it in the
//! client's words. Derived from serde, so the two cannot drift apart.

use serde::Serialize;
use std::fmt;

/// Writes `value`'s serde name (a unit enum variant's `rename_all` spelling).
pub(crate) fn write_name<T: Serialize>(value: &T, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => f.write_str(&name),
        // Only unit variants call this; anything else is written as its JSON.
        Ok(other) => write!(f, "{other}"),
        Err(_) => f.write_str("?"),
    }
}
