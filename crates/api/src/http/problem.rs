//! Errors as RFC 9457 problem details (`application/problem+json`): what every error response of
//! the API is, so a client handles one shape.
//!
//! Every problem is of one [`Kind`], and a kind has exactly one `type` URI, one status and one
//! title: a client can branch on `type` and show `title` without meeting two spellings of the
//! same mistake. What layers and extractors answer in plain text is turned into the kind of its
//! status by [`as_problem`], in one place.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What went wrong, as a client can act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A malformed request: not JSON, an id in the path that is not a UUID, a bad query parameter.
    BadRequest,
    /// No valid access token.
    Unauthorized,
    /// The caller's roles (or a rule of the domain about who may) do not allow it.
    Forbidden,
    /// The account is pending or deactivated.
    AccountNotActive,
    /// The current password given to change it is wrong.
    WrongPassword,
    /// Nothing of that id in the caller's organization, or no such route.
    NotFound,
    /// The route exists, not with this method.
    MethodNotAllowed,
    /// Others kept changing the same stream.
    Conflict,
    /// A rule of the resource's current state refuses it.
    Refused,
    /// The username is someone else's.
    UsernameTaken,
    /// The body is over the server's limit.
    TooLarge,
    /// The body is not JSON.
    UnsupportedMediaType,
    /// Input no state could accept; `errors` names each field.
    Validation,
    /// A payment command without an `Idempotency-Key`.
    IdempotencyKeyRequired,
    /// Over the caller's rate limit.
    RateLimited,
    /// The server failed.
    Internal,
    /// A dependency is down, or a read model is not there yet.
    Unavailable,
}

impl Kind {
    /// Every kind (the documentation and the tests walk them).
    pub const ALL: [Kind; 17] = [
        Kind::BadRequest,
        Kind::Unauthorized,
        Kind::Forbidden,
        Kind::AccountNotActive,
        Kind::WrongPassword,
        Kind::NotFound,
        Kind::MethodNotAllowed,
        Kind::Conflict,
        Kind::Refused,
        Kind::UsernameTaken,
        Kind::TooLarge,
        Kind::UnsupportedMediaType,
        Kind::Validation,
        Kind::IdempotencyKeyRequired,
        Kind::RateLimited,
        Kind::Internal,
        Kind::Unavailable,
    ];

    /// Its status, slug (`/problems/<slug>`) and title.
    fn parts(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Kind::BadRequest => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            Kind::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Kind::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Kind::AccountNotActive => (StatusCode::FORBIDDEN, "account-not-active", "Account not active"),
            Kind::WrongPassword => (StatusCode::FORBIDDEN, "wrong-password", "Wrong password"),
            Kind::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Kind::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Kind::Conflict => (StatusCode::CONFLICT, "conflict", "Concurrent changes"),
            Kind::Refused => (StatusCode::CONFLICT, "refused", "Refused by a rule of the domain"),
            Kind::UsernameTaken => (StatusCode::CONFLICT, "username-taken", "Username taken"),
            Kind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Request body too large"),
            Kind::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Kind::Validation => (StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid request"),
            Kind::IdempotencyKeyRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "idempotency-key-required",
                "Idempotency-Key required",
            ),
            Kind::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests"),
            Kind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
            Kind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        self.parts().0
    }

    /// The `type` URI.
    pub fn uri(self) -> String {
        format!("/problems/{}", self.parts().1)
    }

    /// The title.
    pub fn title(self) -> &'static str {
        self.parts().2
    }

    /// The kind a bare status from a layer or an extractor is answered as: the first kind of
    /// that status (so a 400 from axum reads exactly as a 400 of ours).
    pub fn of_status(status: StatusCode) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.status() == status)
    }
}

