//! Stock transfers between departments.
//!
//! ```text
//! requested --validate--> validated
//!     |--reject--> rejected
//!     +--cancel--> cancelled
//! ```
//! The receiving side validates what actually arrived (0 <= validated <= requested per line; the
//! difference is a recorded discrepancy). The stock itself moves in each item's ledger, in the same
//! atomic append (see `flow::validate_transfer`), which is where "the source must hold it" is checked.

use crate::actor::Context;
use crate::aggregate::{Aggregate, EventPayload};
use crate::amount::Quantity;
use crate::catalog::{Department, TextError, optional_text};
use crate::ids::{InventoryItemId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A requested line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferLine {
    /// The inventory item moved.
    pub inventory_item_id: InventoryItemId,
    /// How much was asked for.
    pub requested: Quantity,
}

/// A validated line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValidatedLine {
    /// The inventory item moved.
    pub inventory_item_id: InventoryItemId,
    /// How much was asked for.
    pub requested: Quantity,
    /// How much arrived and was accepted.
    pub validated: Quantity,
}

impl ValidatedLine {
    /// Requested minus validated: what did not arrive.
    pub fn discrepancy(&self) -> rust_decimal::Decimal {
        self.requested.value() - self.validated.value()
    }
}

/// Where a transfer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Waiting for the receiving side.
    Requested,
    /// Stock moved.
    Validated,
    /// Refused by the receiving side.
    Rejected,
    /// Called off by the requester.
    Cancelled,
}

/// The state's name as the API and the events spell it (`validated`), so that a refusal
/// names it in the client's words, not the code's.
impl std::fmt::Display for TransferStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::wire::write_name(self, f)
    }
}

/// Commands on a transfer.
#[derive(Clone, Debug, PartialEq)]
pub enum TransferCommand {
    /// Ask for stock to move.
    Request {
        /// The department the stock leaves.
        from: Department,
        /// The department the stock goes to.
        to: Department,
        /// What is moved, item by item.
        lines: Vec<TransferLine>,
        /// Free text.
        notes: Option<String>,
    },
    /// Receiving side accepts what arrived. Every requested item must be listed once.
    Validate {
        /// Accepted quantity per item.
        lines: Vec<(InventoryItemId, Quantity)>,
    },
    /// Receiving side refuses.
    Reject {
        /// Why, in the words of whoever did it.
        reason: Option<String>,
    },
    /// Requester calls it off.
    Cancel,
}

/// Events of a transfer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum TransferEvent {
    /// Requested: waiting for the receiving side.
    #[serde(rename = "transfer.requested")]
    Requested {
        /// The department the stock leaves.
        from: Department,
        /// The department the stock goes to.
        to: Department,
        /// What is moved, item by item.
        lines: Vec<TransferLine>,
        /// Free text.
        notes: Option<String>,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Validated: the validated quantities moved.
    #[serde(rename = "transfer.validated")]
    Validated {
        /// Per line, with discrepancies.
        lines: Vec<ValidatedLine>,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Rejected: it will not go ahead.
    #[serde(rename = "transfer.rejected")]
    Rejected {
        /// Why, in the words of whoever did it.
        reason: Option<String>,
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
    /// Cancelled: nothing further happens to it.
    #[serde(rename = "transfer.cancelled")]
    Cancelled {
        /// Who did it: the acting user.
        by: UserId,
        /// When it happened: the time of the command that decided it.
        at: DateTime<Utc>,
    },
}

impl EventPayload for TransferEvent {}

/// Why a transfer command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransferError {
    /// Request twice.
    #[error("the transfer already exists")]
    AlreadyRequested,
    /// Command before request.
    #[error("the transfer does not exist")]
    NotFound,
    /// Not in `requested` any more.
    #[error("the transfer is already {0}")]
    NotPending(TransferStatus),
    /// From = to.
    #[error("a transfer must go to another department")]
    SameDepartment,
    /// No lines.
    #[error("a transfer needs at least one line")]
    NoLines,
    /// Zero requested.
    #[error("requested quantities must be more than zero")]
    ZeroQuantity,
    /// Same item twice.
    #[error("inventory item {0} appears twice")]
    DuplicateItem(InventoryItemId),
    /// Validation does not list each requested item exactly once.
    #[error("validation must list every requested item exactly once (problem with {0})")]
    LinesMismatch(InventoryItemId),
    /// Validated more than requested.
    #[error("validated quantity of {0} exceeds what was requested")]
    OverValidated(InventoryItemId),
    /// Not a role of the receiving department.
    #[error("only the receiving side ({0}) may validate or reject this transfer")]
    NotReceivingSide(Department),
    /// Cancel by someone other than the requester or a manager.
    #[error("only the requester or a manager may cancel a transfer")]
    NotRequester,
    /// Bad text.
    #[error("text: {0}")]
    BadText(TextError),
}

/// A transfer's state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    /// `None` until requested.
    pub status: Option<TransferStatus>,
    /// The department the stock leaves.
    pub from: Option<Department>,
    /// The department the stock goes to.
    pub to: Option<Department>,
    /// Requested lines.
    pub lines: Vec<TransferLine>,
    /// Who asked.
    pub requested_by: Option<UserId>,
    /// Once validated: what the receiving side accepted, what did not arrive, who and when.
    #[serde(default)]
    pub validation: Option<Validation>,
}

