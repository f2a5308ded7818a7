//! The one error type of the API: what every handler and helper returns through `Result` and
//! `?`. It is either a problem the client can act on (a refusal, a missing resource, bad input),
//! answered as that problem, or a failure of ours, answered with a generic 500 whose cause stays
//! on the server: [`ApiError::into_response`] puts the cause in the response's extensions and the
//! [`log_failures`] layer logs it once, with the request's span, whoever produced it.

use crate::http::problem::Problem;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Display;

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// The client's to act on: answered as this problem (boxed: a `Result` of a handler stays
    /// two words wide on its happy path).
    Problem(Box<Problem>),
    /// Ours: answered as a generic 500; the cause is logged, never shown.
    Internal(String),
}

impl ApiError {
    /// A failure of ours, for the log.
    pub fn internal(cause: impl Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

impl ApiError {
    /// 401: no valid credentials or token (`detail` says which).
    pub fn unauthorized(detail: &'static str) -> Self {
        crate::auth::extract::Unauthorized(detail).into()
    }

    /// 403: the account may not log in (pending approval, deactivated).
    pub fn not_active(detail: &'static str) -> Self {
        Problem::new(crate::http::problem::Kind::AccountNotActive, detail).into()
    }
}

impl From<crate::auth::extract::Unauthorized> for ApiError {
    fn from(refused: crate::auth::extract::Unauthorized) -> Self {
        Problem::new(crate::http::problem::Kind::Unauthorized, refused.0).into()
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> Self {
        ApiError::Problem(Box::new(problem))
    }
}

impl From<Box<Problem>> for ApiError {
    fn from(problem: Box<Problem>) -> Self {
        ApiError::Problem(problem)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::internal(error)
    }
}

impl From<brigade_eventstore::StoreError> for ApiError {
    fn from(error: brigade_eventstore::StoreError) -> Self {
        ApiError::internal(error)
    }
}

/// The cause of a 500, carried from the handler to [`log_failures`].
#[derive(Clone, Debug)]
pub struct FailureCause(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Problem(problem) => problem.into_response(),
            ApiError::Internal(cause) => {
                let mut response = Problem::internal().into_response();
                response.extensions_mut().insert(FailureCause(cause));
                response
            }
        }
    }
}

/// The layer that logs every server error (5xx) with its cause, in one place: handlers and
/// helpers only return [`ApiError`]; none logs on its own.
///
/// It runs inside the request's tracing span, which already names the method, path and request
/// id, so it copies nothing from the request on the way in.
pub async fn log_failures(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status().is_server_error() {
        let cause = response.extensions().get::<FailureCause>().map(|c| c.0.as_str());
        tracing::error!(
            status = response.status().as_u16(),
            cause = cause.unwrap_or("(none given)"),
            "request failed"
        );
    }
    response
}
