//! What query routes share: `after=` and paging parameters, pages, command answers, and reading
//! an aggregate straight from its stream.
//!
//! Suppliers, purchase orders and transfers have no read model of their own: a back office asks
//! for one (or a page of a few dozen) at a time, and the stream is the freshest answer there is.
//! Their lists walk the category's streams through the events table's `(tenant, stream, version)`
//! key (first events only), so a page costs one index range plus one small stream read per row.

use crate::auth::extract::Caller;
use crate::commands::Written;
use crate::error::ApiError;
use crate::http::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::http::StatusCode;
use brigade_domain::pnl::Grouping;
use brigade_domain::valuation::Method;
use brigade_domain::{Aggregate, stream_id};
use brigade_projections::reports;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use brigade_projections::reports::page::{Page, PageRequest};

/// What a handler of a creating command answers: 201 with what it wrote.
pub type Created = Result<(StatusCode, Json<Written>), ApiError>;

/// What a handler of any other command answers: 200 with what it wrote.
pub type Done = Result<Json<Written>, ApiError>;

/// 201 with what a creating command wrote.
pub fn created(result: Result<Written, ApiError>) -> Created {
    result.map(|written| (StatusCode::CREATED, Json(written)))
}

/// 200 with what a command wrote.
pub fn done(result: Result<Written, ApiError>) -> Done {
    result.map(Json)
}

/// Read-your-writes and paging.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Answer only once the read model has applied this global position (at most 2 s).
    #[serde(default, deserialize_with = "crate::views::position")]
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Items per page: 1 to 500 (default 50); outside that range the request is refused (400).
    #[serde(default, deserialize_with = "page_size")]
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

impl ListQuery {
    /// The page size asked for (checked to be within 1..=500 when the query was read).
    pub fn limit(&self) -> i64 {
        i64::from(self.limit.unwrap_or(50).clamp(1, MAX_PAGE))
    }
}

/// The most items a page holds.
const MAX_PAGE: u32 = 500;

/// `limit=`: a page size the server gives as asked, never silently clamped.
fn page_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let limit = Option::<u32>::deserialize(d)?;
    match limit {
        Some(n) if !(1..=MAX_PAGE).contains(&n) => Err(serde::de::Error::custom(format!(
            "limit must be from 1 to {MAX_PAGE}, not {n}"
        ))),
        _ => Ok(limit),
    }
}

/// `after=`: a global position, 0 or more (0: nothing to wait for).
pub fn position<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let after = Option::<i64>::deserialize(d)?;
    match after {
        Some(p) if p < 0 => Err(serde::de::Error::custom(format!(
            "after must be a position (0 or more), not {p}"
        ))),
        _ => Ok(after),
    }
}

/// Read-your-writes alone: `after=`, for a query that is not a list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterQuery {
    /// Answer only once the read model has applied this global position (at most 2 s).
    #[serde(default, deserialize_with = "crate::views::position")]
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

/// An aggregate as its stream has it now, with its id and the version a client sends back as
/// `expected_version` to change it without overwriting someone else's change.
#[derive(Serialize, ToSchema)]
pub struct Versioned<T> {
    /// Its id.
    pub id: Uuid,
    /// How many events its stream holds.
    pub version: u64,
    /// Its state.
    #[serde(flatten)]
    pub state: T,
}

impl ListQuery {
    /// The page this query asks for.
    pub fn page(&self) -> PageRequest {
        PageRequest {
            cursor: self.cursor,
            limit: self.limit(),
        }
    }
}

/// The aggregate `id` of the caller's organization, folded from its stream, with its version;
/// 404 when the organization has no such stream.
pub async fn load_existing<A: Aggregate>(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    what: &str,
) -> Result<(A, u64), ApiError> {
    let loaded = state
        .store
        .tenant(caller.0.org)
        .load::<A>(&stream_id::<A>(id))
        .await
        .map_err(ApiError::internal)?;
    if loaded.version == 0 {
        return Err(Problem::not_found(format!("no {what} {id}")).into());
    }
    Ok((loaded.state, loaded.version))
}

/// The aggregate `id` of the caller's organization, folded from its stream, with its `id` and
/// `version`; 404 when the organization has no such stream.
pub async fn from_stream<A>(state: &AppState, caller: &Caller, id: Uuid, what: &str) -> Result<Versioned<A>, ApiError>
where
    A: Aggregate + Serialize,
{
    let (aggregate, version) = load_existing::<A>(state, caller, id, what).await?;
    Ok(Versioned {
        id,
        version,
        state: aggregate,
    })
}

/// A page of the caller's organization's aggregates of category `A`, by id, folded from their
/// streams.
pub async fn page_of_streams<A>(
    state: &AppState,
    caller: &Caller,
    query: &ListQuery,
    what: &str,
) -> Result<Json<Page<Versioned<A>>>, ApiError>
where
    A: Aggregate + Serialize,
{
    let prefix = format!("{}-", A::CATEGORY);
    let after = query.cursor.map(stream_id::<A>);
    let page = query.page();
    let ids = (state.store.tenant(caller.0.org))
        .streams_of_category(A::CATEGORY, after.as_deref(), page.fetch())
        .await?;
    let mut rows = Vec::with_capacity(ids.len());
    for stream in ids {
        let Some(id) = stream.strip_prefix(&prefix).and_then(|s| Uuid::parse_str(s).ok()) else {
            continue;
        };
        rows.push((id, from_stream::<A>(state, caller, id, what).await?));
    }
    Ok(Json(Page::of(rows, query.page())))
}

/// A read model's answer as the response body (a failed query is a 500).
pub fn read<T>(result: Result<T, sqlx::Error>) -> Result<Json<T>, ApiError> {
    result.map(Json).map_err(ApiError::internal)
}

/// A read model's one row as the response body, or a 404 saying `missing()` when the caller's
/// organization has no such row.
pub fn found<T>(result: Result<Option<T>, sqlx::Error>, missing: impl FnOnce() -> String) -> Result<Json<T>, ApiError> {
    match result.map_err(ApiError::internal)? {
        Some(row) => Ok(Json(row)),
        None => Err(Problem::not_found(missing()).into()),
    }
}

/// A period.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First day (organization's timezone).
    #[param(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// The day after the last.
    #[param(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Cost method: `fifo` (default) or `weighted_average`.
    pub method: Option<Method>,
    /// P&L only: `day`, `week` or `month` (default `day`).
    pub group_by: Option<Grouping>,
    /// Answer only once the read models have applied this global position (at most 2 s).
    #[serde(default, deserialize_with = "crate::views::position")]
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

impl PeriodQuery {
    /// Refuses a period that ends before it starts, or that is longer than ten years.
    pub fn checked(&self) -> Result<(), ApiError> {
        if self.to <= self.from {
            return Err(Problem::bad_request(format!("to ({}) must be after from ({})", self.to, self.from)).into());
        }
        if (self.to - self.from).num_days() > 3660 {
            return Err(Problem::bad_request("a period is at most ten years").into());
        }
        Ok(())
    }
}

/// The period's first and last instants in the organization's timezone, once checked.
pub async fn instants(
    state: &AppState,
    caller: &Caller,
    q: &PeriodQuery,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    q.checked()?;
    let tz = reports::timezone(state.store.pool(), caller.0.org.0)
        .await
        .map_err(ApiError::internal)?;
    Ok((reports::start_of(q.from, tz), reports::start_of(q.to, tz)))
}
