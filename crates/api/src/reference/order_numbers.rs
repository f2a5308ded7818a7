//! Order numbers: what the pass calls out. They count per organization per local business day
//! (in the organization's timezone) when the POS sends none.
//!
//! Numbers are taken with the reference-data check (`check`), for all the orders a
//! server is placing at that moment in one statement: each (organization, day) counter moves
//! once by as many numbers as were asked of it, and they are dealt out in the order the requests
//! queued. The counter's row is the hottest in the database, so it is updated once per batch, not
//! once per order, and committed without waiting for the disk (`synchronous_commit` off for that
//! statement alone): a number is for people at the pass, not an identity (the order id is), so
//! after a database crash a number of the last moments may be handed out again.
//!
//! A number is taken before the order is decided, so an order refused after that (an item off the
//! menu, a domain refusal) leaves a gap in the day's numbers.

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Today in `tz`: the business day an order placed now counts in.
pub(crate) fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// How many numbers each (organization, day) counter must move by for `wanted` (one entry per
/// request, `None` for a request that takes no number), in the counters' global order (the
/// order their rows are locked in, so that two servers' batches cannot deadlock).
pub(crate) fn tally(wanted: &[(Uuid, Option<NaiveDate>)]) -> BTreeMap<(Uuid, NaiveDate), i32> {
    let mut counts = BTreeMap::new();
    for (tenant, day) in wanted {
        if let Some(day) = day {
            *counts.entry((*tenant, *day)).or_insert(0) += 1;
        }
    }
    counts
}

/// Deals each counter's new numbers out to `wanted` in order: a counter moved by `n` to `last`
/// gives `last - n + 1 ..= last`. `counted` holds each counter's `last` after the move.
pub(crate) fn deal(
    wanted: &[(Uuid, Option<NaiveDate>)],
    counts: &BTreeMap<(Uuid, NaiveDate), i32>,
    counted: &BTreeMap<(Uuid, NaiveDate), i32>,
) -> Vec<Option<u32>> {
    let mut next: BTreeMap<(Uuid, NaiveDate), i32> = counts
        .iter()
        .filter_map(|(key, n)| counted.get(key).map(|last| (*key, last - n + 1)))
        .collect();
    wanted
        .iter()
        .map(|(tenant, day)| {
            let number = next.get_mut(&(*tenant, (*day)?))?;
            let dealt = u32::try_from(*number).ok();
            *number += 1;
            dealt
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the mix of organizations and days in a batch, each counter's numbers go out
        /// once each, in the order the requests queued, and continue from where it stood.
        #[test]
        fn each_counter_deals_its_new_numbers_once_in_queue_order(
            picks in proptest::collection::vec((0u8..3, proptest::option::of(0u8..2)), 0..40),
            stood in proptest::collection::vec(0i32..1000, 6),
        ) {
            let tenants = [Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)];
            let days = [NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()];
            let wanted: Vec<_> = picks.iter().map(|(t, d)| (tenants[*t as usize], d.map(|d| days[d as usize]))).collect();
            let counts = tally(&wanted);
            let before = |key: &(Uuid, NaiveDate)| {
                let t = tenants.iter().position(|t| *t == key.0).unwrap();
                let d = days.iter().position(|d| *d == key.1).unwrap();
                stood[t * 2 + d]
            };
            let counted = counts.iter().map(|(key, n)| (*key, before(key) + n)).collect();
            let dealt = deal(&wanted, &counts, &counted);
            prop_assert_eq!(dealt.len(), wanted.len());
            for key in counts.keys() {
                let numbers: Vec<u32> = wanted.iter().zip(&dealt)
                    .filter(|((t, d), _)| (*t, *d) == (key.0, Some(key.1)))
                    .map(|(_, n)| n.unwrap())
                    .collect();
                let expected: Vec<u32> = (1..=numbers.len()).map(|i| (before(key) as u32) + i as u32).collect();
                prop_assert_eq!(numbers, expected);
            }
            for ((_, day), number) in wanted.iter().zip(&dealt) {
                prop_assert_eq!(day.is_some(), number.is_some());
            }
        }
    }
}
