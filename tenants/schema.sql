-- The tenants' tables in the target PostgreSQL database (seed 004), as REFERENCE_DATA.md lays
-- them out. Declared by TenantsConfig.reference_schema; the dev tooling's ensure_target_schema()
-- runs every kind's script in one transaction, so every statement here is idempotent.

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
