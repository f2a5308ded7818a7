//! `audit`: a stream's events, its state at a moment or version, what changed between two
//! versions; and everything one user or one request did across streams.

use crate::Verdict;
use crate::input;
use crate::output::{Output, count};
use crate::state;
use anyhow::bail;
use brigade_domain::ids::TenantId;
use brigade_eventstore::{AuditQuery, EventStore, RecordedEvent};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// One event, as an auditor reads it.
#[derive(Serialize)]
struct EventView {
    tenant_id: TenantId,
    stream_id: String,
    version: u64,
    position: i64,
    event_id: uuid::Uuid,
    event_type: String,
    schema_version: i32,
    recorded_at: DateTime<Utc>,
    actor: Value,
    command_id: Value,
    correlation_id: Value,
    causation_id: Value,
    payload: Value,
}

impl From<&RecordedEvent> for EventView {
    fn from(e: &RecordedEvent) -> Self {
        // Read as plain JSON: an event whose metadata no longer has the expected shape is still
        // shown, as it is.
        let metadata: Value = serde_json::from_str(&e.metadata).unwrap_or(Value::Null);
        let field = |name: &str| metadata.get(name).cloned().unwrap_or(Value::Null);
        Self {
            tenant_id: e.tenant_id,
            stream_id: e.stream_id.clone(),
            version: e.version,
            position: e.position,
            event_id: e.event_id,
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            recorded_at: e.recorded_at,
            actor: field("actor"),
            command_id: field("command_id"),
            correlation_id: field("correlation_id"),
            causation_id: field("causation_id"),
            payload: serde_json::from_str(&e.payload).unwrap_or_else(|_| Value::String(e.payload.clone())),
        }
    }
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn id(v: &Value) -> String {
    v.as_str().map_or_else(|| "-".to_owned(), str::to_owned)
}

/// One event in two lines: who, what, when; then the payload.
fn write_event(out: &mut String, e: &EventView, with_stream: bool) {
    let stream = if with_stream {
        format!("{} ", e.stream_id)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {stream}v{:<4} {}  {} (schema {})  by {}  command {}  correlation {}",
        e.version,
        time(&e.recorded_at),
        e.event_type,
        e.schema_version,
        id(&e.actor),
        id(&e.command_id),
        id(&e.correlation_id),
    );
    let _ = writeln!(out, "        {}", e.payload);
}

/// The arguments of `audit stream`.
pub struct StreamArgs<'a> {
    pub stream_id: &'a str,
    pub tenant: Option<&'a str>,
    pub at: Option<&'a str>,
    pub version: Option<u64>,
    pub diff: Option<&'a str>,
}

/// `audit stream`.
pub async fn stream(store: &EventStore, out: Output, args: StreamArgs<'_>) -> anyhow::Result<Verdict> {
    let tenant = which_tenant(store, args.stream_id, input::tenant(args.tenant)?).await?;
    let events = store.tenant(tenant).read_stream(args.stream_id, 0, None).await?;
    let last = events.last().map_or(0, |e| e.version);
    let header = |what: &str| format!("{} (tenant {tenant}): {what}\n", args.stream_id);
    if let Some(at) = args.at {
        let at = input::time("--at", at)?;
        let upto: Vec<RecordedEvent> = events.iter().filter(|e| e.recorded_at <= at).cloned().collect();
        let version = upto.last().map_or(0, |e| e.version);
        let view = StateView {
            tenant_id: tenant,
            stream_id: args.stream_id.to_owned(),
            at: Some(at),
            version,
            last_event_at: upto.last().map(|e| e.recorded_at),
            state: state::fold(args.stream_id, &upto)?,
        };
        return print_state(out, &view, header(&format!("state at {}", time(&at)))).map(|()| Verdict::Clean);
    }
    if let Some(version) = args.version {
        if version > last {
            bail!(
                "{} has {last} events; --version {version} is beyond its end",
                args.stream_id
            );
        }
        let upto: Vec<RecordedEvent> = events.iter().filter(|e| e.version <= version).cloned().collect();
        let view = StateView {
            tenant_id: tenant,
            stream_id: args.stream_id.to_owned(),
            at: None,
            version,
            last_event_at: upto.last().map(|e| e.recorded_at),
            state: state::fold(args.stream_id, &upto)?,
        };
        return print_state(out, &view, header(&format!("state as of version {version}"))).map(|()| Verdict::Clean);
    }
    if let Some(diff) = args.diff {
        let (from, to) = input::version_range(diff)?;
        if to > last {
            bail!(
                "{} has {last} events; --diff {diff} goes beyond its end",
                args.stream_id
            );
        }
        return print_diff(out, tenant, args.stream_id, &events, from, to).map(|()| Verdict::Clean);
    }
    let views: Vec<EventView> = events.iter().map(EventView::from).collect();
    let listing = StreamListing {
        tenant_id: tenant,
        stream_id: args.stream_id.to_owned(),
        events: views,
    };
    out.print(&listing, || {
        let mut text = header(&format!("{} events", count(listing.events.len() as u64)));
        for e in &listing.events {
            write_event(&mut text, e, false);
        }
        text
    })?;
    Ok(Verdict::Clean)
}

