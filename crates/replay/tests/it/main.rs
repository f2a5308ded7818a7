//! The replay crate's integration tests, one binary (one link) for all of them: a module per
//! subject.

mod support;

mod archive;
mod audit;
mod rebuild;
mod verify;