/// A problem detail. `kind` is a URI reference naming the problem (`/problems/not-found`); the
/// same kind always comes with the same status and title.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"type": "/problems/validation", "title": "Invalid request", "status": 422,
    "detail": "lines[0].menu_item_id: missing", "errors": {"lines[0].menu_item_id": ["missing"]}}))]
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
    /// Per field of the request, in the client's terms (`lines[0].quantity`, `after`,
    /// `Idempotency-Key`), what is wrong with it. Every 422 has it.
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
    /// A problem of `kind`.
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        Self {
            kind: kind.uri(),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            errors: BTreeMap::new(),
            extensions: BTreeMap::new(),
            retry_after: None,
        }
    }

    /// 404: no such resource (or another organization's).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, detail)
    }

    /// 422: `field` of the request (in the client's terms) holds what no state could accept.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid_fields(BTreeMap::from([(field.into(), vec![message.into()])]))
    }

    /// 422 naming several fields. The detail repeats them for a person.
    pub fn invalid_fields(errors: BTreeMap<String, Vec<String>>) -> Self {
        let detail = errors
            .iter()
            .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field}: {m}")))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors,
            ..Self::new(Kind::Validation, detail)
        }
    }

    /// 400: a malformed request.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(Kind::BadRequest, detail)
    }

    /// 503: a dependency is down, or a read model is not there yet.
    pub fn unavailable(detail: impl Into<String>, retry_after: u64) -> Self {
        let mut p = Self::new(Kind::Unavailable, detail);
        p.retry_after = Some(retry_after);
        p
    }

    /// 500, for what the server got wrong (never for what a client sent). The detail is
    /// generic; the cause goes to the log with the request id.
    pub fn internal() -> Self {
        Self::new(
            Kind::Internal,
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
/// that answer in plain text (a body over the limit, a path that does not parse).
pub async fn everywhere(request: Request, next: Next) -> Response {
    as_problem(next.run(request).await).await
}

/// `response` as problem+json if it is an error in another shape: the status stays, the text
/// becomes the detail, and the kind is the one our own code answers that status with. Used by
/// [`everywhere`] and by the idempotency layer before it keeps an answer to replay.
pub async fn as_problem(response: Response) -> Response {
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
    let text = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let mut problem = match Kind::of_status(status) {
        Some(kind) => Problem::new(kind, text),
        None => {
            let title = status.canonical_reason().unwrap_or("Error");
            Problem {
                kind: format!("/problems/{}", title.to_lowercase().replace(' ', "-")),
                title: title.to_owned(),
                status: status.as_u16(),
                ..Problem::new(Kind::BadRequest, text)
            }
        }
    };
    if problem.detail.is_empty() {
        problem.detail = problem.title.clone();
    }
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
        // A 401 says how to authenticate (RFC 9110 15.5.2): with a bearer token.
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

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

    /// One type, one title: no two kinds share a URI, and a status a layer answers with reads as
    /// the kind our own code uses for it.
    #[test]
    fn every_kind_has_its_own_uri_and_one_title() {
        let uris: BTreeSet<String> = Kind::ALL.iter().map(|k| k.uri()).collect();
        assert_eq!(uris.len(), Kind::ALL.len());
        assert_eq!(Kind::of_status(StatusCode::BAD_REQUEST), Some(Kind::BadRequest));
        assert_eq!(
            Kind::of_status(StatusCode::UNPROCESSABLE_ENTITY),
            Some(Kind::Validation)
        );
        assert_eq!(Kind::of_status(StatusCode::CONFLICT), Some(Kind::Conflict));
        for kind in Kind::ALL {
            let first = Kind::of_status(kind.status()).map(Kind::title);
            assert!(first.is_some(), "{kind:?}");
        }
    }

    #[test]
    fn a_validation_problem_names_each_field_in_errors_and_in_its_detail() {
        let json =
            serde_json::to_value(Problem::invalid("lines[0].quantity", "must be between 1 and 99")).unwrap_or_default();
        assert_eq!(json["type"], "/problems/validation");
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"]["lines[0].quantity"][0], "must be between 1 and 99");
        assert_eq!(json["detail"], "lines[0].quantity: must be between 1 and 99");
    }

    #[tokio::test]
    async fn plain_text_errors_become_the_problem_of_their_status() {
        let plain = (StatusCode::BAD_REQUEST, "Invalid URL: not a UUID").into_response();
        let converted = as_problem(plain).await;
        assert_eq!(converted.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = axum::body::to_bytes(converted.into_body(), 4096)
            .await
            .unwrap_or_default();
        let json: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(json["type"], "/problems/bad-request");
        assert_eq!(
            json["title"],
            Problem::bad_request("x").title,
            "the same title as our own 400s"
        );
        assert_eq!(json["detail"], "Invalid URL: not a UUID");
    }
}
