-- upshift-demo 1.2.0: data migration. Every item without a category gets 'general'
-- (items named like tools get 'tools'), then the category becomes mandatory.
UPDATE items
SET category_id = (SELECT id FROM categories WHERE code = 'tools')
WHERE category_id IS NULL AND name ILIKE '%tool%';

UPDATE items
SET category_id = (SELECT id FROM categories WHERE code = 'general')
WHERE category_id IS NULL;

ALTER TABLE items ALTER COLUMN category_id SET NOT NULL;
