//! The authenticated caller of a request: a valid access token in `Authorization: Bearer`, or a
//! 401 problem saying what is wrong with it.

use super::tokens::Claims;
use crate::http::problem::Problem;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Who is calling, as their access token says.
#[derive(Clone, Debug)]
pub struct Caller(pub Claims);

/// A request without a valid access token.
#[derive(Debug)]
pub struct Unauthorized(pub &'static str);

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        Problem::new(crate::http::problem::Kind::Unauthorized, self.0).into_response()
    }
}

impl Caller {
    /// The caller the access layer already checked, or the one the `Authorization` header names.
    pub fn from_parts(parts: &Parts, state: &AppState) -> Result<Caller, Unauthorized> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let header = parts.headers.get(header::AUTHORIZATION).ok_or(Unauthorized(
            "no Authorization header: send `Authorization: Bearer <access token>`",
        ))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Unauthorized("the Authorization header is not `Bearer <access token>`"))?;
        state
            .keys
            .verify(token.trim())
            .map(Caller)
            .map_err(|_| Unauthorized("the access token is invalid or expired: log in or refresh"))
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Unauthorized;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        Caller::from_parts(parts, state)
    }
}
