-- Fan-out and read models. Everything here is derived from `events` and can be dropped and rebuilt.

-- How far the relay has published to JetStream (acknowledged publishes only). One row per relay
-- name; the relay holding the advisory lock is the only writer, through the locked connection.
CREATE TABLE relay_checkpoints (
    name            text        PRIMARY KEY,
    transaction_id  bigint      NOT NULL DEFAULT 0,
    position        bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Each projection's checkpoint: everything of its types up to (transaction_id, position) in the
-- global log has taken effect in its tables, in the same transaction as this row's update.
CREATE TABLE projection_checkpoints (
    name            text        PRIMARY KEY,
    transaction_id  bigint      NOT NULL DEFAULT 0,
    position        bigint      NOT NULL DEFAULT 0,
    applied_events  bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Set by an operator (`retry`); the worker re-applies parked events and clears it.
    retry_requested boolean     NOT NULL DEFAULT false,
    last_error      text
);

-- Events a projection could not apply (after retries), and the events of the same stream that
-- came after them (held back, never applied out of order). Retried on an operator's request.
CREATE TABLE projection_parked (
    name            text        NOT NULL,
    position        bigint      NOT NULL,
    transaction_id  bigint      NOT NULL,
    tenant_id       uuid        NOT NULL,
    stream_id       text        NOT NULL,
    event_type      text        NOT NULL,
    error           text        NOT NULL,
    parked_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, transaction_id, position)
);

-- Read models live in one schema each, so that a rebuild can build a shadow copy next to them
-- (same tables, `<schema>_rebuild`) by switching the search_path, compare it, and swap it in.
-- No column holds a wall-clock time or a sequence value: rebuilt contents are identical.

CREATE SCHEMA kitchen_queue;

-- One ticket per order (its lines carry their stations); `doc` is the whole ticket.
CREATE TABLE kitchen_queue.tickets (
    tenant_id     uuid        NOT NULL,
    order_id      uuid        NOT NULL,
    status        text        NOT NULL,
    completed_at  timestamptz,
    doc           jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX tickets_open ON kitchen_queue.tickets (tenant_id, status);

-- The change feed the live kitchen endpoint follows: one row per visible change, keyed by the
-- global-log place of the event that made it, (transaction_id, position): the order changes are
-- applied in, so a screen resuming after the last one it saw misses nothing.
CREATE TABLE kitchen_queue.changes (
    tenant_id       uuid        NOT NULL,
    transaction_id  bigint      NOT NULL,
    position        bigint      NOT NULL,
    order_id    uuid        NOT NULL,
    change      text        NOT NULL,
    stations    text[]      NOT NULL,
    at          timestamptz NOT NULL,
    ticket      jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, transaction_id, position)
);

CREATE SCHEMA stock;

-- Per inventory item: catalog details, quantities per department and the valuation state (FIFO
-- layers and weighted average) as `doc`; the figures reports read are columns.
CREATE TABLE stock.items (
    tenant_id   uuid        NOT NULL,
    item_id     uuid        NOT NULL,
    quantity    numeric     NOT NULL,
    value_fifo  numeric     NOT NULL,
    value_avco  numeric     NOT NULL,
    doc         jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, item_id)
);

CREATE TABLE stock.levels (
    tenant_id   uuid        NOT NULL,
    item_id     uuid        NOT NULL,
    department  text        NOT NULL,
    quantity    numeric     NOT NULL,
    PRIMARY KEY (tenant_id, item_id, department)
);

-- Every movement, valued both ways when it is an issue, with the item's figures after it (what
-- `as_of` reads). `ordinal` numbers the rows one event makes (a consumption has one per line).
CREATE TABLE stock.movements (
    tenant_id       uuid        NOT NULL,
    position        bigint      NOT NULL,
    ordinal         integer     NOT NULL,
    item_id         uuid        NOT NULL,
    at              timestamptz NOT NULL,
    kind            text        NOT NULL,
    department      text        NOT NULL,
    to_department   text,
    quantity        numeric     NOT NULL,
    unit_cost       numeric,
    order_id        uuid,
    menu_item_id    uuid,
    category        text,
    reason          text,
    cost_fifo       numeric     NOT NULL,
    cost_avco       numeric     NOT NULL,
    quantity_after  numeric     NOT NULL,
    value_fifo_after numeric    NOT NULL,
    value_avco_after numeric    NOT NULL,
    PRIMARY KEY (tenant_id, position, ordinal)
);
CREATE INDEX movements_item_time ON stock.movements (tenant_id, item_id, at);
CREATE INDEX movements_order ON stock.movements (tenant_id, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX movements_kind_time ON stock.movements (tenant_id, kind, at);

CREATE SCHEMA sales;

-- Per order: what the P&L, menu engineering and customer figures need.
CREATE TABLE sales.orders (
    tenant_id       uuid        NOT NULL,
    order_id        uuid        NOT NULL,
    status          text        NOT NULL,
    customer_id     uuid,
    covers          integer,
    sent            boolean     NOT NULL,
    closed_at       timestamptz,
    cancelled_at    timestamptz,
    food_sales      numeric     NOT NULL,
    beverage_sales  numeric     NOT NULL,
    discount        numeric     NOT NULL,
    tax             numeric     NOT NULL,
    tips            numeric     NOT NULL,
    events          bigint      NOT NULL,
    doc             jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX orders_closed ON sales.orders (tenant_id, closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX orders_cancelled ON sales.orders (tenant_id, cancelled_at) WHERE cancelled_at IS NOT NULL;

-- The lines of closed orders (menu engineering's sold portions and revenue).
CREATE TABLE sales.sold_lines (
    tenant_id     uuid        NOT NULL,
    order_id      uuid        NOT NULL,
    line_id       uuid        NOT NULL,
    menu_item_id  uuid        NOT NULL,
    name          text        NOT NULL,
    category      text        NOT NULL,
    quantity      numeric     NOT NULL,
    revenue       numeric     NOT NULL,
    closed_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, order_id, line_id)
);
CREATE INDEX sold_lines_closed ON sales.sold_lines (tenant_id, closed_at);

CREATE TABLE sales.refunds (
    tenant_id   uuid        NOT NULL,
    refund_id   uuid        NOT NULL,
    order_id    uuid        NOT NULL,
    payment_id  uuid        NOT NULL,
    amount      numeric     NOT NULL,
    reason      text        NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, refund_id)
);

CREATE TABLE sales.expenses (
    tenant_id   uuid        NOT NULL,
    expense_id  uuid        NOT NULL,
    category    text        NOT NULL,
    amount      numeric     NOT NULL,
    -- The day the expense belongs to (the P&L period), as entered.
    date        date        NOT NULL,
    doc         jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, expense_id)
);

CREATE TABLE sales.customers (
    tenant_id       uuid        NOT NULL,
    customer_id     uuid        NOT NULL,
    order_count     bigint      NOT NULL,
    total_spent     numeric     NOT NULL,
    last_order_at   timestamptz,
    loyalty_points  numeric     NOT NULL,
    doc             jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);

-- Organization settings (timezone for periods, loyalty rate, kitchen thresholds) and the menu on
-- offer (menu engineering counts items that did not sell).
CREATE TABLE sales.organizations (
    tenant_id   uuid        PRIMARY KEY,
    name        text        NOT NULL,
    settings    jsonb       NOT NULL
);

CREATE TABLE sales.menu_items (
    tenant_id     uuid        NOT NULL,
    menu_item_id  uuid        NOT NULL,
    active        boolean     NOT NULL,
    doc           jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, menu_item_id)
);
