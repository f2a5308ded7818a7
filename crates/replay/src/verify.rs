//! `verify`: every hash chain recomputed, every fault named by stream and version.

use crate::Verdict;
use crate::input;
use crate::output::{Output, count};
use brigade_eventstore::{EventStore, FaultKind, IntegrityReport};
use serde::Serialize;
use std::fmt::Write as _;
use std::time::Instant;

#[derive(Serialize)]
struct Verification {
    #[serde(flatten)]
    report: IntegrityReport,
    seconds: f64,
    events_per_second: f64,
}

/// `verify [--tenant]`.
pub async fn run(store: &EventStore, out: Output, tenant: Option<&str>) -> anyhow::Result<Verdict> {
    let tenant = input::tenant(tenant)?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE ($1::uuid IS NULL OR tenant_id = $1)")
        .bind(tenant.map(|t| t.uuid()))
        .fetch_one(store.pool())
        .await?;
    let bar = out.progress(u64::try_from(total).unwrap_or_default(), "verifying");
    let started = Instant::now();
    let report = store.verify(tenant, |checked| bar.set_position(checked)).await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let verdict = if report.faults.is_empty() {
        Verdict::Clean
    } else {
        Verdict::Findings
    };
    let result = Verification {
        events_per_second: report.events_checked as f64 / seconds.max(1e-9),
        seconds,
        report,
    };
    out.print(&result, || human(&result))?;
    Ok(verdict)
}

fn human(v: &Verification) -> String {
    let r = &v.report;
    let mut text = format!(
        "verified {} events in {} streams in {:.2} s ({} events/s): ",
        count(r.events_checked),
        count(r.streams_checked),
        v.seconds,
        count(v.events_per_second as u64)
    );
    if r.faults.is_empty() {
        text.push_str("every hash chain is intact\n");
        return text;
    }
    let _ = writeln!(text, "{} FAULTS", r.faults.len());
    for f in &r.faults {
        let what = match &f.kind {
            FaultKind::Altered { event_id } => format!("ALTERED    event {event_id} no longer matches its hash"),
            FaultKind::Reordered {
                event_id,
                previous_position,
            } => format!(
                "REORDERED  event {event_id} was stored before the previous version (at position {previous_position})"
            ),
            FaultKind::Missing { from_version } => {
                format!(
                    "MISSING    versions {from_version}..{} are gone",
                    f.version.saturating_sub(1)
                )
            }
            FaultKind::Truncated {
                recorded_version,
                last_event_version,
            } => format!(
                "TRUNCATED  the command log says the stream reached version {recorded_version}; its last event is version {last_event_version}"
            ),
        };
        let _ = writeln!(
            text,
            "  {} v{} (tenant {}): {what}",
            f.stream_id, f.version, f.tenant_id
        );
    }
    text
}
