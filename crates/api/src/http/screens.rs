//! The screens (kitchen display, floor and till, back office): the single-page app built from
//! `screens/` into `screens/dist`, served from the same origin as the API so the browser needs no
//! CORS and the screens use exactly the endpoints and tokens a third-party POS would.
//!
//! Every path the API does not route is a screen: a file of the build if there is one (its
//! gzip twin when the browser takes it, made by the build), otherwise `index.html`, whose router
//! draws the screen the path names (`/kitchen/grill`). Paths under the API's own prefixes stay
//! problem+json 404s, so a client with a wrong URL is never handed a web page.

use crate::http::problem::Problem;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use tower_http::services::{ServeDir, ServeFile};

/// Prefixes that belong to the API: an unknown path there is a 404, not a screen.
const API_PREFIXES: [&str; 4] = ["/api/", "/health/", "/metrics", "/openapi.json"];

/// What the browser may load on a screen: only this origin (no CDN, no inline script).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Whether `dir` holds a build of the screens.
pub fn is_built(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

/// Answers a request the router did not match: a screen, or the API's 404.
pub async fn serve(dir: Option<PathBuf>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some(dir) = dir.filter(|_| !API_PREFIXES.iter().any(|p| path.starts_with(p))) else {
        return Problem::not_found(format!("no route {} {path}", request.method())).into_response();
    };
    let index = ServeFile::new(dir.join("index.html")).precompressed_gzip();
    let mut files = ServeDir::new(&dir).precompressed_gzip().fallback(index);
    let mut response = match files.try_call(request).await {
        Ok(response) => response.into_response(),
        Err(error) => {
            tracing::error!(%error, path, "the screens' files could not be read");
            return Problem::not_found(format!("no screen at {path}")).into_response();
        }
    };
    let headers = response.headers_mut();
    // Built assets carry their content hash in their name: they never change. The page itself
    // must be asked for again, so a new build reaches every screen at its next load.
    let cache = if path.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}
