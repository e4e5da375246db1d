-- Lets one statement of a batch transaction veto the whole batch: without interactive
-- transactions over HTTP, a conditional write that matched nothing must still abort the
-- writes (and outbox events) batched after it.
CREATE OR REPLACE FUNCTION oja_assert(ok boolean, reason text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	IF ok IS NOT TRUE THEN
		RAISE EXCEPTION '%', reason USING ERRCODE = 'P0001', HINT = 'oja_assert';
	END IF;
	RETURN true;
END;
$$;
