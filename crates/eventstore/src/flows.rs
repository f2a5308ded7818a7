//! Command handlers for decisions that span aggregates: each loads every state involved, decides
//! with the domain's pure `flow` functions, and writes all resulting events in one atomic
//! multi-stream append with the versions it loaded, retrying the whole decision on a conflict.
//! Every event of the append carries the same command, correlation and causation ids, so the
//! audit trail shows what caused each derived event (an order's stock consumption, say).

use crate::command::{CommandError, MAX_ATTEMPTS, retry_on_conflict};
use crate::store::TenantStore;
use crate::stream::{AppendOutcome, CommandMeta, ExpectedVersion, StreamAppend};
use brigade_domain::amount::Quantity;
use brigade_domain::catalog::UnitOfMeasure;
use brigade_domain::flow::{self, FlowError, StockEvents};
use brigade_domain::ids::{InventoryItemId, MenuItemId, OrderId, PurchaseOrderId, ReceiptId, TransferId};
use brigade_domain::inventory_item::{
    ClaimSku, InventoryItem, InventoryItemCommand, ItemDetails, SkuClaim, normalize_sku,
};
use brigade_domain::menu_item::{MenuItem, MenuItemError, MenuItemSnapshot};
use brigade_domain::order::Order;
use brigade_domain::purchase_order::{PurchaseOrder, ReceivedLine};
use brigade_domain::stock::StockLedger;
use brigade_domain::transfer::Transfer;
use brigade_domain::{Aggregate, Context, stream_id};
use std::collections::BTreeMap;

/// Stock events for ledgers whose versions were not loaded: consumption and receipts are never
/// refused, so they append whatever the ledger's version (the row lock still orders them).
fn any_version(stock: &StockEvents) -> Vec<StreamAppend> {
    stock
        .iter()
        .map(|(item, events)| StreamAppend::new(stream_id::<StockLedger>(item), ExpectedVersion::Any, events))
        .collect()
}

