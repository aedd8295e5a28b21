--liquibase formatted sql

--changeset promdemo:0002-create-orders
-- Amounts are exact decimals. created_at is written by the API in UTC (DATETIME has no time zone of its own).
-- The (customer_id, created_at) index serves "orders of a customer, newest first" and backs the foreign key.
CREATE TABLE orders (
    order_id     BIGINT        NOT NULL AUTO_INCREMENT,
    customer_id  BIGINT        NOT NULL,
    total_amount DECIMAL(14,2) NOT NULL,
    status       VARCHAR(16)   NOT NULL,
    created_at   DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    CONSTRAINT pk_orders PRIMARY KEY (order_id),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id),
    CONSTRAINT ck_orders_total CHECK (total_amount >= 0),
    INDEX ix_orders_customer_created (customer_id, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
--rollback DROP TABLE orders;
