//! The JSON body of a request, read into its type or answered in the client's terms: 415 when it
//! is not JSON, 400 when it is not well-formed JSON, and 422 naming the field, as the client wrote
//! it, that is missing, unknown, of the wrong type, or holds a NUL character
//! (`lines[0].menu_item_id: missing`). Every route takes its body through [`Body`], so the same
//! mistake gets the same answer everywhere.
//!
//! NUL is refused here for every string of every body (PostgreSQL cannot store it in text, so it
//! would otherwise fail deep inside a handler); `input::refuse_nul` does the same for paths and
//! query strings.

use super::problem::{Kind, Problem};
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A JSON request body of type `T`.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(not_json().into());
        }
        let bytes = read(request, state).await?;
        Ok(Body(parse(&bytes)?))
    }
}

/// An optional body: none at all, or JSON `null`, is `None`.
impl<S: Send + Sync, T: DeserializeOwned> OptionalFromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, ApiError> {
        let json = is_json(request.headers());
        let bytes = read(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !json {
            return Err(not_json().into());
        }
        if bytes.trim_ascii() == b"null" {
            return Ok(None);
        }
        Ok(Some(Body(parse(&bytes)?)))
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(media) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn not_json() -> Problem {
    Problem::new(
        Kind::UnsupportedMediaType,
        "send the body as JSON, with Content-Type: application/json",
    )
}

async fn read<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|_| Problem::new(Kind::TooLarge, "the body is over the server's limit").into())
}

fn malformed(e: &serde_json::Error) -> Problem {
    Problem::bad_request(format!("the body is not well-formed JSON: {e}"))
}

/// `bytes` as `T`, without building a JSON value on the way. A NUL can only be in a JSON text as
/// the escape `\u0000`: a body without one goes straight to `T`, and only a body with one is
/// read as a value first, to name the field holding it (or to find that the escape was literal
/// text after all).
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Box<Problem>> {
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return typed(serde_json::from_slice(bytes).map_err(|e| malformed(&e))?);
    }
    // Well-formed first, all of it (a scan that builds nothing), so that a body broken anywhere
    // is a 400 even when its start already fails to fit `T`.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| malformed(&e))?;
    let mut json = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut json).map_err(|e| match e.inner().classify() {
        serde_json::error::Category::Data => Box::new(refused(&e.path().to_string(), e.inner())),
        _ => Box::new(malformed(e.inner())),
    })
}

/// A data error as a 422 in the client's terms (serde_json's " at line 1 column 9" dropped: the
/// field path says where).
fn refused(path: &str, error: &serde_json::Error) -> Problem {
    let text = error.to_string();
    let message = match text.rsplit_once(" at line ") {
        Some((message, _)) if error.line() > 0 => message.to_owned(),
        _ => text,
    };
    let (field, message) = in_client_terms(path, &message);
    Problem::invalid(field, message)
}

/// `value` as `T`, or a 422 naming the field in the client's terms.
fn typed<T: DeserializeOwned>(value: Value) -> Result<T, Box<Problem>> {
    if let Some(field) = nul_in(&value, "") {
        return Err(Box::new(Problem::invalid(field, "contains a NUL character")));
    }
    serde_path_to_error::deserialize(value).map_err(|e| Box::new(refused(&e.path().to_string(), e.inner())))
}

/// The first place in `value` (as a field path) holding a NUL character, in a key or a string.
fn nul_in(value: &Value, at: &str) -> Option<String> {
    let here = || {
        if at.is_empty() {
            "body".to_owned()
        } else {
            at.to_owned()
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => Some(here()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in(item, &format!("{at}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let path = join(at, key);
            if key.contains('\0') {
                Some(path.replace('\0', "\\u0000"))
            } else {
                nul_in(item, &path)
            }
        }),
        _ => None,
    }
}

fn join(at: &str, field: &str) -> String {
    if at.is_empty() {
        field.to_owned()
    } else {
        format!("{at}.{field}")
    }
}

/// serde's path and message, told as the client sees the body: the missing or unknown field is
/// named in the path, and Rust's type names become JSON's.
fn in_client_terms(path: &str, message: &str) -> (String, String) {
    let at = if path == "." { "" } else { path };
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, rest)| (name.to_owned(), rest.to_owned()))
    };
    if let Some((field, _)) = quoted("missing field `") {
        return (join(at, &field), "missing".into());
    }
    if let Some((field, rest)) = quoted("unknown field `") {
        let expected = rest.trim_start_matches(", ");
        let field = if at.rsplit('.').next() == Some(field.as_str()) {
            at.to_owned()
        } else {
            join(at, &field)
        };
        return (field, format!("unknown field ({expected})"));
    }
    let field = if at.is_empty() {
        "body".to_owned()
    } else {
        at.to_owned()
    };
    (field, json_words(message))
}

