-- Payments in the sales read model: a refund names a payment, not its order, so the API finds the
-- order here. Filled by the sales projection from `order.payment_captured`; the backfill below
-- covers what the projection had already applied when this migration ran (later events it applies
-- itself; a rebuild makes the same rows).
CREATE TABLE sales.payments (
    tenant_id   uuid        NOT NULL,
    payment_id  uuid        NOT NULL,
    order_id    uuid        NOT NULL,
    method      text        NOT NULL,
    amount      numeric     NOT NULL,
    tip         numeric     NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, payment_id)
);
CREATE INDEX payments_order ON sales.payments (tenant_id, order_id);

INSERT INTO sales.payments (tenant_id, payment_id, order_id, method, amount, tip, at)
SELECT e.tenant_id,
       (e.payload::jsonb->>'payment_id')::uuid,
       substr(e.stream_id, length('order-') + 1)::uuid,
       e.payload::jsonb->>'method',
       (e.payload::jsonb->>'amount')::numeric,
       (e.payload::jsonb->>'tip')::numeric,
       (e.payload::jsonb->>'at')::timestamptz
  FROM events e, projection_checkpoints c
 WHERE c.name = 'sales' AND e.event_type = 'order.payment_captured'
   AND (e.transaction_id::text::bigint, e.position) <= (c.transaction_id, c.position);

-- Order numbers: a short number per organization and local business day, handed out by the API
-- when a POS places an order without one (a skipped number, when a placement is refused, is
-- normal on a POS).
CREATE TABLE api.order_numbers (
    tenant_id   uuid    NOT NULL,
    day         date    NOT NULL,
    last        integer NOT NULL,
    PRIMARY KEY (tenant_id, day)
);
