-- The target PostgreSQL database's layout, as described in REFERENCE_DATA.md.
-- Applied by deletion_console.seeding.schema.ensure_target_schema(): every statement is
-- idempotent, and the whole script runs in one transaction.

-- Two processes creating the same table at once can both pass IF NOT EXISTS and then collide
-- on the catalog's unique index: serialise them.
SELECT pg_advisory_xact_lock(hashtext('deletion_console.seeding.target_schema'));

-- Campaigns (seed 000) ------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS public.players (
    id text PRIMARY KEY,
    display_name text
);

CREATE TABLE IF NOT EXISTS public.player_campaigns (
    player_id text NOT NULL REFERENCES public.players (id),
    campaign_id text NOT NULL,
    role text,
    joined_at timestamptz,
    PRIMARY KEY (player_id, campaign_id)
);
-- The primary key leads with player_id; deletes and counts select by campaign.
CREATE INDEX IF NOT EXISTS player_campaigns_campaign_id ON public.player_campaigns (campaign_id);

CREATE TABLE IF NOT EXISTS public.campaign_sessions (
    id bigserial PRIMARY KEY,
    campaign_id text NOT NULL,
    scheduled_at timestamptz
);
CREATE INDEX IF NOT EXISTS campaign_sessions_campaign_id ON public.campaign_sessions (campaign_id);

-- Deliberately no ON DELETE CASCADE: a session cannot go while its attendance rows remain.
CREATE TABLE IF NOT EXISTS public.session_attendance (
    session_id bigint NOT NULL REFERENCES public.campaign_sessions (id),
    player_id text NOT NULL REFERENCES public.players (id)
);
-- Without it, every deleted session would scan attendance to check the foreign key.
CREATE INDEX IF NOT EXISTS session_attendance_session_id ON public.session_attendance (session_id);

-- Tenants (seed 004) --------------------------------------------------------------------------
-- Every foreign key column is indexed: deleting a parent row checks its children through it.
-- Ids default to random UUIDs so tests may insert rows by hand; the seeder supplies its own.

CREATE TABLE IF NOT EXISTS public.tenants (
    id text PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE SCHEMA IF NOT EXISTS orders;

CREATE TABLE IF NOT EXISTS orders.orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    order_number text,
    status text,
    total numeric(12, 2),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS orders_tenant_id ON orders.orders (tenant_id);

CREATE TABLE IF NOT EXISTS orders.order_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    order_id uuid NOT NULL REFERENCES orders.orders (id),
    product_sku text,
    quantity integer,
    unit_price numeric(10, 2)
);
CREATE INDEX IF NOT EXISTS order_items_tenant_id ON orders.order_items (tenant_id);
CREATE INDEX IF NOT EXISTS order_items_order_id ON orders.order_items (order_id);

-- No tenant_id: reached only through its order, and removed with it.
CREATE TABLE IF NOT EXISTS orders.order_status_history (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id uuid NOT NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
    status text,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS order_status_history_order_id ON orders.order_status_history (order_id);

CREATE SCHEMA IF NOT EXISTS inventory;

CREATE TABLE IF NOT EXISTS inventory.inventory_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    sku text,
    name text,
    quantity integer,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS inventory_items_tenant_id ON inventory.inventory_items (tenant_id);

CREATE TABLE IF NOT EXISTS inventory.inventory_transactions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    item_id uuid NOT NULL REFERENCES inventory.inventory_items (id),
    quantity_change integer,
    reason text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS inventory_transactions_tenant_id ON inventory.inventory_transactions (tenant_id);
CREATE INDEX IF NOT EXISTS inventory_transactions_item_id ON inventory.inventory_transactions (item_id);

CREATE TABLE IF NOT EXISTS inventory.stock_alerts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    item_id uuid NOT NULL REFERENCES inventory.inventory_items (id),
    threshold integer,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS stock_alerts_tenant_id ON inventory.stock_alerts (tenant_id);
CREATE INDEX IF NOT EXISTS stock_alerts_item_id ON inventory.stock_alerts (item_id);

CREATE SCHEMA IF NOT EXISTS suppliers;

CREATE TABLE IF NOT EXISTS suppliers.suppliers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    catalogue_id text,
    name text
);
CREATE INDEX IF NOT EXISTS suppliers_tenant_id ON suppliers.suppliers (tenant_id);

CREATE TABLE IF NOT EXISTS suppliers.purchase_orders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    supplier_id uuid NOT NULL REFERENCES suppliers.suppliers (id),
    status text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS purchase_orders_tenant_id ON suppliers.purchase_orders (tenant_id);
CREATE INDEX IF NOT EXISTS purchase_orders_supplier_id ON suppliers.purchase_orders (supplier_id);

-- No tenant_id: reached only through its purchase order.
CREATE TABLE IF NOT EXISTS suppliers.purchase_order_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    purchase_order_id uuid NOT NULL REFERENCES suppliers.purchase_orders (id),
    sku text,
    quantity integer
);
CREATE INDEX IF NOT EXISTS purchase_order_items_purchase_order_id
    ON suppliers.purchase_order_items (purchase_order_id);

CREATE SCHEMA IF NOT EXISTS pos;

CREATE TABLE IF NOT EXISTS pos.pos_configurations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    name text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pos_configurations_tenant_id ON pos.pos_configurations (tenant_id);

CREATE TABLE IF NOT EXISTS pos.pos_sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    configuration_id uuid NOT NULL REFERENCES pos.pos_configurations (id),
    opened_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pos_sessions_tenant_id ON pos.pos_sessions (tenant_id);
CREATE INDEX IF NOT EXISTS pos_sessions_configuration_id ON pos.pos_sessions (configuration_id);

CREATE TABLE IF NOT EXISTS pos.pos_transactions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    session_id uuid NOT NULL REFERENCES pos.pos_sessions (id),
    amount numeric(10, 2),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS pos_transactions_tenant_id ON pos.pos_transactions (tenant_id);
CREATE INDEX IF NOT EXISTS pos_transactions_session_id ON pos.pos_transactions (session_id);

CREATE SCHEMA IF NOT EXISTS alerts;

CREATE TABLE IF NOT EXISTS alerts.alert_rules (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    name text,
    condition text
);
CREATE INDEX IF NOT EXISTS alert_rules_tenant_id ON alerts.alert_rules (tenant_id);

CREATE TABLE IF NOT EXISTS alerts.alerts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    rule_id uuid NOT NULL REFERENCES alerts.alert_rules (id),
    severity text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alerts_tenant_id ON alerts.alerts (tenant_id);
CREATE INDEX IF NOT EXISTS alerts_rule_id ON alerts.alerts (rule_id);

CREATE TABLE IF NOT EXISTS alerts.alert_history (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id text NOT NULL,
    alert_id uuid NOT NULL REFERENCES alerts.alerts (id),
    status text,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_history_tenant_id ON alerts.alert_history (tenant_id);
CREATE INDEX IF NOT EXISTS alert_history_alert_id ON alerts.alert_history (alert_id);

-- No tenant_id: reached only through its alert.
CREATE TABLE IF NOT EXISTS alerts.alert_notifications (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_id uuid NOT NULL REFERENCES alerts.alerts (id),
    channel text,
    sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_notifications_alert_id ON alerts.alert_notifications (alert_id);
