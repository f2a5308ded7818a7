//! The reference-data check, batched: the latest versions of the streams each order command
//! reads, and the day's order numbers, for every order a server is placing at that moment, in one
//! statement (see `reference` for why the versions, `order_numbers` for the numbers).
//!
//! A POS's orders come in bursts on the same few streams, and the check is the one statement
//! every order command runs before its append; one round trip per batch instead of per order is
//! what keeps it from costing as much as the append itself. A request alone goes out at once.

use super::order_numbers;
use brigade_eventstore::batcher::{Batcher, Pending};
use chrono::NaiveDate;
use futures_util::FutureExt;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Tasks with a check in flight: two, so that one batch is being gathered while the other's
/// statement runs (more would only queue on the counter's row).
const TASKS: usize = 2;

/// The most requests in one statement.
const MAX_BATCH: usize = 64;

/// What one command asks.
pub(crate) struct Check {
    pub tenant: Uuid,
    /// The streams whose latest versions it needs.
    pub streams: Vec<String>,
    /// The day to take the next order number of, if any.
    pub day: Option<NaiveDate>,
}

/// What it gets.
pub(crate) struct Checked {
    /// Each stream's latest version (a stream with no events is absent).
    pub latest: HashMap<String, i64>,
    /// The number taken on `Check::day`.
    pub number: Option<u32>,
}

type Answer = Result<Checked, sqlx::Error>;

/// The batched check of one server.
pub(crate) struct Checks {
    batcher: Batcher<Check, Answer>,
}

impl Checks {
    pub(crate) fn new(pool: PgPool) -> Self {
        let batcher = Batcher::new(TASKS, MAX_BATCH, move |batch| run(pool.clone(), batch).boxed());
        Self { batcher }
    }

    /// Checks `check` with the next batch.
    pub(crate) async fn check(&self, check: Check) -> Answer {
        match self.batcher.call(check).await {
            Some(answer) => answer,
            None => Err(sqlx::Error::WorkerCrashed),
        }
    }
}

/// Every stream of every request gets a row (request, stream, latest version); every counter
/// moved gets a row (organization, day, last number). The counters' rows are locked in the order
/// of the arrays, which `order_numbers::tally` sorts.
const SQL: &str = "WITH counted AS ( \
        INSERT INTO api.order_numbers (tenant_id, day, last) \
        SELECT n.tenant_id, n.day, n.taken \
          FROM unnest($4::uuid[], $5::date[], $6::int[]) AS n(tenant_id, day, taken), \
               (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit \
        ON CONFLICT (tenant_id, day) DO UPDATE SET last = api.order_numbers.last + excluded.last \
        RETURNING tenant_id, day, last) \
     SELECT w.request, w.stream_id, \
            (SELECT max(e.version) FROM events e WHERE e.tenant_id = w.tenant_id AND e.stream_id = w.stream_id), \
            NULL::uuid, NULL::date, NULL::int \
       FROM unnest($1::int[], $2::uuid[], $3::text[]) AS w(request, tenant_id, stream_id) \
     UNION ALL \
     SELECT NULL, NULL, NULL, c.tenant_id, c.day, c.last FROM counted c";

type Row = (
    Option<i32>,
    Option<String>,
    Option<i64>,
    Option<Uuid>,
    Option<NaiveDate>,
    Option<i32>,
);

async fn run(pool: PgPool, batch: Vec<Pending<Check, Answer>>) {
    let requests: Vec<&Check> = batch.iter().map(|p| &p.request).collect();
    match check_all(&pool, &requests).await {
        Ok(answers) => {
            for (p, answer) in batch.into_iter().zip(answers) {
                p.answer(Ok(answer));
            }
        }
        // Each on its own, so that each gets the error its own statement meets.
        Err(_) if batch.len() > 1 => {
            for p in batch {
                let answer = check_all(&pool, &[&p.request])
                    .await
                    .and_then(|answers| answers.into_iter().next().ok_or(sqlx::Error::RowNotFound));
                p.answer(answer);
            }
        }
        Err(error) => {
            if let Some(p) = batch.into_iter().next() {
                p.answer(Err(error));
            }
        }
    }
}

/// One statement for `requests`; an answer for each, in order.
async fn check_all(pool: &PgPool, requests: &[&Check]) -> Result<Vec<Checked>, sqlx::Error> {
    let (mut index, mut tenants, mut streams) = (Vec::new(), Vec::new(), Vec::new());
    for (i, r) in requests.iter().enumerate() {
        for stream in &r.streams {
            index.push(i32::try_from(i).unwrap_or(i32::MAX));
            tenants.push(r.tenant);
            streams.push(stream.as_str());
        }
    }
    let wanted: Vec<(Uuid, Option<NaiveDate>)> = requests.iter().map(|r| (r.tenant, r.day)).collect();
    let counts = order_numbers::tally(&wanted);
    let (mut count_tenants, mut count_days, mut count_taken) = (Vec::new(), Vec::new(), Vec::new());
    for ((tenant, day), n) in &counts {
        count_tenants.push(*tenant);
        count_days.push(*day);
        count_taken.push(*n);
    }
    let rows: Vec<Row> = sqlx::query_as(SQL)
        .bind(index)
        .bind(tenants)
        .bind(streams)
        .bind(count_tenants)
        .bind(count_days)
        .bind(count_taken)
        .fetch_all(pool)
        .await?;
    let mut answers: Vec<Checked> = requests
        .iter()
        .map(|_| Checked {
            latest: HashMap::new(),
            number: None,
        })
        .collect();
    let mut counted = BTreeMap::new();
    for row in rows {
        match row {
            (Some(i), Some(stream), version, ..) => {
                if let (Some(answer), Some(version)) =
                    (usize::try_from(i).ok().and_then(|i| answers.get_mut(i)), version)
                {
                    answer.latest.insert(stream, version);
                }
            }
            (.., Some(tenant), Some(day), Some(last)) => {
                counted.insert((tenant, day), last);
            }
            _ => {}
        }
    }
    for (answer, number) in answers.iter_mut().zip(order_numbers::deal(&wanted, &counts, &counted)) {
        answer.number = number;
    }
    Ok(answers)
}
