//! `Idempotency-Key` on command requests (`POST`, `PUT`, `DELETE` by a logged-in caller): the
//! first request with a key runs and its response is kept; a repeat with the same method, path
//! and body gets that response again (with `Idempotent-Replayed: true`) and runs nothing; the same
//! key with another request is 422. Keys belong to the caller (organization and user).
//!
//! Two identical requests racing both run, and the event store keeps them one command: the
//! command id is derived from the key (see `commands.rs`), so the second append is answered with
//! the first's outcome.

use crate::auth::extract::Caller;
use crate::http::problem::{Kind, Problem};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The key of a request, if it has a usable one.
pub fn key_of(request_headers: &axum::http::HeaderMap) -> Option<String> {
    request_headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .map(str::to_owned)
}

/// The first request under a key: its hash, and its response once there is one.
type FirstRequest = (Vec<u8>, Option<i32>, Option<Vec<u8>>);

/// The layer.
pub async fn idempotent(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let is_command = matches!(*request.method(), Method::POST | Method::PUT | Method::DELETE);
    let caller = request.extensions().get::<Caller>().cloned();
    let (Some(caller), Some(key), true) = (caller, key_of(request.headers()), is_command) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.config.body_limit).await else {
        return Problem::new(Kind::TooLarge, "the body is over the server's limit").into_response();
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let hash = hasher.finalize().to_vec();
    let pool = state.store.pool();
    let (org, user) = (caller.0.org.0, caller.0.sub.0);
    let claimed = sqlx::query(
        "INSERT INTO api.idempotency (tenant_id, user_id, key, request_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(org)
    .bind(user)
    .bind(&key)
    .bind(&hash)
    .execute(pool)
    .await;
    match claimed {
        Ok(done) if done.rows_affected() == 0 => {
            let first: Result<FirstRequest, _> = sqlx::query_as(
                "SELECT request_hash, status, body FROM api.idempotency WHERE tenant_id = $1 AND user_id = $2 AND key = $3",
            )
            .bind(org)
            .bind(user)
            .bind(&key)
            .fetch_one(pool)
            .await;
            match first {
                Ok((first_hash, _, _)) if first_hash != hash => {
                    return Problem::invalid(
                        "Idempotency-Key",
                        "used for another request; use a new key for a new request",
                    )
                    .into_response();
                }
                Ok((_, Some(status), Some(body))) => return replay(status, body),
                // The first is still running: run too (the store keeps them one command).
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency lookup failed; running the request"),
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "idempotency claim failed; running the request"),
    }
    // Kept as the client will see it: an answer written in plain text before the handler ran (a
    // path that does not parse) is replayed as the same problem+json.
    let response =
        crate::http::problem::as_problem(next.run(Request::from_parts(parts, Body::from(bytes))).await).await;
    let status = response.status();
    if status.is_server_error() {
        // Not an answer to keep: the client may try again with the same key.
        let _ = sqlx::query(
            "DELETE FROM api.idempotency WHERE tenant_id = $1 AND user_id = $2 AND key = $3 AND status IS NULL",
        )
        .bind(org)
        .bind(user)
        .bind(&key)
        .execute(pool)
        .await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, 1024 * 1024).await.unwrap_or_default();
    let _ = sqlx::query(
        "UPDATE api.idempotency SET status = $4, body = $5 WHERE tenant_id = $1 AND user_id = $2 AND key = $3 AND status IS NULL",
    )
    .bind(org)
    .bind(user)
    .bind(&key)
    .bind(i32::from(status.as_u16()))
    .bind(bytes.to_vec())
    .execute(pool)
    .await;
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(status: i32, body: Vec<u8>) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        crate::http::problem::PROBLEM_JSON
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