/// Why a catalog registration failed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RegistrationError {
    /// The item refused.
    #[error(transparent)]
    Item(#[from] brigade_domain::inventory_item::InventoryItemError),
    /// The SKU is held by another item.
    #[error(transparent)]
    SkuTaken(#[from] brigade_domain::inventory_item::SkuTaken),
}

impl TenantStore {
    /// A refusal of a command that already took effect (a client's retry) is answered with the
    /// command's first outcome, as [`TenantStore::execute`] does for single-aggregate commands.
    async fn or_recorded<E: std::error::Error>(
        &self,
        meta: &CommandMeta,
        result: Result<AppendOutcome, CommandError<E>>,
    ) -> Result<AppendOutcome, CommandError<E>> {
        match result {
            Err(CommandError::Domain(refusal)) => match self.recorded_outcome(meta.command_id).await? {
                Some(first) => Ok(first),
                None => Err(CommandError::Domain(refusal)),
            },
            other => other,
        }
    }

    /// Registers an inventory item and claims its SKU in one append: two items can never share one.
    pub async fn register_inventory_item(
        &self,
        item: InventoryItemId,
        sku: &str,
        unit: UnitOfMeasure,
        details: ItemDetails,
        ctx: &Context,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, CommandError<RegistrationError>> {
        let sku = normalize_sku(sku).map_err(|e| CommandError::Domain(e.into()))?;
        let command = InventoryItemCommand::Register {
            sku: sku.clone(),
            unit,
            details,
        };
        let (item_stream, sku_stream) = (stream_id::<InventoryItem>(item), stream_id::<SkuClaim>(&sku));
        let result = retry_on_conflict(MAX_ATTEMPTS, || async {
            let current = self.load::<InventoryItem>(&item_stream).await?;
            let claim = self.load::<SkuClaim>(&sku_stream).await?;
            let events = current
                .state
                .decide(&command, ctx)
                .map_err(|e| CommandError::Domain(e.into()))?;
            let claimed = claim
                .state
                .decide(&ClaimSku { item }, ctx)
                .map_err(|e| CommandError::Domain(e.into()))?;
            let appends = [
                StreamAppend::new(&item_stream, ExpectedVersion::at(current.version), &events),
                StreamAppend::new(&sku_stream, ExpectedVersion::at(claim.version), &claimed),
            ];
            Ok(self.append(meta, &appends).await?)
        })
        .await;
        self.or_recorded(meta, result).await
    }

    /// The menu items an order line refers to, as on offer now (refused if unknown or withdrawn).
    pub async fn offer(&self, menu_item: MenuItemId) -> Result<MenuItemSnapshot, CommandError<MenuItemError>> {
        let loaded = self.load::<MenuItem>(&stream_id::<MenuItem>(menu_item)).await?;
        loaded.state.offer(menu_item).map_err(CommandError::Domain)
    }

    /// One aggregate decided together with stock movements that are never refused (consumption,
    /// receipts): the aggregate is appended at the version loaded, the ledgers at any version.
    async fn with_stock_movements<A, F>(
        &self,
        stream: &str,
        meta: &CommandMeta,
        decide: F,
    ) -> Result<AppendOutcome, CommandError<FlowError>>
    where
        A: Aggregate,
        F: Fn(&A) -> Result<(Vec<A::Event>, StockEvents), FlowError> + Sync,
    {
        let result = retry_on_conflict(MAX_ATTEMPTS, || async {
            let current = self.load::<A>(stream).await?;
            let (events, stock) = decide(&current.state).map_err(CommandError::Domain)?;
            let mut appends = vec![StreamAppend::new(stream, ExpectedVersion::at(current.version), &events)];
            appends.extend(any_version(&stock));
            Ok(self.append(meta, &appends).await?)
        })
        .await;
        self.or_recorded(meta, result).await
    }

    /// Fires an order and records its recipe consumption, atomically.
    pub async fn send_to_kitchen(
        &self,
        order: OrderId,
        ctx: &Context,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, CommandError<FlowError>> {
        let stream = stream_id::<Order>(order);
        self.with_stock_movements(&stream, meta, |state: &Order| flow::send_to_kitchen(state, order, ctx))
            .await
    }

    /// Receives goods against a purchase order; each line enters procurement stock at its cost.
    pub async fn receive_goods(
        &self,
        po: PurchaseOrderId,
        receipt: ReceiptId,
        lines: &[ReceivedLine],
        allow_over_receipt: bool,
        ctx: &Context,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, CommandError<FlowError>> {
        let stream = stream_id::<PurchaseOrder>(po);
        self.with_stock_movements(&stream, meta, |state: &PurchaseOrder| {
            flow::receive_goods(state, po, receipt, lines, allow_over_receipt, ctx)
        })
        .await
    }

    /// Validates a transfer: checks the source holds each validated quantity and moves it, with
    /// the ledgers' versions as loaded, so a concurrent movement forces a fresh decision.
    pub async fn validate_transfer(
        &self,
        transfer: TransferId,
        lines: &[(InventoryItemId, Quantity)],
        ctx: &Context,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, CommandError<FlowError>> {
        let transfer_stream = stream_id::<Transfer>(transfer);
        let result = retry_on_conflict(MAX_ATTEMPTS, || async {
            let current = self.load::<Transfer>(&transfer_stream).await?;
            let mut ledgers = BTreeMap::new();
            let mut versions = BTreeMap::new();
            for (item, _) in lines {
                let ledger = self.load::<StockLedger>(&stream_id::<StockLedger>(item)).await?;
                versions.insert(*item, ledger.version);
                ledgers.insert(*item, ledger.state);
            }
            let (events, stock) = flow::validate_transfer(&current.state, transfer, &ledgers, lines, ctx)
                .map_err(CommandError::Domain)?;
            let mut appends = vec![StreamAppend::new(
                &transfer_stream,
                ExpectedVersion::at(current.version),
                &events,
            )];
            for (item, stock_events) in &stock {
                let version = versions.get(item).copied().unwrap_or_default();
                appends.push(StreamAppend::new(
                    stream_id::<StockLedger>(item),
                    ExpectedVersion::at(version),
                    stock_events,
                ));
            }
            Ok(self.append(meta, &appends).await?)
        })
        .await;
        self.or_recorded(meta, result).await
    }
}
