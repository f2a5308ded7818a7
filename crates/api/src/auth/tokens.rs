//! Access tokens: JWTs (HS256) that live 15 minutes and carry the user, their organization and
//! roles, so a request is authorised without a database read. Refresh tokens (30 days, rotated on
//! every use) are in `sessions.rs`.

use brigade_domain::Role;
use brigade_domain::ids::{TenantId, UserId};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// How long an access token lives.
pub const ACCESS_TTL: Duration = Duration::minutes(15);

/// What an access token says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: UserId,
    /// Their organization.
    pub org: TenantId,
    /// Their roles there, when the token was issued.
    pub roles: Vec<Role>,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
}

/// The signing key.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Signs invite codes (derived from the same secret, for another purpose).
    invites: [u8; 32],
}

impl Keys {
    /// Keys from a secret (at least 32 bytes).
    pub fn from_secret(secret: &[u8]) -> anyhow::Result<Keys> {
        anyhow::ensure!(secret.len() >= 32, "the JWT secret must be at least 32 bytes");
        Ok(Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            invites: invite_key(secret),
        })
    }

    /// Random keys, for a server started without a configured secret (its tokens die with it).
    pub fn random() -> Keys {
        let secret = [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat();
        Keys {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            invites: invite_key(&secret),
        }
    }

    /// The invite code of an organization: its id and a tag only the server can make, so a
    /// code cannot be guessed from an id. Stable while the secret is (rotate it to void codes).
    pub fn invite_code(&self, org: TenantId) -> String {
        format!("{}-{}", org.0.simple(), hex::encode(&self.invite_tag(org)[..10]))
    }

    /// The organization an invite code was made for, if this server made it.
    pub fn invited_to(&self, code: &str) -> Option<TenantId> {
        let (id, tag) = code.trim().split_once('-')?;
        let org = TenantId(uuid::Uuid::try_parse(id).ok()?);
        let expected = hex::encode(&self.invite_tag(org)[..10]);
        // Constant time: the comparison leaks nothing about the expected tag.
        let same =
            expected.len() == tag.len() && expected.bytes().zip(tag.bytes()).fold(0, |acc, (a, b)| acc | (a ^ b)) == 0;
        same.then_some(org)
    }

    fn invite_tag(&self, org: TenantId) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::new()
            .chain_update(self.invites)
            .chain_update(org.0.as_bytes())
            .finalize()
            .into()
    }

    /// An access token for `user` of `org` with `roles`, issued `now`.
    pub fn issue(&self, user: UserId, org: TenantId, roles: Vec<Role>, now: DateTime<Utc>) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user,
            org,
            roles,
            iat: now.timestamp(),
            exp: (now + ACCESS_TTL).timestamp(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token signed with these keys.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)?.claims)
    }
}

/// The invite-signing key: the secret hashed for that one purpose.
fn invite_key(secret: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::new()
        .chain_update(b"brigade invite codes\0")
        .chain_update(secret)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_keys_only_and_not_once_expired() {
        let keys = Keys::random();
        let (user, org) = (UserId(uuid::Uuid::now_v7()), TenantId(uuid::Uuid::now_v7()));
        let token = keys.issue(user, org, vec![Role::KitchenStaff], Utc::now()).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub, claims.org, claims.roles),
            (user, org, vec![Role::KitchenStaff])
        );
        assert!(Keys::random().verify(&token).is_err());
        let old = keys
            .issue(user, org, vec![], Utc::now() - Duration::minutes(16))
            .unwrap();
        assert!(keys.verify(&old).is_err());
        assert!(Keys::from_secret(b"short").is_err());
    }

    #[test]
    fn an_invite_code_names_its_organization_to_its_server_only() {
        let keys = Keys::random();
        let org = TenantId(uuid::Uuid::now_v7());
        let code = keys.invite_code(org);
        assert_eq!(keys.invited_to(&code), Some(org));
        assert_eq!(Keys::random().invited_to(&code), None);
        let other = TenantId(uuid::Uuid::now_v7());
        let forged = format!("{}-{}", other.0.simple(), code.split_once('-').unwrap().1);
        assert_eq!(keys.invited_to(&forged), None);
        assert_eq!(keys.invited_to("nonsense"), None);
        assert_eq!(keys.invited_to(""), None);
    }
}
