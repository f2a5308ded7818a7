//! The request id: taken from `X-Request-Id` when the client sends one, otherwise a new UUIDv7;
//! returned on every response, attached to every log line of the request (and, with the command
//! routes, stored in the metadata of every event the request appends).

use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The header.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Makes a UUIDv7 for a request that came without an id.
#[derive(Clone, Copy, Debug, Default)]
pub struct MakeUuidV7;

impl MakeRequestId for MakeUuidV7 {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        uuid::Uuid::now_v7().to_string().parse().ok().map(RequestId::new)
    }
}
