//! A kitchen ticket as the kitchen display sees it, and how order events change it. Pure: the
//! projection loads tickets, folds events into them here, and writes them back.

use brigade_domain::catalog::Station;
use brigade_domain::ids::{LineId, MenuItemId};
use brigade_domain::order::{OrderEvent, OrderLine, OrderType};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a ticket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Being taken at the POS; not on the kitchen screens yet.
    Draft,
    /// Sent; waiting to be started.
    Queued,
    /// Being cooked.
    Cooking,
    /// Every line is up (bumped; can be recalled).
    Ready,
    /// Brought back to the screens after being bumped.
    Recalled,
    /// At the table.
    Served,
    /// Cancelled: nothing further happens to it.
    Cancelled,
}

impl TicketStatus {
    /// Shown on the station screens ("open").
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TicketStatus::Queued | TicketStatus::Cooking | TicketStatus::Recalled
        )
    }

    /// The name stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Draft => "draft",
            TicketStatus::Queued => "queued",
            TicketStatus::Cooking => "cooking",
            TicketStatus::Ready => "ready",
            TicketStatus::Recalled => "recalled",
            TicketStatus::Served => "served",
            TicketStatus::Cancelled => "cancelled",
        }
    }
}

/// One line of a ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketLine {
    /// The order line.
    pub line_id: LineId,
    /// The menu item.
    pub menu_item_id: MenuItemId,
    /// Its name.
    pub name: String,
    /// Where it is cooked.
    pub station: Station,
    /// How many portions.
    pub quantity: u32,
    /// "No onions".
    pub modifications: Vec<String>,
    /// Free text.
    pub notes: Option<String>,
    /// Up at the pass.
    pub ready: bool,
    /// When it came up.
    pub ready_at: Option<DateTime<Utc>>,
}

impl From<&OrderLine> for TicketLine {
    fn from(line: &OrderLine) -> Self {
        Self {
            line_id: line.line_id,
            menu_item_id: line.menu_item_id,
            name: line.name.clone(),
            station: line.station.clone(),
            quantity: line.quantity,
            modifications: line.modifications.clone(),
            notes: line.notes.clone(),
            ready: false,
            ready_at: None,
        }
    }
}

/// A kitchen ticket: the order as the kitchen display keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = KitchenTicket)]
pub struct Ticket {
    /// The order number.
    pub number: u32,
    /// Dine-in, takeout, delivery.
    pub order_type: OrderType,
    /// The table.
    pub table: Option<u16>,
    /// Where it is.
    pub status: TicketStatus,
    /// Rush: before all others.
    pub rush: bool,
    /// Sent to the kitchen (the prep clock starts).
    pub sent_at: Option<DateTime<Utc>>,
    /// When a cook started it.
    pub started_at: Option<DateTime<Utc>>,
    /// Bumped (the prep clock stops).
    pub completed_at: Option<DateTime<Utc>>,
    /// Last recalled.
    pub recalled_at: Option<DateTime<Utc>>,
    /// The lines.
    pub lines: Vec<TicketLine>,
    /// Events applied to this ticket: a double application would show here.
    pub events: u64,
}

impl Ticket {
    /// The distinct stations of its lines, in first-seen order.
    pub fn stations(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for line in &self.lines {
            let s = line.station.to_string();
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    /// Whether the ticket has been on the screens (so its changes are news to them).
    fn was_sent(&self) -> bool {
        self.sent_at.is_some()
    }
}

/// Folds one order event into a ticket (`None` before the order is placed). Returns the name of
/// the change the kitchen screens should hear about, if any.
pub fn fold(ticket: &mut Option<Ticket>, event: &OrderEvent) -> Result<Option<&'static str>, String> {
    if let OrderEvent::Placed {
        number,
        order_type,
        table,
        lines,
        ..
    } = event
    {
        if ticket.is_some() {
            return Err("order placed twice".into());
        }
        *ticket = Some(Ticket {
            number: *number,
            order_type: *order_type,
            table: *table,
            status: TicketStatus::Draft,
            rush: false,
            sent_at: None,
            started_at: None,
            completed_at: None,
            recalled_at: None,
            lines: lines.iter().map(TicketLine::from).collect(),
            events: 1,
        });
        return Ok(None);
    }
    let t = ticket.as_mut().ok_or("an order event before order.placed")?;
    t.events += 1;
    let change = match event {
        OrderEvent::Placed { .. } => None,
        OrderEvent::LineAdded { line, .. } => {
            t.lines.push(TicketLine::from(line));
            None
        }
        OrderEvent::LineRemoved { line_id, .. } => {
            t.lines.retain(|l| l.line_id != *line_id);
            None
        }
        OrderEvent::SentToKitchen { at, .. } => {
            t.status = TicketStatus::Queued;
            t.sent_at = Some(*at);
            Some("sent")
        }
        OrderEvent::TicketStarted { at, .. } => {
            t.status = TicketStatus::Cooking;
            t.started_at = Some(*at);
            Some("started")
        }
        OrderEvent::LineReady { line_id, at, .. } => {
            let line = t
                .lines
                .iter_mut()
                .find(|l| l.line_id == *line_id)
                .ok_or("line_ready for a line the ticket does not have")?;
            line.ready = true;
            line.ready_at = Some(*at);
            Some("line_ready")
        }
        OrderEvent::TicketCompleted { at, .. } => {
            t.status = TicketStatus::Ready;
            t.completed_at = Some(*at);
            for line in t.lines.iter_mut().filter(|l| !l.ready) {
                line.ready = true;
                line.ready_at = Some(*at);
            }
            Some("completed")
        }
        OrderEvent::TicketRecalled { at, .. } => {
            t.status = TicketStatus::Recalled;
            t.recalled_at = Some(*at);
            Some("recalled")
        }
        OrderEvent::PrioritySet { rush, .. } => {
            t.rush = *rush;
            t.was_sent().then_some("priority")
        }
        OrderEvent::Served { .. } => {
            t.status = TicketStatus::Served;
            t.was_sent().then_some("served")
        }
        OrderEvent::Cancelled { .. } => {
            t.status = TicketStatus::Cancelled;
            t.was_sent().then_some("cancelled")
        }
        OrderEvent::DiscountApplied { .. }
        | OrderEvent::PaymentCaptured { .. }
        | OrderEvent::PaymentRefunded { .. }
        | OrderEvent::Closed { .. } => None,
    };
    Ok(change)
}

/// The order event types the kitchen queue applies.
pub const KITCHEN_EVENT_TYPES: &[&str] = &[
    "order.placed",
    "order.line_added",
    "order.line_removed",
    "order.sent_to_kitchen",
    "order.ticket_started",
    "order.line_ready",
    "order.ticket_completed",
    "order.ticket_recalled",
    "order.priority_set",
    "order.served",
    "order.cancelled",
];
