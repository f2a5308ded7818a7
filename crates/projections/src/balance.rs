//! Sharing the projections' partitions between worker processes, with PostgreSQL as the only
//! coordinator.
//!
//! Each process registers itself (`projection_workers`) and says every tick that it is alive.
//! Every partition is a lease (an advisory lock, [`Lease`]); its holder records itself as the
//! owner (`projection_owners`). Each tick, a process counts the live processes and what each
//! holds, and moves towards an even share of all the partitions it runs:
//!
//! - below its share (rounded up), it takes free partitions;
//! - above its share rounded up, or above it rounded down while another live process is below
//!   that, it gives one up (the partition finishes its batch and lets its lease go) and leaves it
//!   alone for a few ticks, so that the process short of work gets it;
//! - a partition seen free for [`ORPHAN_TICKS`] ticks in a row is taken whatever the share, so no
//!   miscount (a process that died but still looks alive) leaves work undone.
//!
//! A process that dies loses its database sessions, so its leases are free at once; the others
//! take them at their next ticks. Exactly once does not rest on any of this: a partition's
//! checkpoint moves only through its lease's connection, compared-and-set (crate::session).

use crate::partitions;
use crate::projection::Projection;
use crate::session::SessionError;
use crate::worker::{Worker, WorkerConfig, lease_name};
use brigade_eventstore::{Lease, Partition};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A process not seen for this long is taken for dead (its partitions are already free: this only
/// stops it counting in the shares).
pub const WORKER_TTL: Duration = Duration::from_secs(5);

/// Ticks a partition stays free before any process takes it, share or not.
const ORPHAN_TICKS: u32 = 3;

/// Ticks a process leaves a partition it gave up alone.
const COOLDOWN_TICKS: u32 = 6;

/// One process's share of the partitions of its projections.
pub struct Balancer {
    pool: PgPool,
    jetstream: Option<async_nats::jetstream::Context>,
    projections: Vec<Arc<dyn Projection>>,
    parts: u16,
    config: WorkerConfig,
    worker_id: String,
}

/// A partition this process runs.
struct Held {
    token: CancellationToken,
    task: JoinHandle<()>,
}

/// A partition of a projection, as the balancer sees it.
#[derive(Clone)]
struct Unit {
    name: String,
    projection: Arc<dyn Projection>,
    partition: Partition,
}

/// What the balancer decided this tick.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Share {
    /// Partitions to take at most (the share rounded up).
    pub ceil: usize,
    /// Whether to give one up.
    pub give_up: bool,
}

/// The share of a process holding `mine` of `units` partitions, with `live` processes alive and
/// `least` the fewest any live process holds.
pub(crate) fn share(units: usize, live: usize, mine: usize, least: usize) -> Share {
    let live = live.max(1);
    let (floor, ceil) = (units / live, units.div_ceil(live));
    Share {
        ceil,
        give_up: mine > ceil || (mine > floor && least < floor),
    }
}

impl Balancer {
    /// A balancer for `projections`, each in `parts` partitions, named `worker_id` (unique per
    /// process: host and pid).
    pub fn new(
        pool: PgPool,
        jetstream: Option<async_nats::jetstream::Context>,
        projections: Vec<Arc<dyn Projection>>,
        parts: u16,
        config: WorkerConfig,
        worker_id: String,
    ) -> Self {
        Self {
            pool,
            jetstream,
            projections,
            parts,
            config,
            worker_id,
        }
    }

    /// Splits the projections to this process's count if needed, then runs its share of their
    /// partitions until `shutdown`; each partition finishes its batch before it returns.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), SessionError> {
        for projection in &self.projections {
            if !partitions::settle(
                &self.pool,
                projection.name(),
                self.parts,
                self.config.standby_poll,
                &shutdown,
            )
            .await?
            {
                return Ok(());
            }
        }
        let units: Vec<Unit> = self
            .projections
            .iter()
            .flat_map(|projection| {
                Partition::all(self.parts).map(move |partition| Unit {
                    name: partition.name(projection.name()),
                    projection: projection.clone(),
                    partition,
                })
            })
            .collect();
        // Processes that were killed leave their registration behind; a minute later nobody
        // needs it (they stopped counting after WORKER_TTL).
        sqlx::query("DELETE FROM projection_workers WHERE seen_at < now() - interval '1 minute'")
            .execute(&self.pool)
            .await?;
        let names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
        let projections: Vec<String> = self.projections.iter().map(|p| p.name().to_owned()).collect();
        let mut held: HashMap<String, Held> = HashMap::new();
        let mut free_for: HashMap<String, u32> = HashMap::new();
        let mut cooling: HashMap<String, u32> = HashMap::new();
        let mut ticker = tokio::time::interval(self.config.standby_poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            if let Err(error) = self
                .tick(
                    &units,
                    &names,
                    &projections,
                    &mut held,
                    &mut free_for,
                    &mut cooling,
                    &shutdown,
                )
                .await
            {
                tracing::warn!(%error, "balancing failed this tick");
            }
        }
        for h in held.values() {
            h.token.cancel();
        }
        for (_, h) in held.drain() {
            let _ = h.task.await;
        }
        let _ = sqlx::query("DELETE FROM projection_workers WHERE worker_id = $1")
            .bind(&self.worker_id)
            .execute(&self.pool)
            .await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn tick(
        &self,
        units: &[Unit],
        names: &[String],
        projections: &[String],
        held: &mut HashMap<String, Held>,
        free_for: &mut HashMap<String, u32>,
        cooling: &mut HashMap<String, u32>,
        shutdown: &CancellationToken,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO projection_workers (worker_id, projections) VALUES ($1, $2) \
             ON CONFLICT (worker_id) DO UPDATE SET seen_at = now(), projections = $2",
        )
        .bind(&self.worker_id)
        .bind(projections)
        .execute(&self.pool)
        .await?;
        // Partitions that stopped on their own (an error, a moved checkpoint) are free again.
        let ended: Vec<String> = held
            .iter()
            .filter(|(_, h)| h.task.is_finished())
            .map(|(n, _)| n.clone())
            .collect();
        for name in ended {
            held.remove(&name);
            self.disown(&name).await?;
        }
        cooling.retain(|_, ticks| {
            *ticks = ticks.saturating_sub(1);
            *ticks > 0
        });