/// A transfer's validation as the back office reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Validation {
    /// Per line: requested, validated, and the discrepancy between them.
    pub lines: Vec<ValidatedQuantities>,
    /// Who validated it (the receiving side).
    pub by: UserId,
    /// When it happened: the time of the command that decided it.
    pub at: DateTime<Utc>,
}

/// One line of a validation: the event's line, with its discrepancy spelled out for readers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValidatedQuantities {
    /// What was requested and validated.
    #[serde(flatten)]
    pub line: ValidatedLine,
    /// Requested minus validated: what did not arrive (0 when all did).
    #[schema(value_type = crate::schema::Figure)]
    pub discrepancy: rust_decimal::Decimal,
}

impl Transfer {
    fn pending(&self) -> Result<(Department, Department), TransferError> {
        match (self.status, self.from, self.to) {
            (None, _, _) => Err(TransferError::NotFound),
            (Some(TransferStatus::Requested), Some(from), Some(to)) => Ok((from, to)),
            (Some(s), _, _) => Err(TransferError::NotPending(s)),
        }
    }

    fn validated_lines(&self, given: &[(InventoryItemId, Quantity)]) -> Result<Vec<ValidatedLine>, TransferError> {
        if let Some((extra, _)) = given
            .iter()
            .find(|(id, _)| !self.lines.iter().any(|l| l.inventory_item_id == *id))
        {
            return Err(TransferError::LinesMismatch(*extra));
        }
        self.lines
            .iter()
            .map(|l| {
                let mut matching = given.iter().filter(|(id, _)| *id == l.inventory_item_id);
                let (Some((_, validated)), None) = (matching.next(), matching.next()) else {
                    return Err(TransferError::LinesMismatch(l.inventory_item_id));
                };
                if *validated > l.requested {
                    return Err(TransferError::OverValidated(l.inventory_item_id));
                }
                Ok(ValidatedLine {
                    inventory_item_id: l.inventory_item_id,
                    requested: l.requested,
                    validated: *validated,
                })
            })
            .collect()
    }
}

impl Aggregate for Transfer {
    const CATEGORY: &'static str = "transfer";
    type Command = TransferCommand;
    type Event = TransferEvent;
    type Error = TransferError;

    fn decide(&self, command: &TransferCommand, ctx: &Context) -> Result<Vec<TransferEvent>, TransferError> {
        let (by, at) = (ctx.by(), ctx.at);
        match command {
            TransferCommand::Request { from, to, lines, notes } => {
                if self.status.is_some() {
                    return Err(TransferError::AlreadyRequested);
                }
                if from == to {
                    return Err(TransferError::SameDepartment);
                }
                if lines.is_empty() {
                    return Err(TransferError::NoLines);
                }
                let mut seen = std::collections::BTreeSet::new();
                for l in lines {
                    if !l.requested.is_positive() {
                        return Err(TransferError::ZeroQuantity);
                    }
                    if !seen.insert(l.inventory_item_id) {
                        return Err(TransferError::DuplicateItem(l.inventory_item_id));
                    }
                }
                let notes = optional_text(notes.as_deref(), 500).map_err(TransferError::BadText)?;
                Ok(vec![TransferEvent::Requested {
                    from: *from,
                    to: *to,
                    lines: lines.clone(),
                    notes,
                    by,
                    at,
                }])
            }
            TransferCommand::Validate { lines } => {
                let (_, to) = self.pending()?;
                if !ctx.actor.has_any(to.receiving_roles()) {
                    return Err(TransferError::NotReceivingSide(to));
                }
                Ok(vec![TransferEvent::Validated {
                    lines: self.validated_lines(lines)?,
                    by,
                    at,
                }])
            }
            TransferCommand::Reject { reason } => {
                let (_, to) = self.pending()?;
                if !ctx.actor.has_any(to.receiving_roles()) {
                    return Err(TransferError::NotReceivingSide(to));
                }
                let reason = optional_text(reason.as_deref(), 500).map_err(TransferError::BadText)?;
                Ok(vec![TransferEvent::Rejected { reason, by, at }])
            }
            TransferCommand::Cancel => {
                self.pending()?;
                if self.requested_by != Some(by) && !ctx.actor.is_manager() {
                    return Err(TransferError::NotRequester);
                }
                Ok(vec![TransferEvent::Cancelled { by, at }])
            }
        }
    }

    fn evolve(&mut self, event: &TransferEvent) {
        match event {
            TransferEvent::Requested {
                from, to, lines, by, ..
            } => {
                self.status = Some(TransferStatus::Requested);
                self.from = Some(*from);
                self.to = Some(*to);
                self.lines = lines.clone();
                self.requested_by = Some(*by);
            }
            TransferEvent::Validated { lines, by, at } => {
                self.status = Some(TransferStatus::Validated);
                self.validation = Some(Validation {
                    lines: lines
                        .iter()
                        .map(|l| ValidatedQuantities {
                            discrepancy: l.discrepancy().normalize(),
                            line: l.clone(),
                        })
                        .collect(),
                    by: *by,
                    at: *at,
                });
            }
            TransferEvent::Rejected { .. } => self.status = Some(TransferStatus::Rejected),
            TransferEvent::Cancelled { .. } => self.status = Some(TransferStatus::Cancelled),
        }
    }
}
