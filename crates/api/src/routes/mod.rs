//! Every route of the API, one module per family of URLs: `/api/v1/pos/orders/...` is
//! `routes/pos/orders.rs`, `/api/v1/stock/transfers/...` is `routes/stock/transfers.rs`. Each
//! module holds its handlers (their path and documentation in their `#[utoipa::path]`) and a
//! `routes()` that registers each one with who may call it, side by side: adding a route touches
//! one file, and a route cannot be served without its documentation and its access rule.

pub mod accounting;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod kitchen;
pub mod menu;
pub mod organizations;
pub mod permissions;
pub mod pos;
pub mod procurement;
pub mod stock;

use crate::access::{Access, Rule};
use crate::state::AppState;
use std::sync::Arc;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// Routes as a family registers them: the router with their documentation, and the access rule
/// of each method and path.
pub struct Routes {
    router: OpenApiRouter<Arc<AppState>>,
    rules: Vec<Rule>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            router: OpenApiRouter::new(),
            rules: Vec::new(),
        }
    }
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `route` (a handler, as `utoipa_axum::routes!` gives it) to the callers `access`
    /// allows.
    pub fn add(mut self, route: UtoipaMethodRouter<Arc<AppState>>, access: Access) -> Self {
        for (path, item) in &route.1.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ];
            for (method, served) in methods {
                if served {
                    self.rules.push(Rule {
                        method: method.to_owned(),
                        path: path.clone(),
                        access,
                    });
                }
            }
        }
        self.router = self.router.routes(route);
        self
    }

    /// These routes and `other`'s.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.rules.extend(other.rules);
        self
    }

    /// The router (with its documentation) and the access table.
    pub fn into_parts(self) -> (OpenApiRouter<Arc<AppState>>, Vec<Rule>) {
        (self.router, self.rules)
    }
}

/// Every route of the server: the operations routes (health, metrics, this document) and every
/// family of the API.
pub fn all() -> Routes {
    crate::http::routes()
        .merge(admin::routes())
        .merge(audit::routes())
        .merge(auth::routes())
        .merge(permissions::routes())
        .merge(organizations::routes())
        .merge(menu::routes())
        .merge(pos::routes())
        .merge(kitchen::routes())
        .merge(procurement::routes())
        .merge(stock::routes())
        .merge(accounting::routes())
}
