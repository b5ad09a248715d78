-- upshift-demo 2.0.0: catch-up inside the downtime. V5 ran before the stop (pre-deployment) while
-- 1.2.0 still served: its worker kept marking items done by setting processed_at only, and its
-- backend inserted items with the default status 'new'. Bring their status up to date before 2.0.0
-- (which reads only status) starts.
UPDATE items SET status = 'processed' WHERE processed_at IS NOT NULL AND status = 'new';
