-- The database of the README's `advise` example: two tables with no index for the workload
-- in queries.sql, and one index that another index makes redundant.
--   createdb advise_demo && psql -d advise_demo -f examples/advise_demo/setup.sql
CREATE EXTENSION IF NOT EXISTS hypopg;

CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL
);

CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers,
    status text NOT NULL,
    placed_at timestamptz NOT NULL,
    total numeric(12, 2) NOT NULL
);

INSERT INTO customers (email, name)
SELECT 'customer' || g || '@example.com', 'Customer ' || g FROM generate_series(1, 20000) AS g;

INSERT INTO orders (customer_id, status, placed_at, total)
SELECT 1 + (g * 7919) % 20000, (ARRAY['pending', 'paid', 'shipped', 'delivered'])[1 + g % 4],
       timestamptz '2025-01-01 00:00+00' + g * interval '1 minute', (g % 500) + 0.99
FROM generate_series(1, 100000) AS g;

CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_status_placed_idx ON orders (status, placed_at);

ANALYZE;
