//! Helpers shared by the event store's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use brigade_domain::ids::{TenantId, UserId};
use brigade_eventstore::{CommandMeta, ExpectedVersion, NewEvent, StreamAppend};
use serde_json::json;
use uuid::Uuid;

/// A new tenant.
pub fn tenant() -> TenantId {
    TenantId(Uuid::now_v7())
}

/// Metadata of a fresh command.
pub fn meta() -> CommandMeta {
    CommandMeta::direct(Uuid::now_v7(), Uuid::now_v7(), Some(UserId(Uuid::now_v7())))
}

/// A plain test event.
pub fn event(n: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "counter.incremented".into(),
        schema_version: 1,
        payload: json!({ "n": n }),
    }
}

/// `count` test events for one stream.
pub fn append(stream_id: &str, expected: ExpectedVersion, count: u64) -> StreamAppend {
    StreamAppend {
        stream_id: stream_id.into(),
        expected,
        events: (1..=count).map(event).collect(),
    }
}

/// A stream id nobody else uses.
pub fn stream(category: &str) -> String {
    format!("{category}-{}", Uuid::now_v7())
}

use brigade_domain::catalog::{MenuCategory, Station};
use brigade_domain::ids::MenuItemId;
use brigade_domain::menu_item::{MenuItemDetails, MenuItemSnapshot};
use brigade_domain::{Actor, Context, Role};

/// A context for a user with the given roles, now.
pub fn ctx(roles: &[Role]) -> Context {
    Context::new(
        Actor {
            user_id: UserId(Uuid::now_v7()),
            roles: roles.to_vec(),
        },
        chrono::Utc::now(),
    )
}

/// A menu item on offer at `price` (a decimal string).
pub fn dish(price: &str) -> MenuItemSnapshot {
    MenuItemSnapshot {
        menu_item_id: MenuItemId(Uuid::now_v7()),
        details: MenuItemDetails {
            name: "Burger".into(),
            category: MenuCategory::Food,
            sell_price: serde_json::from_value(json!(price)).unwrap(),
            station: Station::new("grill").unwrap(),
            recipe: vec![],
        },
    }
}
