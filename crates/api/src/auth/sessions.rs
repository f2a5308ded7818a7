//! Credentials and refresh tokens (`auth` schema, migration 0003).
//!
//! A refresh token is 32 random bytes, given to the client once and stored only as its sha256.
//! Every use rotates it: in one transaction the row is locked, marked used, and a new token of
//! the same family is issued. A token that was already used (or revoked) coming back means a copy
//! is in someone else's hands: the whole family is revoked, so whoever holds the latest one is
//! logged out too and must log in again. Logout revokes the family.

use brigade_domain::ids::{TenantId, UserId};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// How long a refresh token lives.
pub const REFRESH_TTL: Duration = Duration::days(30);

/// A stored login.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Credential {
    /// The user.
    pub user_id: Uuid,
    /// Their organization.
    pub tenant_id: Uuid,
    /// The argon2 PHC string.
    pub password_hash: String,
}

/// Why a refresh token was not accepted.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// Unknown, malformed, expired or revoked.
    #[error("the refresh token is not valid")]
    Invalid,
    /// Used before: its family is now revoked.
    #[error("the refresh token was used before; every session of its login is revoked")]
    Reused,
}

/// Saves (or replaces) a user's login.
pub async fn save_credential(
    pool: &PgPool,
    user: UserId,
    tenant: TenantId,
    username: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO auth.credentials (user_id, tenant_id, username, password_hash) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET username = $3, password_hash = $4, updated_at = now()",
    )
    .bind(user.0)
    .bind(tenant.0)
    .bind(username)
    .bind(password_hash)
    .execute(pool)
    .await?;
    Ok(())
}

/// Saves a new user's login; false if the username is taken.
pub async fn save_new_credential(
    pool: &PgPool,
    user: UserId,
    tenant: TenantId,
    username: &str,
    password_hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO auth.credentials (user_id, tenant_id, username, password_hash) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(user.0)
    .bind(tenant.0)
    .bind(username)
    .bind(password_hash)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a user's login (when what it was made for could not be written).
pub async fn forget_credential(pool: &PgPool, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM auth.credentials WHERE user_id = $1")
        .bind(user.0)
        .execute(pool)
        .await?;
    Ok(())
}

/// The login of `username`, if there is one.
pub async fn credential(pool: &PgPool, username: &str) -> Result<Option<Credential>, sqlx::Error> {
    sqlx::query_as("SELECT user_id, tenant_id, password_hash FROM auth.credentials WHERE username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await
}

/// The password hash of `user`'s login.
pub async fn password_hash_of(pool: &PgPool, user: UserId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT password_hash FROM auth.credentials WHERE user_id = $1")
        .bind(user.0)
        .fetch_optional(pool)
        .await
}

/// Replaces `user`'s password hash and ends every session of theirs (a changed password logs
/// out whoever else held one), in one transaction.
pub async fn set_password(
    pool: &PgPool,
    user: UserId,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let change = sqlx::query("UPDATE auth.credentials SET password_hash = $2, updated_at = now() WHERE user_id = $1")
        .bind(user.0)
        .bind(password_hash);
    change_and_end_sessions(pool, user, now, change).await
}

/// Marks `user`'s login deactivated and ends every session of theirs, in one transaction.
pub async fn deactivate(pool: &PgPool, user: UserId, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let change =
        sqlx::query("UPDATE auth.credentials SET deactivated_at = $2 WHERE user_id = $1 AND deactivated_at IS NULL")
            .bind(user.0)
            .bind(now);
    change_and_end_sessions(pool, user, now, change).await
}

/// Runs `change` to a login and revokes every refresh token of its user, in one transaction.
async fn change_and_end_sessions(
    pool: &PgPool,
    user: UserId,
    now: DateTime<Utc>,
    change: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    change.execute(&mut *tx).await?;
    sqlx::query("UPDATE auth.refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// The users whose logins were deactivated.
pub async fn deactivated_users(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM auth.credentials WHERE deactivated_at IS NOT NULL")
        .fetch_all(pool)
        .await
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    let bytes = [Uuid::new_v4().into_bytes(), Uuid::new_v4().into_bytes()].concat();
    hex::encode(bytes)
}

async fn insert(
    executor: &mut sqlx::PgConnection,
    family: Uuid,
    user: Uuid,
    tenant: Uuid,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let token = new_token();
    sqlx::query(
        "INSERT INTO auth.refresh_tokens (token_hash, family, user_id, tenant_id, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(digest(&token))
    .bind(family)
    .bind(user)
    .bind(tenant)
    .bind(now)
    .bind(now + REFRESH_TTL)
    .execute(executor)
    .await?;
    Ok(token)
}

/// A new refresh token, starting a new family (a login).
pub async fn start(pool: &PgPool, user: UserId, tenant: TenantId, now: DateTime<Utc>) -> Result<String, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    insert(&mut connection, Uuid::now_v7(), user.0, tenant.0, now).await
}

/// Rotates `token`: returns its user and organization and the next token of its family.
pub async fn rotate(
    pool: &PgPool,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<(UserId, TenantId, String), RefreshError>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    type Row = (
        Uuid,
        Uuid,
        Uuid,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT family, user_id, tenant_id, expires_at, used_at, revoked_at FROM auth.refresh_tokens \
         WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(digest(token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some((family, user, tenant, expires_at, used_at, revoked_at)) = row else {
        return Ok(Err(RefreshError::Invalid));
    };
    if used_at.is_some() {
        revoke_family(&mut tx, family, now).await?;
        tx.commit().await?;
        return Ok(Err(RefreshError::Reused));
    }
    if revoked_at.is_some() || expires_at <= now {
        return Ok(Err(RefreshError::Invalid));
    }
    sqlx::query("UPDATE auth.refresh_tokens SET used_at = $2 WHERE token_hash = $1")
        .bind(digest(token))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let next = insert(&mut tx, family, user, tenant, now).await?;
    tx.commit().await?;
    Ok(Ok((UserId(user), TenantId(tenant), next)))
}

/// Ends the login `token` belongs to (every token of its family). False if the token is unknown.
pub async fn end(pool: &PgPool, token: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let family: Option<Uuid> = sqlx::query_scalar("SELECT family FROM auth.refresh_tokens WHERE token_hash = $1")
        .bind(digest(token))
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(family) = family {
        revoke_family(&mut tx, family, now).await?;
    }
    tx.commit().await?;
    Ok(family.is_some())
}

async fn revoke_family(tx: &mut sqlx::PgConnection, family: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE auth.refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL")
        .bind(family)
        .bind(now)
        .execute(tx)
        .await?;
    Ok(())
}
