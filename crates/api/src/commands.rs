//! Running a domain command from a request: the caller becomes the actor, the request id the
//! correlation id, the `Idempotency-Key` the command id (so a repeat is one command in the store),
//! and the answer is the stream's `id`, `version` and the `position` of its last event. Domain
//! refusals become problem+json: 404 for what the caller's organization does not have, 403 for a
//! role the domain requires, 409 for a rule of the domain, 422 for invalid input.

use crate::auth::extract::Caller;
use crate::error::ApiError;
use crate::http::problem::{Kind, Problem};
use crate::idempotency::key_of;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use brigade_domain::{Actor, Aggregate, Context, stream_id};
use brigade_eventstore::{AppendOutcome, CommandError, CommandMeta, TenantStore};
use chrono::Utc;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

/// What every command answers.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Written {
    /// The aggregate's id.
    pub id: Uuid,
    /// Its stream's version after the command.
    pub version: u64,
    /// Global position of its last event (pass it as `after=` to read your write).
    pub position: i64,
}

/// How a domain refusal is answered.
pub trait Refusal: std::error::Error {
    /// The HTTP status of this refusal.
    fn status(&self) -> StatusCode;

    /// For a refusal of input (422), the request's field it is about, as the client names it.
    fn field(&self) -> Option<&'static str> {
        None
    }
}

/// Who sends a command, within which request, under which key.
pub struct CommandRequest {
    caller: Caller,
    correlation: Uuid,
    command_id: Uuid,
    keyed: bool,
}

impl FromRequestParts<Arc<AppState>> for CommandRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_parts(parts, state).map_err(IntoResponse::into_response)?;
        // The request id (accepted from X-Request-Id or made by the server) names the request in
        // every event it writes; a non-UUID id is turned into one, stably.
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default();
        let correlation =
            Uuid::parse_str(&request_id).unwrap_or_else(|_| Uuid::new_v5(&Uuid::NAMESPACE_OID, request_id.as_bytes()));
        let keyed = key_of(&parts.headers).is_some();
        let command_id = match key_of(&parts.headers) {
            Some(key) => {
                let scoped = format!("{}:{}:{key}", caller.0.org.0, caller.0.sub.0);
                Uuid::new_v5(&Uuid::NAMESPACE_OID, scoped.as_bytes())
            }
            None => Uuid::now_v7(),
        };
        Ok(CommandRequest {
            caller,
            correlation,
            command_id,
            keyed,
        })
    }
}

impl CommandRequest {
    /// The caller.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The id of an aggregate this request creates: a new UUIDv7, or, under an Idempotency-Key,
    /// one derived from it, so that a repeat (even one racing the first) names the same one.
    pub fn new_id(&self) -> Uuid {
        self.derived_id("created")
    }

    /// Another id this request makes (a line, a payment, a receipt), stable under its key as
    /// [`CommandRequest::new_id`] is.
    pub fn derived_id(&self, what: &str) -> Uuid {
        if self.keyed {
            Uuid::new_v5(&self.command_id, what.as_bytes())
        } else {
            Uuid::now_v7()
        }
    }

    /// The request's second (third...) command: its own command id, derived from the request's,
    /// so that the store does not take it for a repeat of the first (and a retry of the whole
    /// request repeats each of them exactly).
    pub fn next_command(&self, what: &str) -> CommandRequest {
        CommandRequest {
            caller: self.caller.clone(),
            correlation: self.correlation,
            command_id: Uuid::new_v5(&self.command_id, what.as_bytes()),
            keyed: self.keyed,
        }
    }

    /// Whether the request carries an Idempotency-Key.
    pub fn keyed(&self) -> bool {
        self.keyed
    }

    /// The context and metadata of a command sent by this request.
    fn context(&self) -> (Context, CommandMeta) {
        let claims = &self.caller.0;
        let ctx = Context::new(
            Actor {
                user_id: claims.sub,
                roles: claims.roles.clone(),
            },
            Utc::now(),
        );
        (
            ctx,
            CommandMeta::direct(self.command_id, self.correlation, Some(claims.sub)),
        )
    }

    /// The caller's organization's store.
    pub fn store(&self, state: &AppState) -> TenantStore {
        state.store.tenant(self.caller.0.org)
    }

    /// Runs `command` on the aggregate `id` of the caller's organization.
    pub async fn run<A>(&self, state: &AppState, id: Uuid, command: A::Command) -> Result<Written, ApiError>
    where
        A: Aggregate,
        A::Error: Refusal,
    {
        self.run_as::<A>(state, id, command, false).await
    }

    /// Runs a command that creates the aggregate `id` (a new id): no read before the append
    /// (see [`TenantStore::create`]).
    pub async fn create<A>(&self, state: &AppState, id: Uuid, command: A::Command) -> Result<Written, ApiError>
    where
        A: Aggregate,
        A::Error: Refusal,
    {
        self.run_as::<A>(state, id, command, true).await
    }

