--liquibase formatted sql

--changeset promdemo:0003-create-order-items
-- GET /api/order/{id} reads an order's items by order_id: ix_order_items_order serves that lookup (and the FK).
-- The CHECK constraints repeat the API's validation so no other writer can store a nonsensical line.
CREATE TABLE order_items (
    item_id    BIGINT        NOT NULL AUTO_INCREMENT,
    order_id   BIGINT        NOT NULL,
    product_id BIGINT        NOT NULL,
    quantity   INT           NOT NULL,
    unit_price DECIMAL(10,2) NOT NULL,
    CONSTRAINT pk_order_items PRIMARY KEY (item_id),
    CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (order_id),
    CONSTRAINT ck_order_items_quantity CHECK (quantity > 0),
    CONSTRAINT ck_order_items_price CHECK (unit_price >= 0),
    INDEX ix_order_items_order (order_id, item_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
--rollback DROP TABLE order_items;
