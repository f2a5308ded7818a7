//! `rebuild <projection>|all [--dry-run] [--restart]`: a read model rebuilt from the event store
//! into shadow tables, then swapped in (or compared with the live model), while the live workers
//! keep running. Resumable: an interrupted build goes on from its checkpoint when run again.

use crate::Verdict;
use crate::output::{Output, count};
use anyhow::bail;
use brigade_eventstore::GlobalPosition;
use brigade_projections::{Comparison, Projection, ShadowRun, Swapped, models};
use serde::Serialize;
use sqlx::PgPool;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// How to rebuild.
#[derive(Clone, Copy, Debug)]
pub struct How {
    /// Compare with the live model instead of swapping in.
    pub dry_run: bool,
    /// Start over instead of resuming an interrupted build.
    pub restart: bool,
    /// Events per transaction.
    pub batch: u32,
}

#[derive(Serialize)]
struct Rebuilt {
    projection: String,
    /// Events an earlier, interrupted run had applied, when this one resumed it.
    resumed_after: Option<u64>,
    /// Events this run applied before the swap or comparison.
    applied: u64,
    seconds: f64,
    events_per_second: f64,
    /// Where this run stopped, if it was interrupted.
    interrupted_at: Option<GlobalPosition>,
    swapped: Option<Swapped>,
    comparison: Option<Comparison>,
}

/// `rebuild`.
pub async fn run(pool: &PgPool, out: Output, name: &str, how: How) -> anyhow::Result<Verdict> {
    let projections = if name == "all" {
        models::all()
    } else {
        match models::by_name(name) {
            Some(p) => vec![p],
            None => {
                let known: Vec<String> = models::all().iter().map(|p| p.name().to_owned()).collect();
                bail!("unknown read model {name:?}: use one of {}, or all", known.join(", "))
            }
        }
    };
    // Listening from the start: a Ctrl-C during a swap or a comparison is not lost, it stops the
    // run before the next read model.
    let mut interrupt = Interrupt::listen()?;
    let mut results = Vec::new();
    let mut verdict = Verdict::Clean;
    for projection in projections {
        let rebuilt = one(pool, out, projection, how, &mut interrupt).await?;
        if rebuilt.interrupted_at.is_some() {
            verdict = Verdict::Interrupted;
        } else if rebuilt.comparison.as_ref().is_some_and(|c| !c.differences.is_empty()) {
            verdict = Verdict::Findings;
        }
        let stop = rebuilt.interrupted_at.is_some();
        results.push(rebuilt);
        if stop {
            break;
        }
    }
    out.print(&results, || results.iter().map(human).collect())?;
    Ok(verdict)
}

/// Ctrl-C (SIGINT) or SIGTERM: stop after the batch in hand.
struct Interrupt {
    int: Signal,
    term: Signal,
    received: bool,
}

impl Interrupt {
    fn listen() -> anyhow::Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            received: false,
        })
    }

    /// Resolves once a signal has come (at once if one came earlier).
    async fn received(&mut self) {
        if !self.received {
            tokio::select! {
                _ = self.int.recv() => {}
                _ = self.term.recv() => {}
            }
            self.received = true;
        }
    }
}

async fn one(
    pool: &PgPool,
    out: Output,
    projection: Arc<dyn Projection>,
    how: How,
    interrupt: &mut Interrupt,
) -> anyhow::Result<Rebuilt> {
    let name = projection.name().to_owned();
    let mut run = ShadowRun::open(pool, projection, how.batch, how.restart).await?;
    let remaining = run.remaining().await?;
    let bar = out.progress(remaining, &name);
    let started = Instant::now();
    let mut applied = 0_u64;
    let mut interrupted = false;
    loop {
        tokio::select! {
            biased;
            () = interrupt.received() => {
                interrupted = true;
                break;
            }
            step = run.step() => {
                let n = step? as u64;
                if n == 0 {
                    break;
                }
                applied += n;
                if applied > bar.length().unwrap_or(0) {
                    bar.set_length(applied);
                }
                bar.set_position(applied);
            }
        }
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let mut rebuilt = Rebuilt {
        projection: name,
        resumed_after: run.resumed_after,
        applied,
        seconds,
        events_per_second: applied as f64 / seconds.max(1e-9),
        interrupted_at: None,
        swapped: None,
        comparison: None,
    };
    if interrupted {
        rebuilt.interrupted_at = Some(run.checkpoint());
        run.close().await;
    } else if how.dry_run {
        rebuilt.comparison = Some(run.compare_with_live().await?);
        run.discard().await?;
    } else {
        rebuilt.swapped = Some(run.swap_in().await?);
    }
    Ok(rebuilt)
}

fn human(r: &Rebuilt) -> String {
    let mut text = format!("{}: ", r.projection);
    if let Some(before) = r.resumed_after {
        let _ = write!(text, "resumed after {} events; ", count(before));
    }
    let _ = write!(
        text,
        "applied {} events in {:.2} s ({} events/s)",
        count(r.applied),
        r.seconds,
        count(r.events_per_second as u64)
    );
    if let Some(at) = r.interrupted_at {
        let _ = writeln!(
            text,
            "; interrupted at position {}: run the same command again to resume",
            at.position
        );
    }
    if let Some(s) = &r.swapped {
        let _ = writeln!(
            text,
            "; swapped in at position {} ({} events applied during the swap)",
            s.checkpoint.position, s.applied_during_swap
        );
    }
    if let Some(c) = &r.comparison {
        if c.differences.is_empty() {
            let _ = writeln!(
                text,
                "; compared with the live model at position {}: identical",
                c.at.position
            );
        } else {
            let _ = writeln!(
                text,
                "; compared with the live model at position {}: {} tables DIFFER",
                c.at.position,
                c.differences.len()
            );
            for d in &c.differences {
                let _ = writeln!(
                    text,
                    "  {}: {} rows only in the live model, {} only in the rebuild",
                    d.table, d.only_live, d.only_rebuilt
                );
                for row in &d.live_rows {
                    let _ = writeln!(text, "    live:    {row}");
                }
                for row in &d.rebuilt_rows {
                    let _ = writeln!(text, "    rebuilt: {row}");
                }
            }
        }
    }
    text
}