    async fn run_as<A>(&self, state: &AppState, id: Uuid, command: A::Command, new: bool) -> Result<Written, ApiError>
    where
        A: Aggregate,
        A::Error: Refusal,
    {
        let (ctx, meta) = self.context();
        let stream = stream_id::<A>(id);
        let name = command_name(A::CATEGORY, &command);
        let store = self.store(state);
        let outcome = if new {
            store.create::<A>(&stream, &command, &ctx, &meta).await
        } else {
            store.execute::<A>(&stream, &command, &ctx, &meta).await
        };
        let result = outcome.map(|outcome| (outcome.version, outcome.append));
        self.respond(state, &name, id, &stream, result).await
    }

    /// Runs a decision that spans aggregates (`handle` gets the store, context and metadata and
    /// makes one atomic append); the answer names the aggregate `id` of category `A`.
    pub async fn run_flow<A, E, F, Fut>(
        &self,
        state: &AppState,
        name: &str,
        id: Uuid,
        handle: F,
    ) -> Result<Written, ApiError>
    where
        A: Aggregate,
        E: Refusal,
        F: FnOnce(TenantStore, Context, CommandMeta) -> Fut,
        Fut: Future<Output = Result<AppendOutcome, CommandError<E>>>,
    {
        let (ctx, meta) = self.context();
        let stream = stream_id::<A>(id);
        let result = handle(self.store(state), ctx, meta).await.map(|append| {
            let version = append.version_of(&stream).unwrap_or_default();
            (version, Some(append))
        });
        self.respond(state, &format!("{}.{name}", A::CATEGORY), id, &stream, result)
            .await
    }

    async fn respond<E: Refusal>(
        &self,
        state: &AppState,
        name: &str,
        id: Uuid,
        stream: &str,
        result: Result<(u64, Option<AppendOutcome>), CommandError<E>>,
    ) -> Result<Written, ApiError> {
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(CommandError::Domain(_)) => "refused",
            Err(CommandError::Conflict { .. }) => "conflict",
            Err(CommandError::Store(_)) => "failed",
        };
        metrics::counter!("brigade_commands_total", "command" => name.to_owned(), "outcome" => outcome).increment(1);
        match result {
            Ok((version, append)) => {
                let position = match append.as_ref().and_then(AppendOutcome::last_position) {
                    Some(p) => p,
                    None => self.store(state).last_position(stream).await?,
                };
                let version = if version == 0 {
                    self.store(state).stream_version(stream).await?
                } else {
                    version
                };
                Ok(Written { id, version, position })
            }
            Err(CommandError::Domain(refusal)) => Err(refused(&refusal)),
            Err(CommandError::Conflict { attempts, .. }) => Err(Problem::new(
                Kind::Conflict,
                format!("others kept changing {stream} ({attempts} attempts); try again"),
            )
            .into()),
            Err(CommandError::Store(e)) => Err(ApiError::internal(e)),
        }
    }
}

/// A domain refusal as problem+json; a refusal of input names its field.
pub fn refused<E: Refusal>(refusal: &E) -> ApiError {
    let kind = match refusal.status() {
        StatusCode::NOT_FOUND => Kind::NotFound,
        StatusCode::FORBIDDEN => Kind::Forbidden,
        StatusCode::UNPROCESSABLE_ENTITY => {
            return Problem::invalid(refusal.field().unwrap_or("body"), refusal.to_string()).into();
        }
        _ => Kind::Refused,
    };
    Problem::new(kind, refusal.to_string()).into()
}

/// `order.Place`: the aggregate's category and the command's variant, for the commands counter.
fn command_name(category: &str, command: &impl std::fmt::Debug) -> String {
    let mut name = VariantName(format!("{category}."));
    // The Debug output starts with the variant's name; the writer stops it at the first character
    // that cannot be part of it, so a command's lines and notes are never formatted (formatting
    // them all was 1% of the server's CPU under load).
    let _ = std::fmt::write(&mut name, format_args!("{command:?}"));
    name.0
}

/// Keeps what is written up to the first character that is not part of an identifier, then
/// refuses the rest.
struct VariantName(String);

impl std::fmt::Write for VariantName {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        match s.find(|c: char| !c.is_alphanumeric() && c != '_') {
            Some(end) => {
                self.0.push_str(&s[..end]);
                Err(std::fmt::Error)
            }
            None => {
                self.0.push_str(s);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::command_name;

    #[derive(Debug)]
    #[allow(dead_code)]
    enum Command {
        Place { lines: Vec<u32>, notes: String },
        Send(u32),
        Close,
    }

    #[test]
    fn a_command_is_named_by_its_category_and_variant_alone() {
        let place = Command::Place {
            lines: vec![1, 2],
            notes: "no onions".into(),
        };
        assert_eq!(command_name("order", &place), "order.Place");
        assert_eq!(command_name("order", &Command::Send(3)), "order.Send");
        assert_eq!(command_name("order", &Command::Close), "order.Close");
    }
}
