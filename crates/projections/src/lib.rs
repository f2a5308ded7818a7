//! Brigade's projection runtime and read models: the relay to NATS JetStream, live delivery with
//! checkpoints in PostgreSQL, catch-up from the global log, and the kitchen queue, stock
//! valuation, P&L and menu engineering read models. Built in issue #3 on `brigade-eventstore`'s
//! global log; this crate holds nothing yet.
