//! Brigade's audit replay CLI and projection rebuilds (issue #5): audit a stream or an actor,
//! the state at any moment, integrity verification (`EventStore::verify` already does the
//! checking), export and import. This crate holds nothing yet.
