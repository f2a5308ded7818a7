//! Password hashing with argon2id (PHC strings: the parameters and salt travel with the hash, so
//! they can be raised later without invalidating old hashes). Hashing is deliberately slow, so it
//! runs on the blocking pool, not on the threads serving requests.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use std::sync::LazyLock;

/// A hash of `password`.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Whether `password` matches `hash`. With no hash (an unknown user), a dummy one is checked, so
/// the answer takes as long either way and does not tell which usernames exist.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| DUMMY.clone());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known
    })
    .await
    .unwrap_or(false)
}

/// The argon2id hash of a random string nobody knows (made once, with the same parameters as real
/// hashes, so checking it costs the same).
static DUMMY: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    let secret = uuid::Uuid::new_v4().to_string();
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = super::hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(super::verify("correct horse".into(), Some(hash.clone())).await);
        assert!(!super::verify("wrong horse".into(), Some(hash)).await);
        assert!(!super::verify("anything".into(), None).await);
    }
}