/// Rust's names for what was expected, in JSON's words.
fn json_words(message: &str) -> String {
    if message.contains("UUID parsing failed") {
        return "not a UUID".into();
    }
    let mut said = message.replace("unknown variant", "unknown value");
    for (rust, json) in [
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected u32", "expected a whole number from 0 to 4294967295"),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected a sequence", "expected an array"),
        ("expected a borrowed string", "expected a string"),
        ("expected a map", "expected an object"),
    ] {
        if let Some(i) = said.find(rust) {
            let end = i + rust.len();
            // Whole words only: `expected u16` is not the start of `expected u160`.
            if !said[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                said.replace_range(i..end, json);
            }
        }
    }
    if let Some(i) = said.find("expected struct ") {
        said.replace_range(i.., "expected an object");
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        menu_item_id: uuid::Uuid,
        quantity: u32,
        #[serde(default)]
        notes: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        table: Option<u16>,
        lines: Vec<Line>,
    }

    /// The refusal of `body`, which reads the same whether it arrives as bytes or as a value.
    fn refusal(body: Value) -> Value {
        let from_value = typed::<Order>(body.clone()).map(|_| ()).err();
        let from_bytes = parse::<Order>(body.to_string().as_bytes()).map(|_| ()).err();
        assert_eq!(from_value, from_bytes, "{body}");
        serde_json::to_value(from_value).unwrap_or_default()
    }

    #[test]
    fn a_body_that_is_not_json_is_a_400_not_a_422() {
        for text in ["{\"lines\": ", "{} {}", "[1,]"] {
            let problem = parse::<Order>(text.as_bytes()).err().map(|p| p.status);
            assert_eq!(problem, Some(400), "{text}");
        }
        let literal = parse::<Order>(br#"{"lines": [], "table": 1, "x": "\\u0000"}"#).err();
        assert!(
            literal.is_some_and(|p| p.errors.contains_key("x")),
            "a literal \\u0000 is text, not NUL"
        );
    }

    #[test]
    fn a_missing_field_is_named_where_the_client_left_it_out() {
        let p = refusal(json!({"lines": [{"quantity": 1}]}));
        assert_eq!(p["status"], 422);
        assert_eq!(p["type"], "/problems/validation");
        assert_eq!(p["errors"], json!({"lines[0].menu_item_id": ["missing"]}));
        assert_eq!(p["detail"], "lines[0].menu_item_id: missing");
    }

    #[test]
    fn an_unknown_field_is_named_with_the_fields_that_are_known() {
        let p = refusal(json!({"lines": [], "tabel": 4}));
        let errors = p["errors"]["tabel"][0].as_str().unwrap_or_default();
        assert!(errors.starts_with("unknown field (expected "), "{p}");
        assert!(errors.contains("`table`"), "{p}");
    }

    #[test]
    fn wrong_types_are_told_in_json_words() {
        let id = uuid::Uuid::nil();
        let p = refusal(json!({"lines": [{"menu_item_id": id, "quantity": -1}]}));
        assert_eq!(
            p["errors"]["lines[0].quantity"][0],
            "invalid value: integer `-1`, expected a whole number from 0 to 4294967295"
        );
        let p = refusal(json!({"lines": [{"menu_item_id": "burger", "quantity": 1}]}));
        assert_eq!(p["errors"]["lines[0].menu_item_id"][0], "not a UUID");
        let p = refusal(json!({"lines": {}}));
        assert_eq!(p["errors"]["lines"][0], "invalid type: map, expected an array");
        let p = refusal(json!("an order"));
        assert_eq!(
            p["errors"]["body"][0],
            "invalid type: string \"an order\", expected an object"
        );
        let p = refusal(json!({"table": 70000, "lines": []}));
        assert_eq!(
            p["errors"]["table"][0],
            "invalid value: integer `70000`, expected a whole number from 0 to 65535"
        );
    }

    #[test]
    fn a_nul_character_anywhere_is_refused_naming_its_field() {
        let id = uuid::Uuid::nil();
        let p = refusal(json!({"lines": [{"menu_item_id": id, "quantity": 1, "notes": "a\u{0}b"}]}));
        assert_eq!(p["errors"], json!({"lines[0].notes": ["contains a NUL character"]}));
        let p = refusal(json!({"lines": [], "x\u{0}": 1}));
        assert_eq!(p["errors"], json!({"x\\u0000": ["contains a NUL character"]}));
        assert!(typed::<String>(json!("\u{0}")).is_err());
    }

    #[test]
    fn only_json_media_types_are_json() {
        let with = |v: &'static str| {
            HeaderMap::from_iter([(
                header::CONTENT_TYPE,
                v.parse().unwrap_or(header::HeaderValue::from_static("x")),
            )])
        };
        assert!(is_json(&with("application/json")));
        assert!(is_json(&with("application/json; charset=utf-8")));
        assert!(is_json(&with("application/merge-patch+json")));
        assert!(!is_json(&with("text/plain")));
        assert!(!is_json(&HeaderMap::new()));
    }
}
