//! `export` and `import`: events as NDJSON, for a backup or a tenant that moves.

use crate::Verdict;
use crate::cli::ExportArgs;
use crate::input;
use crate::output::{Output, count};
use anyhow::Context;
use brigade_eventstore::{EventStore, ExportFilter, ImportReport};
use serde::Serialize;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

#[derive(Serialize)]
struct Exported {
    events: u64,
    output: Option<String>,
}

/// `export`.
pub async fn export(
    store: &EventStore,
    out: Output,
    args: &ExportArgs,
    output: Option<&Path>,
) -> anyhow::Result<Verdict> {
    let (from, to) = input::range(args.from.as_deref(), args.to.as_deref())?;
    let filter = ExportFilter {
        tenant: input::tenant(args.tenant.as_deref())?,
        category: input::category(args.category.as_deref())?,
        from,
        to,
    };
    let total = store.count_for_export(&filter).await?;
    let bar = out.progress(total, "exporting");
    let events = match output {
        Some(path) => {
            let file = File::create_new(path).with_context(|| {
                format!(
                    "cannot create {} (an existing file is never overwritten)",
                    path.display()
                )
            })?;
            let mut writer = BufWriter::new(file);
            let n = store.export(&filter, &mut writer, |n| bar.set_position(n)).await?;
            writer.flush()?;
            n
        }
        None => {
            let mut writer = BufWriter::new(std::io::stdout().lock());
            store.export(&filter, &mut writer, |n| bar.set_position(n)).await?
        }
    };
    bar.finish_and_clear();
    let summary = Exported {
        events,
        output: output.map(|p| p.display().to_string()),
    };
    // With the events on standard output, the summary goes to standard error.
    let text = match &summary.output {
        Some(path) => format!("exported {} events to {path}\n", count(events)),
        None => format!("exported {} events\n", count(events)),
    };
    if output.is_some() {
        out.print(&summary, || text)?;
    } else if out.json {
        eprintln!("{}", serde_json::to_string(&summary)?);
    } else {
        eprint!("{text}");
    }
    Ok(Verdict::Clean)
}

/// `import`: into an empty store (migrated first if the database is new).
pub async fn import(store: &EventStore, out: Output, file: &Path) -> anyhow::Result<Verdict> {
    let opened = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let size = opened.metadata().map(|m| m.len()).unwrap_or(0);
    store
        .migrate()
        .await
        .context("cannot prepare the target store's schema")?;
    let bar = out.progress_bytes(size, "importing");
    let reader = BufReader::new(bar.wrap_read(opened));
    let report: ImportReport = store
        .import(reader, |_| {})
        .await
        .with_context(|| format!("{} was not imported (nothing was written)", file.display()))?;
    bar.finish_and_clear();
    out.print(&report, || {
        format!(
            "imported {} events of {} streams ({} commands) from {}; positions, ids, versions and hashes kept\n",
            count(report.events),
            count(report.streams),
            count(report.commands),
            file.display()
        )
    })?;
    Ok(Verdict::Clean)
}
