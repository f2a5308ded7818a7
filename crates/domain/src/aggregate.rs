//! The decider shape every aggregate has, and how events travel to and from storage.
//!
//! An aggregate is a pure pair: `decide(state, command, context) -> events | error` and
//! `evolve(state, event) -> state`. Anything a decision needs from outside (a menu price, the tax
//! rate, stock on hand in another stream) is looked up by the caller and put into the command, so
//! decisions can be retried safely after a concurrency conflict.

use crate::actor::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt::Debug;

/// One aggregate: its stream category, its command, event and error types, and the pure pair.
pub trait Aggregate:
    Default + Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The stream category (`order`, `purchase_order`...): stream ids are `<category>-<id>`.
    const CATEGORY: &'static str;
    /// Bumped whenever the state's serialized shape changes, so older snapshots are ignored.
    const SNAPSHOT_VERSION: i32 = 1;
    /// What callers ask for.
    type Command: Debug + Send + Sync;
    /// What happened.
    type Event: EventPayload;
    /// Why a command was refused.
    type Error: std::error::Error + PartialEq + Send + Sync + 'static;

    /// Decides what a command means against the current state. Never has side effects.
    fn decide(&self, command: &Self::Command, ctx: &Context) -> Result<Vec<Self::Event>, Self::Error>;

    /// Applies one event. Must accept every event `decide` can produce; never fails.
    fn evolve(&mut self, event: &Self::Event);

    /// Folds a history into a state.
    fn replay<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self
    where
        Self::Event: 'a,
    {
        let mut state = Self::default();
        for event in events {
            state.evolve(event);
        }
        state
    }
}

/// Why a stored event could not be turned back into a domain event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The event type is not one this aggregate knows.
    #[error("unknown event type {0}")]
    UnknownType(String),
    /// The stored schema version is newer than this code, or no upcaster covers it.
    #[error("{event_type} has schema version {version}, which this build cannot read")]
    UnsupportedVersion {
        /// The event type.
        event_type: String,
        /// The stored schema version.
        version: i32,
    },
    /// The payload does not have the shape of its type and version.
    #[error("{event_type} payload is malformed: {reason}")]
    Malformed {
        /// The event type.
        event_type: String,
        /// What serde said.
        reason: String,
    },
}

/// An event enum with stable external names. Each variant is renamed to `<category>.<what>` and
/// the enum is adjacently tagged (`#[serde(tag = "type", content = "data")]`): the tag becomes the
/// stored `event_type`, the content the stored payload.
pub trait EventPayload: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync {
    /// The current schema version of an event type. Starts at 1; bumped when a payload's shape
    /// changes, with an upcaster from the previous version added to `upcast`.
    fn schema_version(_event_type: &str) -> i32 {
        1
    }

    /// Lifts a payload stored at an older schema version one step up. Stored events are never
    /// rewritten; old shapes are read through this.
    fn upcast_step(event_type: &str, from_version: i32, _payload: Value) -> Result<Value, DecodeError> {
        Err(DecodeError::UnsupportedVersion {
            event_type: event_type.to_owned(),
            version: from_version,
        })
    }

    /// Splits the event into its stored type name, schema version and payload.
    fn encode(&self) -> (String, i32, Value) {
        let tagged = serde_json::to_value(self).unwrap_or(Value::Null);
        let (event_type, payload) = match tagged {
            Value::Object(mut map) => {
                let t = match map.remove("type") {
                    Some(Value::String(s)) => s,
                    _ => String::new(),
                };
                (t, map.remove("data").unwrap_or(Value::Object(Map::new())))
            }
            _ => (String::new(), Value::Null),
        };
        let version = Self::schema_version(&event_type);
        (event_type, version, payload)
    }

    /// Rebuilds the event from its stored JSON text. At the current schema version it is parsed
    /// straight into the event, with no intermediate `Value`; older versions go through `decode`.
    fn decode_str(event_type: &str, schema_version: i32, payload: &str) -> Result<Self, DecodeError> {
        let malformed = |e: serde_json::Error| DecodeError::Malformed {
            event_type: event_type.to_owned(),
            reason: e.to_string(),
        };
        if schema_version != Self::schema_version(event_type) {
            let value: Value = serde_json::from_str(payload).map_err(malformed)?;
            return Self::decode(event_type, schema_version, value);
        }
        let tag = serde_json::to_string(event_type).map_err(malformed)?;
        let tagged = format!("{{\"type\":{tag},\"data\":{payload}}}");
        serde_json::from_str(&tagged).map_err(|e| {
            if e.to_string().starts_with("unknown variant") {
                DecodeError::UnknownType(event_type.to_owned())
            } else {
                malformed(e)
            }
        })
    }

    /// Rebuilds the event from what was stored, upcasting older schema versions first.
    fn decode(event_type: &str, schema_version: i32, payload: Value) -> Result<Self, DecodeError> {
        let current = Self::schema_version(event_type);
        if schema_version > current || schema_version < 1 {
            return Err(DecodeError::UnsupportedVersion {
                event_type: event_type.to_owned(),
                version: schema_version,
            });
        }
        let mut payload = payload;
        for from in schema_version..current {
            payload = Self::upcast_step(event_type, from, payload)?;
        }
        let mut tagged = Map::new();
        tagged.insert("type".into(), Value::String(event_type.to_owned()));
        tagged.insert("data".into(), payload);
        serde_json::from_value(Value::Object(tagged)).map_err(|e| {
            let reason = e.to_string();
            if reason.starts_with("unknown variant") {
                DecodeError::UnknownType(event_type.to_owned())
            } else {
                DecodeError::Malformed {
                    event_type: event_type.to_owned(),
                    reason,
                }
            }
        })
    }
}

/// The stream id of an aggregate instance: `<category>-<id>`.
pub fn stream_id<A: Aggregate>(id: impl std::fmt::Display) -> String {
    format!("{}-{}", A::CATEGORY, id)
}
