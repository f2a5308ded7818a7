//! The projections crate's integration tests, one binary (one link) for all of them: a module per
//! subject.

mod applied;
mod chaos;
mod fanout;
mod folds;
mod swap;
mod worked_examples;
