-- The workload of the README's `advise` example (run setup.sql first).

-- name: login
-- frequency: 20
SELECT id, name FROM customers WHERE email = :email;

-- name: orders_of_customer
-- frequency: 50
SELECT id, status, placed_at, total FROM orders WHERE customer_id = :customer_id ORDER BY placed_at DESC LIMIT 20;
