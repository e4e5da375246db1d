-- Checkout as one PL/pgSQL function, called in one statement (one round trip, one transaction).
-- The batch of 11 statements it replaces was planned afresh on every checkout, as everything
-- sent over Neon's HTTP API is (nothing there is prepared): with pg_stat_statements'
-- track_planning on, about 8 ms of a checkout's 12 ms of statement time under load was planning.
-- PL/pgSQL keeps its statements' plans for the life of the connection, so a pooled connection
-- plans each of them once. The steps, their order (the contended row locks last) and their
-- refusals (oja_assert's reasons) are those of the batch, except that each line's stock is now
-- locked, reserved and measured by one update; the commerce Worker builds the request (ids, the
-- token's hash, the lines in lock order) and explains a refusal.
--
-- A join of jsonb_to_recordset (which the planner guesses at 100 rows) with variants or inventory
-- was planned as a hash join over a sequential scan of the whole table, a cost that grew with the
-- catalog (5,000 variants in the bench: most of the server's CPU per checkout). Every such join
-- here also names its rows by primary key (`= ANY(v_variant_ids)`), so it reads only the cart's.
--
-- Additive, like every migration: the batch still works beside it while a deploy rolls out.
CREATE OR REPLACE FUNCTION oja_append_claimed_event(p_id text, p_type text, p_store_id text, p_aggregate_id text,
	p_payload jsonb, p_request_id text, p_claim_seconds integer) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_sequence bigint;
	v_row jsonb;
BEGIN
	-- The upsert's row lock serialises one aggregate's writers, so its sequences are gap-free (as appendEvent).
	INSERT INTO aggregate_sequences (aggregate_id, last_sequence) VALUES (p_aggregate_id, 1)
	ON CONFLICT (aggregate_id) DO UPDATE SET last_sequence = aggregate_sequences.last_sequence + 1
	RETURNING last_sequence INTO v_sequence;
	INSERT INTO outbox AS o (id, type, store_id, aggregate_id, sequence, payload, request_id, claimed_until)
	VALUES (p_id, p_type, p_store_id, p_aggregate_id, v_sequence, p_payload, p_request_id,
		now() + make_interval(secs => p_claim_seconds))
	RETURNING jsonb_build_object('id', o.id, 'type', o.type, 'store_id', o.store_id, 'aggregate_id', o.aggregate_id,
		'sequence', o.sequence, 'payload', o.payload, 'request_id', o.request_id, 'occurred_at', o.occurred_at)
	INTO v_row;
	RETURN v_row;
END;
$$;
--> statement-breakpoint
-- order_json as PL/pgSQL, same body: as a SQL function it was planned afresh on every call (about
-- 0.3 ms, more than it takes to run), once per checkout and once per order a notice or page reads.
CREATE OR REPLACE FUNCTION order_json(p_order_id text, p_timeline boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN (
		SELECT jsonb_build_object(
			'id', o.id, 'number', o.number, 'status', o.status, 'paymentStatus', o.payment_status,
			'fulfilmentStatus', o.fulfilment_status, 'paymentMethod', o.payment_method, 'currency', o.currency,
			'lines', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'id', l.id, 'variantId', l.variant_id, 'productId', l.product_id, 'title', l.title,
				'variantTitle', l.variant_title, 'sku', l.sku, 'unitPriceMinor', l.unit_price_minor,
				'quantity', l.quantity, 'lineTotalMinor', l.line_total_minor, 'fulfilledQuantity', l.fulfilled_quantity)
				ORDER BY l.position) FROM order_lines l WHERE l.order_id = o.id), '[]'::jsonb),
			'subtotalMinor', o.subtotal_minor, 'discountMinor', o.discount_minor, 'discountCode', o.discount_code,
			'deliveryMinor', o.delivery_minor, 'totalMinor', o.total_minor, 'delivery', o.delivery,
			'customer', jsonb_build_object('name', o.name, 'email', o.email, 'phone', o.phone),
			'shippingAddress', o.shipping_address, 'note', o.note,
			'expiresAt', to_char(o.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
			'createdAt', to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
			'updatedAt', to_char(o.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
		|| CASE WHEN p_timeline THEN jsonb_build_object('timeline', coalesce((SELECT jsonb_agg(jsonb_build_object(
				'at', to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'kind', t.kind, 'field', t.field,
				'from', t.from_value, 'to', t.to_value, 'actor', t.actor, 'reason', t.reason) ORDER BY t.at, t.id)
				FROM order_timeline t WHERE t.order_id = o.id), '[]'::jsonb)) ELSE '{}'::jsonb END
		FROM orders o WHERE o.id = p_order_id
	);
END;
$$;
--> statement-breakpoint
-- The stock label a shopper sees; LOW_STOCK (workers/commerce/src/stock-events.ts) is passed in.
CREATE OR REPLACE FUNCTION oja_stock_label(p_available integer, p_low_stock integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_available <= 0 THEN 'sold_out' WHEN p_available <= p_low_stock THEN 'low' ELSE 'in_stock' END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION oja_checkout(req jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_store text := req->>'storeId';
	v_cart text := req->>'cartId';
	v_key text := req->>'idempotencyKey';
	v_attempt text := req->>'attempt';
	v_order text := req->>'orderId';
	-- [{line_id, variant_id, quantity, position}], sorted by variant id: the order rows are locked in.
	v_lines jsonb := req->'lines';
	v_variant_ids text[] := ARRAY(SELECT x->>'variant_id' FROM jsonb_array_elements(req->'lines') AS x);
	v_count integer := jsonb_array_length(req->'lines');
	v_email text := req->>'email';
	v_phone text := req->>'phone';
	v_name text := req->>'name';
	v_address jsonb := CASE WHEN jsonb_typeof(req->'shippingAddress') = 'object' THEN req->'shippingAddress' END;
	v_method text := req->>'paymentMethod';
	v_online boolean := (req->>'paymentMethod') = 'online';
	v_code text := req->>'discountCode';
	v_customer_keys text[] := ARRAY(SELECT jsonb_array_elements_text(req->'customerKeys'));
	v_request_id text := req->>'requestId';
	v_claim_seconds integer := (req->>'claimSeconds')::integer;
	v_low_stock integer := (req->>'lowStock')::integer;
	v_show_counts boolean;
	v_line record;
	v_available integer;
	v_crossed text[] := '{}';
	v_dlv record;
	v_disc record;
	v_known record;
	v_matched integer;
	v_currency text;
	v_subtotal bigint;
	v_discount bigint := 0;
	v_discount_id text;
	v_discount_code text;
	v_total bigint;
	v_customer text;
	v_number integer;
	v_created jsonb;
	v_reserved jsonb;
	v_response jsonb;
BEGIN
	-- The idempotency key first: a key already claimed is a replay (or a request still running).
	INSERT INTO idempotency_keys (store_id, cart_id, key, request_hash, attempt)
	VALUES (v_store, v_cart, v_key, req->>'requestHash', v_attempt)
	ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS v_matched = ROW_COUNT;
	PERFORM oja_assert(v_matched = 1, 'idempotency-replay');

	PERFORM oja_assert((SELECT count(*) FROM variants v JOIN products p ON p.id = v.product_id AND p.store_id = v.store_id
		JOIN stores s ON s.id = v.store_id
		WHERE v.store_id = v_store AND v.id = ANY(v_variant_ids) AND p.status = 'active' AND v.currency = s.currency) = v_count,
		'line-unavailable');

	SELECT d.id, d.kind, d.name, d.fee_minor, d.books_courier, d.states, d.cities, d.pay_on_delivery,
		d.pay_on_delivery_max_total_minor
	INTO v_dlv
	FROM delivery_options d WHERE d.id = req->>'deliveryOptionId' AND d.store_id = v_store AND d.archived_at IS NULL;
	PERFORM oja_assert(FOUND, 'delivery-option-unavailable');
	PERFORM oja_assert(v_dlv.kind = 'pickup' OR v_address IS NOT NULL, 'address-required');
	PERFORM oja_assert(v_dlv.kind = 'pickup' OR (
		(cardinality(v_dlv.states) = 0 OR lower(v_address->>'state') IN (SELECT lower(x) FROM unnest(v_dlv.states) AS x))
		AND (cardinality(v_dlv.cities) = 0 OR lower(v_address->>'city') IN (SELECT lower(x) FROM unnest(v_dlv.cities) AS x))),
		'outside-zone');

	-- Priced from Postgres, never from a cache.
	SELECT coalesce(sum(v.price_minor * l.quantity), 0)::bigint INTO v_subtotal
	FROM jsonb_to_recordset(v_lines) AS l(variant_id text, quantity integer)
	JOIN variants v ON v.id = l.variant_id AND v.store_id = v_store
	WHERE v.id = ANY(v_variant_ids);

	-- The usage limits are conditional updates on the discount row and the customer's counts: two
	-- shoppers racing for the last use serialise on the row lock, and the second finds no use left.
	-- A use counts against the email and the phone (always given), so typing another email does
	-- not make a once-per-customer code usable again.
	IF v_code IS NOT NULL THEN
		UPDATE discounts d SET used_count = d.used_count + 1, updated_at = now()
		WHERE d.store_id = v_store AND d.code = v_code AND d.deleted_at IS NULL AND d.active
			AND (d.starts_at IS NULL OR d.starts_at <= now()) AND (d.ends_at IS NULL OR d.ends_at > now())
			AND (d.usage_limit IS NULL OR d.used_count < d.usage_limit)
			AND (d.min_subtotal_minor IS NULL OR v_subtotal >= d.min_subtotal_minor)
		RETURNING d.id, d.code, d.kind, d.percent_off, d.amount_off_minor, d.per_customer_limit INTO v_disc;
		PERFORM oja_assert(FOUND, 'discount-unavailable');
		INSERT INTO discount_customer_uses AS u (discount_id, store_id, customer_key, uses)
		SELECT v_disc.id, v_store, k, 1 FROM unnest(v_customer_keys) AS k
		ON CONFLICT (discount_id, customer_key) DO UPDATE SET uses = u.uses + 1
		WHERE u.uses < coalesce(v_disc.per_customer_limit, 2147483647);
		GET DIAGNOSTICS v_matched = ROW_COUNT;
		PERFORM oja_assert(v_matched = cardinality(v_customer_keys), 'discount-customer-limit');
		v_discount_id := v_disc.id;
		v_discount_code := v_disc.code;
		v_discount := CASE WHEN v_disc.kind = 'percentage' THEN (v_subtotal * v_disc.percent_off) / 100
			ELSE least(v_disc.amount_off_minor, v_subtotal) END;
	END IF;

	SELECT s.currency, s.show_stock_counts INTO v_currency, v_show_counts FROM stores s WHERE s.id = v_store;
	-- One conditional update per line, in variant-id order (the lines arrive sorted), so two
	-- checkouts of overlapping carts lock the rows in one order and cannot deadlock. What it
	-- returns is the stock left, for the event's `crossed`: the variants whose label a shopper
	-- sees (in stock / low / sold out) this reservation changed, or every one where the store
	-- shows counts (as stockMovementEvent). A row a rush is updating is read once, not three times.
	FOR v_line IN SELECT * FROM jsonb_to_recordset(v_lines) AS l(variant_id text, quantity integer) LOOP
		UPDATE inventory i SET reserved = i.reserved + v_line.quantity, updated_at = now()
		WHERE i.variant_id = v_line.variant_id AND i.store_id = v_store AND i.on_hand - i.reserved >= v_line.quantity
		RETURNING i.on_hand - i.reserved INTO v_available;
		PERFORM oja_assert(FOUND, 'insufficient-stock');
		IF v_show_counts OR oja_stock_label(v_available + v_line.quantity, v_low_stock)
			<> oja_stock_label(v_available, v_low_stock) THEN
			v_crossed := v_crossed || v_line.variant_id;
		END IF;
	END LOOP;

	v_total := v_subtotal - v_discount + v_dlv.fee_minor;
	PERFORM oja_assert(v_online OR (v_dlv.pay_on_delivery
		AND (v_dlv.pay_on_delivery_max_total_minor IS NULL OR v_total <= v_dlv.pay_on_delivery_max_total_minor)),
		'pay-on-delivery-unavailable');

	-- A returning customer is read, and written only to fill a phone or name a guest record lacks:
	-- an upsert would lock their row until COMMIT, queueing one shopper's concurrent checkouts.
	-- Only a customer new to this snapshot is inserted; if another checkout inserted them
	-- meanwhile, the conflict clause waits for it and takes that row.
	IF v_email IS NOT NULL THEN
		SELECT c.id, c.phone, c.name INTO v_known FROM customers c WHERE c.store_id = v_store AND c.email = v_email;
	ELSE
		SELECT c.id, c.phone, c.name INTO v_known FROM customers c
		WHERE c.store_id = v_store AND c.phone = v_phone AND c.email IS NULL;
	END IF;
	IF FOUND THEN
		v_customer := v_known.id;
		IF v_known.phone IS NULL OR v_known.name IS NULL THEN
			UPDATE customers c SET phone = coalesce(c.phone, v_phone), name = coalesce(c.name, v_name), updated_at = now()
			-- A guest record only: typing someone's email at checkout must not edit their account.
			WHERE c.id = v_known.id AND c.store_id = v_store AND c.password_hash IS NULL;
		END IF;
	ELSIF v_email IS NOT NULL THEN
		INSERT INTO customers AS c (id, store_id, email, phone, name)
		VALUES (req->>'customerId', v_store, v_email, v_phone, v_name)
		ON CONFLICT (store_id, email) DO UPDATE SET phone = coalesce(c.phone, EXCLUDED.phone),
			name = coalesce(c.name, EXCLUDED.name), updated_at = now()
		RETURNING c.id INTO v_customer;
	ELSE
		INSERT INTO customers AS c (id, store_id, email, phone, name)
		VALUES (req->>'customerId', v_store, NULL, v_phone, v_name)
		ON CONFLICT (store_id, phone) WHERE email IS NULL DO UPDATE SET name = coalesce(c.name, EXCLUDED.name),
			updated_at = now()
		RETURNING c.id INTO v_customer;
	END IF;

	v_number := oja_next_order_number(v_store);
	INSERT INTO orders (id, store_id, number, cart_id, status, payment_status, payment_method, currency,
		subtotal_minor, discount_minor, delivery_minor, total_minor, discount_id, discount_code, customer_id,
		email, phone, name, shipping_address, delivery_option_id, delivery, books_courier, note, token_hash, expires_at)
	VALUES (v_order, v_store, v_number, v_cart,
		CASE WHEN v_online THEN 'pending_payment' ELSE 'open' END,
		CASE WHEN v_online THEN 'pending' ELSE 'due_on_delivery' END, v_method,
		v_currency, v_subtotal, v_discount, v_dlv.fee_minor, v_total,
		v_discount_id, v_discount_code,
		v_customer, v_email, v_phone, v_name, v_address, v_dlv.id,
		jsonb_build_object('optionId', v_dlv.id, 'kind', v_dlv.kind, 'name', v_dlv.name, 'feeMinor', v_dlv.fee_minor,
			'booksCourier', v_dlv.books_courier),
		v_dlv.books_courier, req->>'note', req->>'tokenHash',
		CASE WHEN v_online THEN now() + make_interval(secs => (req->>'reservationTtlSeconds')::integer) END);
	INSERT INTO order_lines (id, store_id, order_id, variant_id, product_id, title, variant_title, sku,
		unit_price_minor, quantity, line_total_minor, reserved_quantity, position)
	SELECT l.line_id, v_store, v_order, l.variant_id, v.product_id, p.title, v.title, v.sku, v.price_minor, l.quantity,
		v.price_minor * l.quantity, l.quantity, l.position
	FROM jsonb_to_recordset(v_lines) AS l(line_id text, variant_id text, quantity integer, position integer)
	JOIN variants v ON v.id = l.variant_id AND v.store_id = v_store
	JOIN products p ON p.id = v.product_id AND p.store_id = v_store
	WHERE v.id = ANY(v_variant_ids);
	INSERT INTO order_timeline (id, store_id, order_id, kind, field, to_value, actor, reason, request_id)
	VALUES (req->>'timelineId', v_store, v_order, 'created', 'status',
		CASE WHEN v_online THEN 'pending_payment' ELSE 'open' END, 'shopper',
		CASE WHEN v_online THEN 'awaiting online payment' ELSE 'pay on delivery' END, v_request_id);

	-- The order's two events, in its aggregate's sequence: order.created first. Whether the order
	-- books a courier rides along, so the courier consumer skips the many that book none unread.
	v_created := oja_append_claimed_event(req->>'createdEventId', 'order.created', v_store, v_order,
		jsonb_build_object('storeId', v_store, 'orderId', v_order, 'cartId', v_cart, 'paymentMethod', v_method,
			'booksCourier', v_dlv.books_courier),
		v_request_id, v_claim_seconds);
	v_reserved := oja_append_claimed_event(req->>'reservedEventId', 'inventory.reserved', v_store, v_order,
		jsonb_build_object('storeId', v_store, 'orderId', v_order, 'reason', 'checkout',
			'lines', (SELECT jsonb_agg(jsonb_build_object('variantId', l.variant_id, 'quantity', l.quantity))
				FROM jsonb_to_recordset(v_lines) AS l(variant_id text, quantity integer)),
			'crossed', CASE WHEN cardinality(v_crossed) = 0 THEN '[]'::jsonb ELSE
				(SELECT jsonb_agg(jsonb_build_object('variantId', v.id, 'handle', p.handle))
					FROM variants v JOIN products p ON p.id = v.product_id
					WHERE v.id = ANY(v_crossed) AND v.store_id = v_store) END),
		v_request_id, v_claim_seconds);

	UPDATE idempotency_keys k SET order_id = v_order, response = jsonb_build_object('order', order_json(v_order))
	WHERE k.store_id = v_store AND k.cart_id = v_cart AND k.key = v_key AND k.attempt = v_attempt
	RETURNING k.response INTO v_response;
	RETURN jsonb_build_object('response', v_response, 'events', jsonb_build_array(v_created, v_reserved));
END;
$$;
