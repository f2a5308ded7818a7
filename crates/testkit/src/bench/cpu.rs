//! Where the machine's CPU went during a benchmark phase, by process: PostgreSQL's backends, the
//! server under test, nats-server, the load generator (this process) and everything else.
//!
//! On a small machine that runs all of them, a rate is either bound by latency (the cores are
//! partly idle) or by what each operation costs in CPU (they are busy). These figures tell which,
//! and how far the rate could go at that cost: printed beside the rate in every run, so the
//! explanation is measured together with the figure it explains. Linux only (`/proc`); elsewhere
//! the line says the CPU was not measured.

use std::time::Instant;

/// CPU time counters at one instant, in the kernel's ticks.
pub struct Snapshot {
    at: Instant,
    /// All CPUs' ticks, and those of them idle or waiting for I/O.
    total: u64,
    idle: u64,
    postgres: u64,
    server: u64,
    nats: u64,
    this: u64,
}

/// Reads the counters; `server` is the process under test.
pub fn snapshot(server: u32) -> Snapshot {
    let (total, idle) = machine_ticks();
    let mut snapshot = Snapshot {
        at: Instant::now(),
        total,
        idle,
        postgres: 0,
        server: 0,
        nats: 0,
        this: 0,
    };
    let own = std::process::id();
    for (pid, comm, ticks, reaped) in settled_processes() {
        match comm.as_str() {
            _ if pid == server => snapshot.server += ticks,
            _ if pid == own => snapshot.this += ticks,
            // A backend that exits during a phase takes its ticks out of the live processes' sum;
            // the postmaster, which reaps it, adds them to its children's counters. Counting both
            // keeps PostgreSQL's total from falling when a pool's or pgbench's connections close
            // (without it, their CPU showed up as "other").
            "postgres" => snapshot.postgres += ticks + reaped,
            "nats-server" => snapshot.nats += ticks,
            _ => {}
        }
    }
    snapshot
}

/// What a phase cost, per operation.
pub struct Usage {
    /// Share of the machine's CPU time that was busy (0..1).
    pub busy: f64,
    /// CPU milliseconds per operation, by process.
    pub postgres: f64,
    pub server: f64,
    pub nats: f64,
    pub load: f64,
    pub other: f64,
    /// The cores.
    pub cores: f64,
}

impl Usage {
    /// From `before` to `after`, over `operations` completed operations.
    pub fn between(before: &Snapshot, after: &Snapshot, operations: usize) -> Usage {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        if after.total <= before.total {
            // Nothing was read (no /proc): every figure is unknown, not zero.
            return Usage {
                busy: f64::NAN,
                postgres: f64::NAN,
                server: f64::NAN,
                nats: f64::NAN,
                load: f64::NAN,
                other: f64::NAN,
                cores,
            };
        }
        let total = (after.total - before.total) as f64;
        // One tick of one process, in CPU milliseconds: the wall time spread over every CPU's ticks.
        let wall_ms = after.at.duration_since(before.at).as_secs_f64() * 1000.0;
        let per_tick = wall_ms * cores / total;
        let per_op = |ticks: u64| ticks as f64 * per_tick / operations.max(1) as f64;
        let busy_ticks = total as u64 - after.idle.saturating_sub(before.idle).min(total as u64);
        let postgres = after.postgres.saturating_sub(before.postgres);
        let server = after.server.saturating_sub(before.server);
        let nats = after.nats.saturating_sub(before.nats);
        let this = after.this.saturating_sub(before.this);
        let other = busy_ticks.saturating_sub(postgres + server + nats + this);
        Usage {
            busy: busy_ticks as f64 / total,
            postgres: per_op(postgres),
            server: per_op(server),
            nats: per_op(nats),
            load: per_op(this),
            other: per_op(other),
            cores,
        }
    }

    /// CPU milliseconds per operation, all processes.
    pub fn per_operation(&self) -> f64 {
        self.postgres + self.server + self.nats + self.load + self.other
    }

    /// Operations per second the cores would allow at this cost, all of them busy.
    pub fn ceiling(&self) -> f64 {
        self.cores * 1000.0 / self.per_operation()
    }

    /// One line: how busy the machine was and where each operation's CPU went.
    pub fn describe(&self, operation: &str) -> String {
        if self.busy.is_nan() {
            return "CPU not measured (no /proc/stat on this machine)".into();
        }
        format!(
            "CPU {:.0}% of {} cores busy; per {operation}: PostgreSQL {:.2} ms, server {:.2}, NATS {:.2}, load generator {:.2}, other {:.2} (total {:.2} ms: all cores busy would allow {:.0}/s)",
            self.busy * 100.0,
            self.cores,
            self.postgres,
            self.server,
            self.nats,
            self.load,
            self.other,
            self.per_operation(),
            self.ceiling()
        )
    }
}

/// All CPUs' ticks, and the idle ones (idle and iowait), from the first line of `/proc/stat`.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    let total = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    (total, idle)
}

/// Every process, read while no PostgreSQL backend exited: two reads that agree on PostgreSQL's
/// processes and their reaped ticks. A backend that exits during one read may be missing from it
/// while the postmaster (read earlier) has not yet counted it; a snapshot taken just as a pool or
/// pgbench disconnects lost that backend's whole CPU, and the next phase counted it as its own.
fn settled_processes() -> Vec<(u32, String, u64, u64)> {
    let postgres = |all: &[(u32, String, u64, u64)]| -> (Vec<u32>, u64) {
        let of_postgres = all.iter().filter(|(_, comm, _, _)| comm == "postgres");
        (
            of_postgres.clone().map(|p| p.0).collect(),
            of_postgres.map(|p| p.3).sum(),
        )
    };
    let mut last = processes();
    for _ in 0..20 {
        let next = processes();
        if postgres(&next) == postgres(&last) {
            return next;
        }
        last = next;
    }
    last
}

/// Every process: its id, its command name, its user plus system ticks so far, and those of its
/// children that exited and were waited for.
fn processes() -> Vec<(u32, String, u64, u64)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // The name is in parentheses and may hold spaces or parentheses itself.
            let (open, close) = (stat.find('(')?, stat.rfind(')')?);
            let comm = stat.get(open + 1..close)?.to_owned();
            let rest: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
            // After the name: state is field 3; utime and stime are fields 14 and 15, cutime and
            // cstime 16 and 17.
            let field = |n: usize| rest.get(n - 3).and_then(|f| f.parse::<u64>().ok());
            Some((pid, comm, field(14)? + field(15)?, field(16)? + field(17)?))
        })
        .collect()
}
