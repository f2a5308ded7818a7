//! `verify`: every hash chain recomputed, every fault named by stream and version; optionally
//! checked against a seal kept outside the database, and sealed for the next time.

use crate::Verdict;
use crate::input;
use crate::output::{Output, count};
use anyhow::Context;
use brigade_eventstore::{EventStore, FaultKind, IntegrityReport, Seal};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// The arguments of `verify`.
pub struct Args<'a> {
    pub tenant: Option<&'a str>,
    pub seal: Option<&'a Path>,
    pub against: Option<&'a Path>,
}

/// A seal that was checked against, or written.
#[derive(Serialize)]
struct SealUse {
    file: String,
    sealed_at: DateTime<Utc>,
    streams: usize,
    digest: String,
}

#[derive(Serialize)]
struct Verification {
    #[serde(flatten)]
    report: IntegrityReport,
    seconds: f64,
    events_per_second: f64,
    checked_against: Option<SealUse>,
    sealed: Option<SealUse>,
}

fn read_seal(path: &Path) -> anyhow::Result<Seal> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the seal {}", path.display()))?;
    let seal: Seal = serde_json::from_str(&text).with_context(|| format!("{} is not a seal", path.display()))?;
    seal.check()
        .with_context(|| format!("the seal {} cannot be trusted", path.display()))?;
    Ok(seal)
}

fn seal_use(path: &Path, seal: &Seal) -> SealUse {
    SealUse {
        file: path.display().to_string(),
        sealed_at: seal.sealed_at,
        streams: seal.heads.len(),
        digest: seal.digest.clone(),
    }
}

/// `verify [--tenant] [--against FILE] [--seal FILE]`.
pub async fn run(store: &EventStore, out: Output, args: Args<'_>) -> anyhow::Result<Verdict> {
    let tenant = input::tenant(args.tenant)?;
    let against = args
        .against
        .map(|path| read_seal(path).map(|seal| (path, seal)))
        .transpose()?;
    // Refuse before the work, not after it.
    if let Some(path) = args.seal
        && path.exists()
    {
        anyhow::bail!(
            "--seal {}: the file exists (a seal is never overwritten)",
            path.display()
        );
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE ($1::uuid IS NULL OR tenant_id = $1)")
        .bind(tenant.map(|t| t.uuid()))
        .fetch_one(store.pool())
        .await?;
    let bar = out.progress(u64::try_from(total).unwrap_or_default(), "verifying");
    let started = Instant::now();
    let (report, seal) = store
        .verify_against(tenant, against.as_ref().map(|(_, s)| s), |checked| {
            bar.set_position(checked)
        })
        .await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let clean = report.faults.is_empty();
    let sealed = match args.seal {
        Some(path) if clean => {
            let mut file = std::fs::File::create_new(path)
                .with_context(|| format!("cannot create the seal {} (never overwritten)", path.display()))?;
            serde_json::to_writer_pretty(&mut file, &seal)?;
            Some(seal_use(path, &seal))
        }
        _ => None,
    };
    let result = Verification {
        events_per_second: report.events_checked as f64 / seconds.max(1e-9),
        seconds,
        checked_against: against.as_ref().map(|(path, seal)| seal_use(path, seal)),
        sealed,
        report,
    };
    out.print(&result, || human(&result, args.seal.is_some()))?;
    Ok(if clean { Verdict::Clean } else { Verdict::Findings })
}

fn human(v: &Verification, sealing: bool) -> String {
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
    } else {
        let _ = writeln!(text, "{} FAULTS", r.faults.len());
    }
    if let Some(s) = &v.checked_against {
        let when = s.sealed_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let verdict = if r.faults.iter().any(|f| matches!(f.kind, FaultKind::SealBroken { .. })) {
            "history before it was REWRITTEN (see below)"
        } else {
            "every sealed head still has its hash: nothing before the seal was rewritten"
        };
        let _ = writeln!(
            text,
            "against the seal of {when} ({} streams, {}): {verdict}",
            s.streams, s.file
        );
    }
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
            FaultKind::SealBroken {
                found_hash: Some(_), ..
            } => "REWRITTEN  this version no longer has the hash the seal recorded".to_owned(),
            FaultKind::SealBroken { found_hash: None, .. } => {
                "REWRITTEN  this version, recorded in the seal, is gone".to_owned()
            }
        };
        let _ = writeln!(
            text,
            "  {} v{} (tenant {}): {what}",
            f.stream_id, f.version, f.tenant_id
        );
    }
    match &v.sealed {
        Some(s) => {
            let _ = writeln!(
                text,
                "sealed {} stream heads in {} (digest {}): keep it, or at least its digest, outside the database",
                count(s.streams as u64),
                s.file,
                s.digest
            );
        }
        None if sealing => text.push_str("no seal written: a store with faults is not sealed\n"),
        None => {}
    }
    text
}