        let ttl = WORKER_TTL.as_secs_f64();
        let live: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM projection_workers WHERE seen_at > now() - make_interval(secs => $1) \
                AND projections && $2",
        )
        .bind(ttl)
        .bind(projections)
        .fetch_one(&self.pool)
        .await?;
        let owners: Vec<(String, String)> = sqlx::query_as(
            "SELECT o.name, o.worker_id FROM projection_owners o JOIN projection_workers w USING (worker_id) \
              WHERE w.seen_at > now() - make_interval(secs => $1) AND o.name = ANY($2)",
        )
        .bind(ttl)
        .bind(names)
        .fetch_all(&self.pool)
        .await?;
        let owner: HashMap<&str, &str> = owners.iter().map(|(n, w)| (n.as_str(), w.as_str())).collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (_, w) in &owners {
            *counts.entry(w.as_str()).or_default() += 1;
        }
        let live = usize::try_from(live).unwrap_or(1).max(1);
        let least = if counts.len() < live {
            0
        } else {
            counts.values().copied().min().unwrap_or(0)
        };
        let share = share(units.len(), live, held.len(), least);

        if share.give_up {
            // The last by name: a stable choice, so the same partition is not moved back and forth.
            if let Some(name) = held.keys().max().cloned() {
                if let Some(h) = held.remove(&name) {
                    tracing::info!(partition = %name, "giving a partition up to balance the workers");
                    h.token.cancel();
                    let _ = h.task.await;
                    self.disown(&name).await?;
                    cooling.insert(name, COOLDOWN_TICKS);
                }
            }
            return Ok(());
        }

        for unit in units {
            if held.contains_key(&unit.name) {
                free_for.remove(&unit.name);
                continue;
            }
            let free = !owner.contains_key(unit.name.as_str());
            let ticks = if free {
                let t = free_for.entry(unit.name.clone()).or_default();
                *t += 1;
                *t
            } else {
                free_for.remove(&unit.name);
                0
            };
            let orphan = ticks >= ORPHAN_TICKS;
            let room = held.len() < share.ceil && !cooling.contains_key(&unit.name);
            if !(room || orphan) {
                continue;
            }
            let Some(lease) = Lease::try_acquire(&self.pool, &lease_name(&unit.name))
                .await
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
            else {
                continue;
            };
            free_for.remove(&unit.name);
            held.insert(unit.name.clone(), self.start(unit.clone(), lease, shutdown));
        }
        Ok(())
    }

    /// Runs a partition on its lease, recording this process as its owner first (through the
    /// lease's connection, so the record is written only while the lease is held).
    fn start(&self, unit: Unit, mut lease: Lease, shutdown: &CancellationToken) -> Held {
        let token = shutdown.child_token();
        let stop = token.clone();
        let worker = Worker::for_partition(
            self.pool.clone(),
            self.jetstream.clone(),
            unit.projection.clone(),
            unit.partition,
            self.config.clone(),
        );
        let worker_id = self.worker_id.clone();
        let task = tokio::spawn(async move {
            let recorded = sqlx::query(
                "INSERT INTO projection_owners (name, worker_id) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET worker_id = $2, since = now()",
            )
            .bind(&unit.name)
            .bind(&worker_id)
            .execute(lease.connection())
            .await;
            if let Err(error) = recorded {
                tracing::warn!(partition = %unit.name, %error, "could not record the partition's owner");
                return;
            }
            tracing::info!(partition = %unit.name, "partition taken");
            match worker.run_held(lease, &stop).await {
                Ok(()) => {}
                Err(SessionError::Fenced) => {
                    tracing::info!(partition = %unit.name, "checkpoint moved; the partition starts again");
                }
                Err(error) => tracing::warn!(partition = %unit.name, %error, "partition stopped"),
            }
        });
        Held { token, task }
    }

    /// Forgets this process as `name`'s owner (unless another has recorded itself since).
    async fn disown(&self, name: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM projection_owners WHERE name = $1 AND worker_id = $2")
            .bind(name)
            .bind(&self.worker_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_even_out() {
        // 12 partitions: alone, a process takes them all.
        assert_eq!(share(12, 1, 0, 0).ceil, 12);
        // A second process arrives: the first (12) gives up down to 6, the second takes 6.
        assert!(share(12, 2, 12, 0).give_up);
        assert!(share(12, 2, 7, 5).give_up);
        assert!(!share(12, 2, 6, 6).give_up);
        assert_eq!(share(12, 2, 0, 0).ceil, 6);
        // Three: 4 each; one with 5 while another has 3 gives one up.
        assert!(share(12, 3, 5, 3).give_up);
        assert!(!share(12, 3, 4, 4).give_up);
        // Uneven: 4 partitions, 3 processes: 2/1/1 is balanced; 2/2/0 is not.
        assert!(!share(4, 3, 2, 1).give_up);
        assert!(share(4, 3, 2, 0).give_up);
        assert!(!share(4, 3, 1, 0).give_up);
    }
}
