-- upshift-demo 1.1.0: item categories. Additive only: a new table with reference data,
-- a new nullable column and an index. 1.0.0 code keeps working on this schema.
CREATE TABLE categories (
    id   serial PRIMARY KEY,
    code text   NOT NULL UNIQUE,
    name text   NOT NULL
);

INSERT INTO categories (code, name) VALUES
    ('general', 'General'),
    ('tools',   'Tools'),
    ('parts',   'Parts');

ALTER TABLE items ADD COLUMN category_id integer REFERENCES categories (id);

CREATE INDEX idx_items_category_id ON items (category_id);
