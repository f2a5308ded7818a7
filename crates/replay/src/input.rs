//! Reading what a user typed: times, ids, version ranges. Each refusal names the argument, what
//! was given, and what is expected.

use anyhow::{Context, bail};
use brigade_domain::ids::TenantId;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use uuid::Uuid;

/// A time: RFC 3339 (`2026-11-21T09:30:00Z`, `2026-11-21T10:30:00+01:00`), a date and time in UTC
/// (`2026-11-21 09:30[:00]`), or a date (its midnight, UTC).
pub fn time(flag: &str, text: &str) -> anyhow::Result<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    bail!(
        "{flag} {text:?} is not a time: use RFC 3339 (2026-11-21T09:30:00Z), \"2026-11-21 09:30\" (UTC) or a date (2026-11-21)"
    )
}

/// An optional time argument.
pub fn opt_time(flag: &str, text: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    text.map(|t| time(flag, t)).transpose()
}

/// A time range, either end open.
pub type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A time range whose end, if any, is after its start.
pub fn range(from: Option<&str>, to: Option<&str>) -> anyhow::Result<Range> {
    let from = opt_time("--from", from)?;
    let to = opt_time("--to", to)?;
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        bail!("--to ({t}) must be after --from ({f})");
    }
    Ok((from, to))
}

/// A UUID argument.
pub fn uuid(what: &str, text: &str) -> anyhow::Result<Uuid> {
    Uuid::parse_str(text.trim()).with_context(|| format!("{what} {text:?} is not a UUID"))
}

/// An optional tenant id.
pub fn tenant(text: Option<&str>) -> anyhow::Result<Option<TenantId>> {
    text.map(|t| uuid("--tenant", t).map(TenantId)).transpose()
}

/// `v1..v2` with 0 <= v1 < v2.
pub fn version_range(text: &str) -> anyhow::Result<(u64, u64)> {
    let parse = |part: &str| part.trim().parse::<u64>().ok();
    match text.split_once("..").map(|(a, b)| (parse(a), parse(b))) {
        Some((Some(a), Some(b))) if a < b => Ok((a, b)),
        Some((Some(a), Some(b))) => bail!("--diff {text:?}: the first version ({a}) must be below the second ({b})"),
        _ => bail!("--diff {text:?} is not a version range: use two versions like 3..7"),
    }
}

/// A category name, as stream ids spell it.
pub fn category(text: Option<&str>) -> anyhow::Result<Option<String>> {
    match text {
        Some(c) if !c.is_empty() && c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') => Ok(Some(c.to_owned())),
        Some(c) => bail!("--category {c:?} is not a stream category (lowercase letters and _, like purchase_order)"),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_accepted_shape() {
        let want = "2026-11-21T09:30:00Z";
        for text in [
            "2026-11-21T09:30:00Z",
            "2026-11-21T10:30:00+01:00",
            "2026-11-21 09:30",
            "2026-11-21T09:30",
        ] {
            assert_eq!(
                time("--at", text).map(|t| t.to_rfc3339()).ok(),
                Some(want.replace('Z', "+00:00")),
                "{text}"
            );
        }
        assert_eq!(
            time("--at", "2026-11-21").map(|t| t.to_rfc3339()).ok(),
            Some("2026-11-21T00:00:00+00:00".into())
        );
    }

    #[test]
    fn a_bad_time_names_the_flag_and_the_text() {
        let message = time("--at", "yesterday").map_err(|e| e.to_string()).err();
        assert!(message.is_some_and(|m| m.starts_with("--at \"yesterday\" is not a time")));
        assert!(time("--at", "2026-13-01").is_err());
    }

    #[test]
    fn version_ranges() {
        assert_eq!(version_range("3..7").ok(), Some((3, 7)));
        assert_eq!(version_range("0..1").ok(), Some((0, 1)));
        for bad in ["7..3", "3..3", "3", "a..b", "3..", "-1..2"] {
            assert!(version_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_must_run_forwards() {
        assert!(range(Some("2026-11-21"), Some("2026-11-20")).is_err());
        assert!(range(Some("2026-11-20"), Some("2026-11-21")).is_ok());
    }
}
