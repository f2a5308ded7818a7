//! What no request's URL may carry: a NUL character (`%00`) in its path or query string is a
//! 400 before any route sees it, naming where it was. PostgreSQL cannot store NUL in text, so a
//! NUL that reached a stream id, a projection name or a filter would fail as a server error
//! inside a handler; refusing it here covers every route at once. Bodies are checked by
//! `body::Body` the same way.
//!
//! A NUL can only reach a decoded path or query as `%00`: raw control bytes are not valid in a
//! request line, and the HTTP parser refuses them first.

use super::problem::Problem;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The layer.
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    match nul_in(request.uri().path(), request.uri().query()) {
        Some(place) => Problem::bad_request(format!("{place} contains a NUL character (%00)")).into_response(),
        None => next.run(request).await,
    }
}

/// Where `path` or `query` (both as sent, percent-encoded) decode to a NUL: the path, or the
/// query parameter by name.
fn nul_in(path: &str, query: Option<&str>) -> Option<String> {
    if has_nul(path) {
        return Some("the path".into());
    }
    let pair = query?.split('&').find(|pair| has_nul(pair))?;
    let name = pair.split('=').next().unwrap_or_default();
    Some(if has_nul(name) || name.is_empty() {
        "a query parameter's name".into()
    } else {
        format!("query parameter `{name}`")
    })
}

fn has_nul(encoded: &str) -> bool {
    encoded.as_bytes().windows(3).any(|w| w == b"%00")
}

#[cfg(test)]
mod tests {
    use super::nul_in;

    #[test]
    fn a_nul_is_found_in_the_path_or_named_by_its_query_parameter() {
        assert_eq!(nul_in("/api/v1/audit/streams/a%00b", None).as_deref(), Some("the path"));
        assert_eq!(
            nul_in("/api/v1/pos/orders", Some("limit=5&status=open%00")).as_deref(),
            Some("query parameter `status`")
        );
        assert_eq!(
            nul_in("/x", Some("a%00=1")).as_deref(),
            Some("a query parameter's name")
        );
        assert_eq!(
            nul_in("/api/v1/pos/orders", Some("status=open%2500")),
            None,
            "an encoded percent sign"
        );
        assert_eq!(nul_in("/api/v1/pos/orders", Some("status=open")), None);
    }
}
