-- Backstops for the API's bounds (packages/contracts/src/fields.ts): a unit price of at most
-- 10^10 minor units and at most 10^9 units on hand, so line and order totals stay exact and
-- stock arithmetic never overflows int4. The API refuses larger values with a 422 first.
ALTER TABLE variants ADD CONSTRAINT variants_price_max CHECK (price_minor <= 10000000000 AND (compare_at_minor IS NULL OR compare_at_minor <= 10000000000));
--> statement-breakpoint
ALTER TABLE inventory ADD CONSTRAINT inventory_on_hand_max CHECK (on_hand <= 1000000000);
