//! Identity: argon2 password hashes, JWT access tokens (15 minutes), rotating refresh tokens (30
//! days; a reused one ends its whole login), the authenticated-caller extractor, and the
//! `/api/v1/auth` routes.

pub mod accounts;
pub mod deactivated;
pub mod extract;
pub mod password;
pub mod secret;
pub mod sessions;
pub mod tokens;
