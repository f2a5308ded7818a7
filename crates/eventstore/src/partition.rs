//! Partitions of the organizations, so that a read model's work can be shared between workers.
//!
//! Every read model is per organization, so its work splits by organization with no row ever
//! needing two partitions. An organization's partition among `count` (a power of two) is the
//! first byte of the SHA-256 of its id, masked to `count - 1`. It is the same function in Rust
//! (here) and in SQL (`brigade_partition`, migrations/0012_partitions.sql), so a worker can filter
//! the log in the database during a catch-up and in memory when it is live.
//!
//! A power of two and a mask make doubling a split: partition `k` of `n` becomes `k` and `k + n`
//! of `2n`, and nothing of one old partition lands in another, so both halves can start at the
//! old partition's checkpoint.

use sha2::{Digest, Sha256};
use std::fmt;
use uuid::Uuid;

/// The most partitions an installation can have (the hash gives one byte).
pub const MAX_PARTITIONS: u16 = 256;

/// One partition of the organizations: `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition {
    index: u16,
    count: u16,
}

/// A partition count that is not a power of two between 1 and [`MAX_PARTITIONS`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the number of partitions must be a power of two from 1 to {MAX_PARTITIONS}, not {0}")]
pub struct BadPartitionCount(pub u32);

impl Partition {
    /// The one partition of an installation that does not partition.
    pub const WHOLE: Partition = Partition { index: 0, count: 1 };

    /// Checks a partition count.
    pub fn check_count(count: u32) -> Result<u16, BadPartitionCount> {
        match u16::try_from(count) {
            Ok(n) if (1..=MAX_PARTITIONS).contains(&n) && n.is_power_of_two() => Ok(n),
            _ => Err(BadPartitionCount(count)),
        }
    }

    /// Partition `index` of `count` (`count` checked by [`check_count`](Self::check_count);
    /// `index` taken modulo `count`).
    pub fn new(index: u16, count: u16) -> Self {
        let count = count.clamp(1, MAX_PARTITIONS);
        Self {
            index: index & (count - 1),
            count,
        }
    }

    /// Every partition of `count`, in order.
    pub fn all(count: u16) -> impl Iterator<Item = Partition> {
        (0..count.max(1)).map(move |index| Partition::new(index, count))
    }

    /// The partition of `tenant` among `count`.
    pub fn of(tenant: Uuid, count: u16) -> Self {
        let byte = Sha256::digest(tenant.as_bytes())[0];
        Self::new(u16::from(byte), count)
    }

    /// Its index.
    pub fn index(self) -> u16 {
        self.index
    }

    /// How many partitions there are.
    pub fn count(self) -> u16 {
        self.count
    }

    /// Whether `tenant`'s events are this partition's.
    pub fn contains(self, tenant: Uuid) -> bool {
        self.count == 1 || Self::of(tenant, self.count) == self
    }

    /// The partition this one came from when the count was doubled (`None` for the whole).
    pub fn parent(self) -> Option<Partition> {
        (self.count > 1).then(|| Partition::new(self.index, self.count / 2))
    }

    /// The checkpoint (and lease) name of a projection's share in this partition. An
    /// installation with one partition keeps the plain name it always had.
    pub fn name(self, projection: &str) -> String {
        if self.count == 1 {
            projection.to_owned()
        } else {
            format!("{projection}.{}of{}", self.index, self.count)
        }
    }

    /// The projection and partition a checkpoint name stands for (the inverse of
    /// [`name`](Self::name)); a name without a partition suffix is the whole.
    pub fn parse(name: &str) -> (&str, Partition) {
        if let Some((projection, suffix)) = name.rsplit_once('.') {
            if let Some((index, count)) = suffix.split_once("of") {
                if let (Ok(index), Ok(count)) = (index.parse::<u16>(), count.parse::<u32>()) {
                    if let Ok(count) = Self::check_count(count) {
                        if index < count {
                            return (projection, Partition::new(index, count));
                        }
                    }
                }
            }
        }
        (name, Partition::WHOLE)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn doubling_splits_each_partition_in_two(bytes in any::<u128>(), log2 in 0u32..8) {
            let tenant = Uuid::from_u128(bytes);
            let count = 1u16 << log2;
            let before = Partition::of(tenant, count);
            let after = Partition::of(tenant, count * 2);
            prop_assert_eq!(after.parent(), Some(before));
            prop_assert!(after.index() == before.index() || after.index() == before.index() + count);
            prop_assert!(before.contains(tenant) && after.contains(tenant));
        }

        #[test]
        fn names_read_back(index in 0u16..256, log2 in 0u32..9) {
            let p = Partition::new(index, 1 << log2);
            let name = p.name("kitchen_queue");
            prop_assert_eq!(Partition::parse(&name), ("kitchen_queue", p));
        }
    }

    #[test]
    fn counts_are_powers_of_two_up_to_the_maximum() {
        assert_eq!(Partition::check_count(1), Ok(1));
        assert_eq!(Partition::check_count(256), Ok(256));
        assert_eq!(Partition::check_count(0), Err(BadPartitionCount(0)));
        assert_eq!(Partition::check_count(3), Err(BadPartitionCount(3)));
        assert_eq!(Partition::check_count(512), Err(BadPartitionCount(512)));
        assert_eq!(Partition::parse("stock@rebuild"), ("stock@rebuild", Partition::WHOLE));
        assert_eq!(Partition::parse("stock.3of3"), ("stock.3of3", Partition::WHOLE));
    }

    #[test]
    fn organizations_spread_over_the_partitions() {
        let mut seen = [0u32; 4];
        for i in 0..400u128 {
            seen[usize::from(Partition::of(Uuid::from_u128(i), 4).index())] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
    }
}
