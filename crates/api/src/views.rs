//! What query routes share: `after=` and paging parameters, pages, command answers, and reading
//! an aggregate straight from its stream.
//!
//! Suppliers, purchase orders and transfers have no read model of their own: a back office asks
//! for one (or a page of a few dozen) at a time, and the stream is the freshest answer there is.
//! Their lists walk the category's streams through the events table's `(tenant, stream, version)`
//! key (first events only), so a page costs one index range plus one small stream read per row.

use crate::auth::extract::Caller;
use crate::commands::{Written, internal};
use crate::http::AppState;
use crate::http::problem::Problem;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use brigade_domain::{Aggregate, stream_id};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// 201 with what a creating command wrote.
pub fn created(result: Result<Written, Response>) -> Response {
    match result {
        Ok(written) => (StatusCode::CREATED, Json(written)).into_response(),
        Err(refused) => refused,
    }
}

/// 200 with what a command wrote.
pub fn done(result: Result<Written, Response>) -> Response {
    match result {
        Ok(written) => Json(written).into_response(),
        Err(refused) => refused,
    }
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

/// Read-your-writes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterQuery {
    /// Answer only once the read model has applied this global position (at most 2 s).
    #[serde(default, deserialize_with = "crate::views::position")]
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

/// A page of a list.
#[derive(Serialize, ToSchema)]
pub struct Page {
    /// Items, by id.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<Uuid>,
}

impl Page {
    /// A page from up to `limit + 1` rows fetched in id order (the extra one says there is more).
    pub fn of(mut rows: Vec<(Uuid, Value)>, limit: i64) -> Page {
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(usize::try_from(limit).unwrap_or_default());
            rows.last().map(|(id, _)| *id)
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(|(id, doc)| with_id(id, doc)).collect(),
            next_cursor,
        }
    }
}

/// `doc` with its `id` (a read model's document stores it in the key, not the document).
pub fn with_id(id: Uuid, mut doc: Value) -> Value {
    if let Some(fields) = doc.as_object_mut() {
        fields.insert("id".into(), Value::String(id.to_string()));
    }
    doc
}

/// The aggregate `id` of the caller's organization, folded from its stream, with its version;
/// 404 when the organization has no such stream.
pub async fn load_existing<A: Aggregate>(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    what: &str,
) -> Result<(A, u64), Response> {
    let loaded = state
        .store
        .tenant(caller.0.org)
        .load::<A>(&stream_id::<A>(id))
        .await
        .map_err(internal)?;
    if loaded.version == 0 {
        return Err(Problem::not_found(format!("no {what} {id}")).into_response());
    }
    Ok((loaded.state, loaded.version))
}

/// `state` as a JSON document with its `id` and `version`.
pub fn document<A: Serialize>(id: Uuid, version: u64, state: &A) -> Result<Value, Response> {
    let mut doc = with_id(id, serde_json::to_value(state).map_err(internal)?);
    if let Some(fields) = doc.as_object_mut() {
        fields.insert("version".into(), Value::from(version));
    }
    Ok(doc)
}

/// The aggregate `id` of the caller's organization, folded from its stream, as a JSON document
/// with `id` and `version`; 404 when the organization has no such stream.
pub async fn from_stream<A>(state: &AppState, caller: &Caller, id: Uuid, what: &str) -> Result<Value, Response>
where
    A: Aggregate + Serialize,
{
    let (aggregate, version) = load_existing::<A>(state, caller, id, what).await?;
    document(id, version, &aggregate)
}

/// A page of the caller's organization's aggregates of category `A`, by id, folded from their
/// streams.
pub async fn page_of_streams<A>(state: &AppState, caller: &Caller, query: &ListQuery, what: &str) -> Response
where
    A: Aggregate + Serialize,
{
    let limit = query.limit();
    let prefix = format!("{}-", A::CATEGORY);
    let from = match query.cursor {
        Some(cursor) => stream_id::<A>(cursor),
        None => prefix.clone(),
    };
    // Stream ids are `<category>-<uuid>`: the category's streams are the range after the prefix
    // and before the next character ('.' follows '-').
    let ids: Result<Vec<String>, _> = sqlx::query_scalar(
        "SELECT stream_id FROM events WHERE tenant_id = $1 AND stream_id > $2 AND stream_id < $3 AND version = 1 \
         ORDER BY stream_id LIMIT $4",
    )
    .bind(caller.0.org.0)
    .bind(&from)
    .bind(format!("{}.", A::CATEGORY))
    .bind(limit + 1)
    .fetch_all(state.store.pool())
    .await;
    let ids = match ids {
        Ok(ids) => ids,
        Err(e) => return internal(e),
    };
    let mut rows = Vec::with_capacity(ids.len());
    for stream in ids {
        let Some(id) = stream.strip_prefix(&prefix).and_then(|s| Uuid::parse_str(s).ok()) else {
            continue;
        };
        match from_stream::<A>(state, caller, id, what).await {
            Ok(doc) => rows.push((id, doc)),
            Err(failed) => return failed,
        }
    }
    Json(Page::of(rows, limit)).into_response()
}

/// The name serde gives an enum value (`in_kitchen`), for filters on such fields.
pub fn name_of<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// A page of a read model's rows: waits for `after=` on `read_models`, then runs `sql`, which
/// selects `(id, document)` with `$1` the organization, `$2` the cursor (ids after it), `$3` the
/// number of rows and `$4` an optional text filter, in id order.
pub async fn page_of_rows(
    state: &AppState,
    caller: &Caller,
    query: &ListQuery,
    read_models: &[&str],
    sql: &str,
    filter: Option<&str>,
) -> Response {
    if let Err(not_yet) = state.wait_after(query.after, read_models).await {
        return not_yet;
    }
    let limit = query.limit();
    let rows: Result<Vec<(Uuid, Value)>, _> = sqlx::query_as(sql)
        .bind(caller.0.org.0)
        .bind(query.cursor)
        .bind(limit + 1)
        .bind(filter)
        .fetch_all(state.store.pool())
        .await;
    match rows {
        Ok(rows) => Json(Page::of(rows, limit)).into_response(),
        Err(e) => internal(e),
    }
}