/// Finds the tenant a stream belongs to (stream ids are unique within a tenant only).
async fn which_tenant(store: &EventStore, stream_id: &str, tenant: Option<TenantId>) -> anyhow::Result<TenantId> {
    let tenants = store.tenants_of_stream(stream_id).await?;
    match (tenant, tenants.as_slice()) {
        (Some(t), found) if found.contains(&t) => Ok(t),
        (Some(t), _) => bail!("tenant {t} has no stream {stream_id:?}"),
        (None, []) => bail!("no stream {stream_id:?} in this store"),
        (None, [only]) => Ok(*only),
        (None, many) => {
            let names: Vec<String> = many.iter().map(ToString::to_string).collect();
            bail!(
                "{} tenants have a stream {stream_id:?} ({}): name one with --tenant",
                many.len(),
                names.join(", ")
            )
        }
    }
}

#[derive(Serialize)]
struct StreamListing {
    tenant_id: TenantId,
    stream_id: String,
    events: Vec<EventView>,
}

#[derive(Serialize)]
struct StateView {
    tenant_id: TenantId,
    stream_id: String,
    /// The moment asked about, if the question was a moment.
    at: Option<DateTime<Utc>>,
    /// The last version the state includes (0: the stream did not exist yet).
    version: u64,
    last_event_at: Option<DateTime<Utc>>,
    state: Value,
}

fn print_state(out: Output, view: &StateView, header: String) -> anyhow::Result<()> {
    out.print(view, || {
        let mut text = header;
        if view.version == 0 {
            text.push_str("  the stream did not exist yet\n");
            return text;
        }
        let since = view.last_event_at.as_ref().map(time).unwrap_or_default();
        let _ = writeln!(text, "  version {} (last event recorded {since})", view.version);
        let pretty = serde_json::to_string_pretty(&view.state).unwrap_or_default();
        for line in pretty.lines() {
            let _ = writeln!(text, "  {line}");
        }
        text
    })
}

/// One change between two states.
#[derive(Serialize)]
struct Change {
    op: &'static str,
    path: String,
    before: Option<Value>,
    after: Option<Value>,
}

#[derive(Serialize)]
struct DiffView {
    tenant_id: TenantId,
    stream_id: String,
    from_version: u64,
    to_version: u64,
    changes: Vec<Change>,
    events: Vec<EventView>,
}

