//! Shared secrets from the environment (the bootstrap secret, the operator token), compared so
//! that the time taken does not tell how much of a guess is right: both sides are hashed first,
//! and the digests, not the secrets, are compared.

use sha2::{Digest, Sha256};

/// Whether `presented` is the `configured` secret. False when either is missing: an unset secret
/// opens nothing.
pub fn matches(configured: Option<&str>, presented: Option<&str>) -> bool {
    match (configured, presented) {
        (Some(c), Some(p)) => Sha256::digest(c.as_bytes()) == Sha256::digest(p.as_bytes()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn the_secret_must_be_configured_and_match() {
        assert!(matches(Some("s3cret"), Some("s3cret")));
        assert!(!matches(Some("s3cret"), Some("s3cre")));
        assert!(!matches(Some("s3cret"), None));
        assert!(!matches(None, Some("")));
        assert!(!matches(None, None));
    }
}
