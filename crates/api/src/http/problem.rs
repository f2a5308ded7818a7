//! Errors as RFC 9457 problem details (`application/problem+json`): what every error response of
//! the API is, so a client handles one shape.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem detail. `kind` is a URI reference naming the problem (`/problems/not-found`); the
/// same kind always comes with the same status and title.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"type": "/problems/not-found", "title": "Not found", "status": 404, "detail": "no order 0193..."}))]
pub struct Problem {
    /// Names the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time, for a person.
    pub detail: String,
    /// Per field, what is wrong with it (validation problems).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, Vec<String>>,
    /// Further members (RFC 9457 extension members), e.g. a readiness check's results.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: BTreeMap<String, Value>,
    /// Seconds to wait before trying again (sent as `Retry-After` too).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of `status`, named `slug` (`/problems/<slug>`).
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: BTreeMap::new(),
            extensions: BTreeMap::new(),
            retry_after: None,
        }
    }

    /// 404: no such resource (or another organization's).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 422: input no state could accept.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid request",
            detail,
        )
    }

    /// 400: a malformed query parameter.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request", detail)
    }

    /// 405: the path exists, not with this method.
    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            detail,
        )
    }

    /// 503: a dependency is down, or a read model is not there yet.
    pub fn unavailable(detail: impl Into<String>, retry_after: u64) -> Self {
        let mut p = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        );
        p.retry_after = Some(retry_after);
        p
    }

    /// 500, for what the server got wrong (never for what a client sent). The detail is
    /// generic; the cause goes to the log with the request id.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed; the request id in X-Request-Id finds it in the log",
        )
    }

    /// Adds an extension member.
    pub fn with(mut self, name: &str, value: Value) -> Self {
        self.extensions.insert(name.to_owned(), value);
        self
    }
}

/// Makes every error response problem+json, including those written by layers and extractors
/// that answer in plain text (a body over the limit, a rejected JSON body): the status stays,
/// their text becomes the detail.
pub async fn everywhere(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let title = status.canonical_reason().unwrap_or("Error");
    let text = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let slug = title.to_lowercase().replace(' ', "-");
    let mut problem = Problem::new(
        status,
        &slug,
        title,
        if text.is_empty() { title.to_owned() } else { text },
    );
    problem.retry_after = retry_after;
    problem.into_response()
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_rfc_9457_json_with_its_status_and_media_type() {
        let response = Problem::unavailable("NATS is down", 2).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let json = serde_json::to_value(Problem::not_found("no order 7").with("id", "7".into())).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"type": "/problems/not-found", "title": "Not found", "status": 404,
                               "detail": "no order 7", "id": "7"})
        );
    }
}