fn print_diff(
    out: Output,
    tenant: TenantId,
    stream_id: &str,
    events: &[RecordedEvent],
    from: u64,
    to: u64,
) -> anyhow::Result<()> {
    let upto = |v: u64| -> Vec<RecordedEvent> { events.iter().filter(|e| e.version <= v).cloned().collect() };
    let before = state::fold(stream_id, &upto(from))?;
    let after = state::fold(stream_id, &upto(to))?;
    let changes = json_patch::diff(&before, &after)
        .0
        .into_iter()
        .map(|op| {
            let old = |path: &str| before.pointer(path).cloned();
            match op {
                json_patch::PatchOperation::Add(a) => Change {
                    op: "add",
                    path: a.path.to_string(),
                    before: None,
                    after: Some(a.value),
                },
                json_patch::PatchOperation::Remove(r) => Change {
                    op: "remove",
                    before: old(r.path.as_str()),
                    path: r.path.to_string(),
                    after: None,
                },
                json_patch::PatchOperation::Replace(r) => Change {
                    op: "replace",
                    before: old(r.path.as_str()),
                    path: r.path.to_string(),
                    after: Some(r.value),
                },
                other => Change {
                    op: "other",
                    path: other.to_string(),
                    before: None,
                    after: None,
                },
            }
        })
        .collect();
    let view = DiffView {
        tenant_id: tenant,
        stream_id: stream_id.to_owned(),
        from_version: from,
        to_version: to,
        changes,
        events: events
            .iter()
            .filter(|e| e.version > from && e.version <= to)
            .map(EventView::from)
            .collect(),
    };
    out.print(&view, || {
        let mut text = format!("{stream_id} (tenant {tenant}): from version {from} to {to}\n");
        let _ = writeln!(text, "changes ({}):", view.changes.len());
        let show = |v: &Option<Value>| v.as_ref().map_or_else(|| "-".to_owned(), Value::to_string);
        for c in &view.changes {
            let _ = writeln!(
                text,
                "  {:<7} {}: {} -> {}",
                c.op,
                c.path,
                show(&c.before),
                show(&c.after)
            );
        }
        let _ = writeln!(text, "by the events:");
        for e in &view.events {
            write_event(&mut text, e, false);
        }
        text
    })
}

/// Who or what `audit actor` / `audit correlation` asks about.
pub enum Subject {
    Actor(uuid::Uuid),
    Correlation(uuid::Uuid),
}

#[derive(Serialize)]
struct Across {
    subject: String,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    /// True when the limit cut the list short.
    truncated: bool,
    events: Vec<EventView>,
}

/// `audit actor` and `audit correlation`.
pub async fn across(
    store: &EventStore,
    out: Output,
    subject: Subject,
    range: &crate::cli::RangeArgs,
) -> anyhow::Result<Verdict> {
    let (from, to) = input::range(range.from.as_deref(), range.to.as_deref())?;
    if range.limit == 0 {
        bail!("--limit must be at least 1");
    }
    let mut query = AuditQuery {
        tenant: input::tenant(range.tenant.as_deref())?,
        from,
        to,
        limit: range.limit.saturating_add(1),
        ..AuditQuery::default()
    };
    let label = match subject {
        Subject::Actor(user) => {
            query.actor = Some(user);
            format!("user {user}")
        }
        Subject::Correlation(id) => {
            query.correlation = Some(id);
            format!("correlation {id}")
        }
    };
    let mut events = store.audit(&query).await?;
    let truncated = events.len() > range.limit as usize;
    events.truncate(range.limit as usize);
    let view = Across {
        subject: label,
        from,
        to,
        truncated,
        events: events.iter().map(EventView::from).collect(),
    };
    out.print(&view, || {
        let when = match (from, to) {
            (Some(f), Some(t)) => format!(" from {} to {}", time(&f), time(&t)),
            (Some(f), None) => format!(" from {}", time(&f)),
            (None, Some(t)) => format!(" before {}", time(&t)),
            (None, None) => String::new(),
        };
        let mut text = format!("{}: {} events{when}\n", view.subject, count(view.events.len() as u64));
        let streams: std::collections::BTreeSet<&str> = view.events.iter().map(|e| e.stream_id.as_str()).collect();
        let _ = writeln!(text, "across {} streams", streams.len());
        for e in &view.events {
            write_event(&mut text, e, true);
        }
        if view.truncated {
            let _ = writeln!(
                text,
                "(the first {} only: narrow the range or raise --limit)",
                range.limit
            );
        }
        text
    })?;
    Ok(Verdict::Clean)
}
