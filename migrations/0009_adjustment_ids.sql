-- A stock adjustment is found again by its own id (GET /api/v1/stock/adjustments/{id}): the
-- movement it made keeps it. Rows written before this migration have none until the stock read
-- model is rebuilt (`brigade-replay rebuild stock`).
ALTER TABLE stock.movements ADD COLUMN adjustment_id uuid;
CREATE INDEX movements_adjustment ON stock.movements (tenant_id, adjustment_id) WHERE adjustment_id IS NOT NULL;
