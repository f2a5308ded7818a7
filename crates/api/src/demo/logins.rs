//! Logins for the demo restaurant's staff: one user per role, each a `user` stream created by
//! `root` (the first administrator), with the demo password. Run after the demo is loaded, and
//! again at every start: what exists is left as it is.

use crate::auth::{password, sessions};
use crate::demo::{STAFF, demo_tenant, named};
use anyhow::anyhow;
use brigade_domain::ids::UserId;
use brigade_domain::user::{User, UserCommand, UserError, UserProfile};
use brigade_domain::{Actor, Context, Role, stream_id};
use brigade_eventstore::{CommandError, CommandMeta, EventStore};
use chrono::Utc;

/// The password of every demo login (a demo: printed by `make run`).
pub const DEMO_PASSWORD: &str = "brigade-demo";

/// The demo user called `name`.
pub fn demo_user(name: &str) -> UserId {
    UserId(named(&format!("user:{name}")))
}

/// Makes sure every demo staff member has a user and a login; returns the logins (name, role).
pub async fn ensure(store: &EventStore) -> anyhow::Result<Vec<(&'static str, Role)>> {
    let tenant = store.tenant(demo_tenant());
    let root = demo_user("root");
    for (name, role) in STAFF {
        let user = demo_user(name);
        let profile = UserProfile {
            username: (*name).to_owned(),
            display_name: capitalised(name),
        };
        let (command, roles) = if *name == "root" {
            (UserCommand::CreateFirstAdmin { profile }, vec![Role::SuperAdmin])
        } else {
            let command = UserCommand::Create {
                user_id: user,
                profile,
                roles: vec![*role],
            };
            (command, vec![Role::SuperAdmin])
        };
        let acting = if *name == "root" { user } else { root };
        let ctx = Context::new(Actor { user_id: acting, roles }, Utc::now());
        let meta = CommandMeta::direct(named(&format!("login-command:{name}")), named("logins"), Some(acting));
        match tenant
            .execute::<User>(&stream_id::<User>(user), &command, &ctx, &meta)
            .await
        {
            Ok(_) | Err(CommandError::Domain(UserError::AlreadyExists)) => {}
            Err(e) => return Err(anyhow!("demo user {name}: {e}")),
        }
        if sessions::credential(store.pool(), name).await?.is_none() {
            let hash = password::hash(DEMO_PASSWORD.to_owned()).await?;
            sessions::save_credential(store.pool(), user, demo_tenant(), name, &hash).await?;
        }
    }
    Ok(STAFF.to_vec())
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
