//! The api crate's integration tests, one binary (one link) for all of them: a module per
//! subject.

mod support;

mod auth;
mod day;
mod demo;
mod fuzz;
mod http;
mod menu;
mod pos;
mod users;
mod walkthrough;
