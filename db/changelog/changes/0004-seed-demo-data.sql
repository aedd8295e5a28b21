--liquibase formatted sql
-- The seed goes only into an empty database: where orders exist already, the precondition marks it as run and
-- nothing is inserted, so no placed order is overwritten or collides with a seeded id. (Comments inside a changeset
-- are part of its checksum, so this one stays above it.)

--changeset promdemo:0004-seed-demo-data context:demo
--preconditions onFail:MARK_RAN onError:HALT
--precondition-sql-check expectedResult:0 SELECT COUNT(*) FROM orders
--comment: Demo data: 10,000 customers and 100,000 orders with 1 to 5 items each, generated set-based.
-- Portable to MySQL 8.0 and MariaDB 10.11/11.x: a ten-row digits table cross-joined with itself makes the row
-- numbers (no MariaDB-only sequence engine, no recursive CTE and its per-server depth limit). The values are
-- deterministic functions of the row number, so every seeded database holds the same data.
CREATE TABLE seed_digit (d INT NOT NULL PRIMARY KEY);
INSERT INTO seed_digit (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);

INSERT INTO customer (customer_id, name, email, created_at)
SELECT n,
       CONCAT('Customer ', n),
       CONCAT('customer', n, '@example.com'),
       TIMESTAMP('2025-01-01 00:00:00') + INTERVAL (n * 3607) % 31536000 SECOND
FROM (SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d AS n
      FROM seed_digit a CROSS JOIN seed_digit b CROSS JOIN seed_digit c CROSS JOIN seed_digit e) s;

INSERT INTO orders (order_id, customer_id, total_amount, status, created_at)
SELECT n,
       1 + (n * 7919) % 10000,
       0,
       ELT(1 + n % 5, 'NEW', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'),
       TIMESTAMP('2026-01-01 00:00:00') + INTERVAL (n * 263) % 25920000 SECOND
FROM (SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n
      FROM seed_digit a CROSS JOIN seed_digit b CROSS JOIN seed_digit c CROSS JOIN seed_digit e
           CROSS JOIN seed_digit f) s;

INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT o.order_id,
       1 + (o.order_id * 131 + k.d * 977) % 5000,
       1 + (o.order_id + k.d) % 4,
       1 + ((o.order_id * 17 + k.d * 29) % 20000) / 100
FROM orders o
JOIN seed_digit k ON k.d BETWEEN 1 AND 5 AND k.d <= 1 + (o.order_id * 31) % 5
ORDER BY o.order_id, k.d;

UPDATE orders o
JOIN (SELECT order_id, SUM(quantity * unit_price) AS total FROM order_items GROUP BY order_id) t
  ON t.order_id = o.order_id
SET o.total_amount = t.total;

DROP TABLE seed_digit;
--rollback DELETE FROM order_items; DELETE FROM orders; DELETE FROM customer;
