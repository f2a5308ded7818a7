//! The error responses many routes share, for their OpenAPI documentation: each set is one type
//! implementing `utoipa::IntoResponses`, listed in a route's `responses(...)` beside its own.
//! Every one is problem+json (RFC 9457) with the `Problem` schema.

use std::collections::BTreeMap;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

fn problems(list: &[(u16, &str)]) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            let response = ResponseBuilder::new()
                .description(*description)
                .content(super::problem::PROBLEM_JSON, content)
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
}

/// A JSON body that is malformed (400), not JSON (415), or has missing, unknown or invalid
/// fields (422).
pub struct JsonBodyErrors;

impl utoipa::IntoResponses for JsonBodyErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        problems(&[
            (400, "Malformed JSON"),
            (415, "Not JSON (send Content-Type: application/json)"),
            (422, "Missing, unknown or invalid fields"),
        ])
    }
}

/// A logged-in caller's route: no valid access token (401), not one of the route's roles (403),
/// over the rate limit (429, with Retry-After).
pub struct CallerErrors;

impl utoipa::IntoResponses for CallerErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        problems(&[
            (401, "No valid access token"),
            (403, "The caller's roles do not allow it"),
            (429, "Over the caller's rate limit (see Retry-After)"),
        ])
    }
}

/// The platform operator's route: no token (401), a token that is not the operator's (403).
pub struct OperatorErrors;

impl utoipa::IntoResponses for OperatorErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        problems(&[
            (401, "No operator token"),
            (403, "Not the operator token (an organization's users have no access)"),
        ])
    }
}

/// A query with `after=`: no event has that position (422), or the read model has not applied
/// it within 2 s (503, with Retry-After).
pub struct AfterErrors;

impl utoipa::IntoResponses for AfterErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        problems(&[
            (422, "after= names no event"),
            (503, "The read model has not applied `after` yet (see Retry-After)"),
        ])
    }
}

/// A command the domain may refuse: nothing of that id in the caller's organization (404), a
/// rule of its current state or a concurrent change (409), or input it cannot accept (422).
pub struct CommandErrors;

impl utoipa::IntoResponses for CommandErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        problems(&[
            (404, "No such resource in the caller's organization"),
            (409, "Refused by a rule of its current state, or changed concurrently"),
            (422, "Invalid input, or an Idempotency-Key reused for another request"),
        ])
    }
}

/// A read of one resource or a report: a malformed id or query parameter (400), nothing of that
/// id in the caller's organization (404).
pub struct ReadErrors;

impl utoipa::IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        problems(&[
            (400, "Malformed id or query parameter"),
            (404, "No such resource in the caller's organization"),
        ])
    }
}
