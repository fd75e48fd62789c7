"""The PostgreSQL erasure function: the one way an application role changes a stored event.

``civicledger_erase(ledger, event_id, payload, commitments)`` replaces a row's
payload with what a redaction leaves of it, drops its salt (or, in leaf format
v2, its secret) and stores its commitments, after checking, in the
database, everything the caller could lie about:

- the new payload is what the old one becomes when some fields are removed (or
  NULL when all are): every remaining value is unchanged, no removed field comes
  back, and the ``$redacted`` list only grows, by exactly the fields removed
  (a field holding a correction's JSON payload may lose keys of its own, listed
  as ``field.key``);
- each removed field is named by an ``event_redacted`` event already recorded in
  the ledger (at or below its head) for this event, or, for a correction, for the
  event it corrects (``replacement.<field>``); an event redacted as a whole
  (empty ``fields``) may lose any field. Redaction events name fields as the
  newest schema version does, and an upcaster may have renamed one since the row
  was stored, which the database cannot follow: so a named field that the stored
  payload does not have stands for (at most) one removed key that is not named;
- a field is erased once: an erased field is gone, and a second erasure of it
  is no change at all (a retried redaction changes nothing and is accepted);
- in a leaf format v2 ledger (per-field commitments, docs/hashing.md) the row's
  ``commitments`` keep their shape: a digest or salt kept before never changes or
  goes, and every field whose value went or changed now has a digest and no salt
  (the digests themselves are checked by ``verify``, which can hash).

All of these checks are in this module (``civicledger_erased_names`` compares the
payloads, ``civicledger_check_commitments`` the commitments, ``civicledger_erase``
looks up the redaction events), so a change of
the stored redaction form changes this module alone. The row trigger of
:mod:`.dialect` still applies to the UPDATE the function makes.
"""

from __future__ import annotations

from civicledger.store.sql.schema import events, ledgers

_REDACTED = "'$redacted'"
_REDACTION_TYPE = "event_redacted"  # civicledger.corrections.events.REDACTED (a layer above)
_CORRECTION_TYPE = "event_corrected"  # civicledger.corrections.events.CORRECTED
_CORRECTION_FIELD = "replacement"  # the field of a correction that holds the replacement payload


def _erase_pinned(schema: str) -> str:
    # The row trigger of .dialect looks up the ledger's leaf version by an unqualified table
    # name, so the erasure runs with the tables' schema on its path (after pg_catalog, which
    # PostgreSQL searches first); provisioning makes sure the application cannot create there.
    return f"SECURITY DEFINER SET search_path = pg_catalog, {schema}, pg_temp"


def erasure_ddl(schema: str) -> list[str]:
    """The statements that create (or replace) the erasure function and its payload check.

    Args:
        schema: the quoted schema holding civicledger's tables.

    Returns:
        DDL statements, safe to run again; EXECUTE is revoked from PUBLIC.
    """
    return [
        _erased_names(schema),
        _has_field(schema),
        _check_commitments(schema),
        _erase(schema),
        f"REVOKE ALL ON FUNCTION {schema}.civicledger_erased_names(jsonb, jsonb) FROM PUBLIC",
        f"REVOKE ALL ON FUNCTION {schema}.civicledger_has_field(jsonb, text) FROM PUBLIC",
        f"REVOKE ALL ON FUNCTION {schema}.civicledger_check_commitments"
        "(smallint, jsonb, jsonb, jsonb, jsonb) FROM PUBLIC",
        f"REVOKE ALL ON FUNCTION {schema}.civicledger_erase(integer, uuid, text, text) FROM PUBLIC",
    ]


def _erased_names(schema: str) -> str:
    # NULL means the whole payload goes; otherwise the names newly listed as redacted.
    return (
        f"CREATE OR REPLACE FUNCTION {schema}.civicledger_erased_names(p_old jsonb, p_new jsonb) "
        "RETURNS text[] LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$ "
        "DECLARE before text[]; after text[]; names text[]; inner_names text[]; k text; BEGIN "
        "IF p_old IS NULL THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: the payload is already erased'; END IF; "
        "IF p_new IS NULL THEN RETURN NULL; END IF; "
        f"IF jsonb_typeof(p_new) IS DISTINCT FROM 'object' "
        f"OR jsonb_typeof(p_new -> {_REDACTED}) IS DISTINCT FROM 'array' THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: the new payload is not in the redacted form'; END IF; "
        f"before := ARRAY(SELECT jsonb_array_elements_text(coalesce(p_old -> {_REDACTED}, "
        "'[]'::jsonb))); "
        f"after := ARRAY(SELECT jsonb_array_elements_text(p_new -> {_REDACTED})); "
        "IF NOT before <@ after THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: fields listed as redacted must stay listed'; END IF; "
        "names := ARRAY(SELECT unnest(after) EXCEPT SELECT unnest(before)); "
        "FOR k IN SELECT jsonb_object_keys(p_old) LOOP "
        f"CONTINUE WHEN k = {_REDACTED} OR p_new ? k; "
        "IF NOT k = ANY(names) THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: field % is removed but not listed as redacted', k; "
        "END IF; END LOOP; "
        "FOR k IN SELECT jsonb_object_keys(p_new) LOOP "
        f"CONTINUE WHEN k = {_REDACTED}; "
        "IF NOT p_old ? k THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: field % was not in the payload', k; END IF; "
        "IF p_new -> k = p_old -> k THEN CONTINUE; END IF; "
        # Only a field holding a JSON payload may change, and only by erasures of its own keys.
        "IF jsonb_typeof(p_old -> k) <> 'string' OR jsonb_typeof(p_new -> k) <> 'string' "
        "OR NOT EXISTS (SELECT 1 FROM unnest(names) AS n WHERE starts_with(n, k || '.')) "
        "THEN RAISE EXCEPTION 'civicledger: erasure refused: the value of field % changed', k; "
        "END IF; "
        f"inner_names := {schema}.civicledger_erased_names((p_old ->> k)::jsonb, "
        "(p_new ->> k)::jsonb); "
        "IF inner_names IS NULL OR NOT ARRAY(SELECT k || '.' || unnest(inner_names)) <@ names "
        "THEN RAISE EXCEPTION 'civicledger: erasure refused: field % changed beyond the "
        "erasure of the keys listed for it', k; END IF; "
        "END LOOP; "
        "FOREACH k IN ARRAY names LOOP "
        "IF NOT (p_old ? k AND NOT p_new ? k) AND NOT (split_part(k, '.', 1) <> k "
        "AND p_old -> split_part(k, '.', 1) IS DISTINCT FROM p_new -> split_part(k, '.', 1)) "
        "THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: % is listed as redacted but was not removed', k; "
        "END IF; END LOOP; "
        "RETURN names; END $$"
    )


def _has_field(schema: str) -> str:
    # Whether a stored payload has (or had, and lists as redacted) a field; "f.k" looks
    # inside the JSON payload held in field f.
    return (
        f"CREATE OR REPLACE FUNCTION {schema}.civicledger_has_field(p_payload jsonb, p_name text) "
        "RETURNS boolean LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$ "
        "DECLARE head text := split_part(p_name, '.', 1); BEGIN "
        "IF head <> p_name THEN "
        "IF jsonb_typeof(p_payload -> head) IS DISTINCT FROM 'string' THEN RETURN false; END IF; "
        f"RETURN {schema}.civicledger_has_field((p_payload ->> head)::jsonb, "
        "substr(p_name, length(head) + 2)); END IF; "
        f"RETURN p_payload ? p_name OR coalesce(p_payload -> {_REDACTED}, '[]'::jsonb) ? p_name; "
        "END $$"
    )


def _check_commitments(schema: str) -> str:
    # Leaf format v2 (docs/hashing.md): a redacted row keeps the salt of every field still
    # stored as recorded and the digest of every other one. The database cannot recompute
    # digests (verify does), but it holds the shape: a kept digest or salt never changes
    # or goes, and every field whose value went or changed now has a digest and no salt.
    return (
        f"CREATE OR REPLACE FUNCTION {schema}.civicledger_check_commitments(p_version smallint, "
        "p_old jsonb, p_new jsonb, p_old_kept jsonb, p_new_kept jsonb) RETURNS void "
        "LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$ "
        "DECLARE k text; BEGIN "
        "IF p_version IS DISTINCT FROM 2 THEN "
        "IF p_new_kept IS NOT NULL THEN RAISE EXCEPTION 'civicledger: erasure refused: "
        "a leaf format v1 row keeps no commitments'; END IF; RETURN; END IF; "
        "IF jsonb_typeof(p_new_kept -> 'digests') IS DISTINCT FROM 'object' "
        "OR jsonb_typeof(p_new_kept -> 'salts') IS DISTINCT FROM 'object' THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: the commitments must hold digests and salts'; END IF; "
        "IF p_old_kept IS NOT NULL AND NOT ((p_new_kept -> 'digests') @> (p_old_kept -> 'digests') "
        "AND (p_old_kept -> 'salts') @> (p_new_kept -> 'salts')) THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: a kept digest or salt would change or go'; END IF; "
        "FOR k IN SELECT jsonb_object_keys(p_old) LOOP "
        f"CONTINUE WHEN k = {_REDACTED} OR (p_new ? k AND p_new -> k = p_old -> k); "
        "IF NOT (p_new_kept -> 'digests') ? k OR (p_new_kept -> 'salts') ? k THEN "
        "RAISE EXCEPTION 'civicledger: erasure refused: field % goes without keeping its "
        "digest', k; END IF; END LOOP; "
        "IF p_new IS NOT NULL THEN FOR k IN SELECT jsonb_object_keys(p_new) LOOP "
        f"CONTINUE WHEN k = {_REDACTED}; "
        "IF NOT ((p_new_kept -> 'salts') ? k OR (p_new_kept -> 'digests') ? k) THEN "
        "RAISE EXCEPTION 'civicledger: erasure refused: field % is left without its salt', k; "
        "END IF; END LOOP; END IF; "
        "END $$"
    )


def _erase(schema: str) -> str:
    ev = f"{schema}.{events.name}"
    led = f"{schema}.{ledgers.name}"
    # The redaction events on record for an event id: rows at or below the ledger's head.
    recorded = (
        f"SELECT r.payload::jsonb AS body FROM {ev} AS r JOIN {led} AS l ON l.id = r.ledger_id "
        f"WHERE r.ledger_id = p_ledger AND r.type = '{_REDACTION_TYPE}' "
        "AND r.position <= l.head AND r.payload IS NOT NULL "
        "AND r.payload::jsonb ->> 'target_event_id' = {target}"
    )
    return (
        f"CREATE OR REPLACE FUNCTION {schema}.civicledger_erase"
        "(p_ledger integer, p_event uuid, p_payload text, p_commitments text) "
        f"RETURNS bigint LANGUAGE plpgsql {_erase_pinned(schema)} AS $$ "
        "DECLARE target record; names text[]; allowed text[] := '{}'; whole boolean := false; "
        "redaction record; listed text[]; corrected text; k text; a text; stand_in text; "
        "used text[] := '{}'; version smallint; BEGIN "
        f"SELECT e.position, e.type, e.payload, e.salt, e.commitments INTO target FROM {ev} AS e "
        "WHERE e.ledger_id = p_ledger AND e.event_id = p_event FOR UPDATE; "
        "IF NOT FOUND THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: ledger % has no event %', p_ledger, p_event; END IF; "
        "IF target.salt IS NULL AND target.payload IS NOT DISTINCT FROM p_payload "
        "AND target.commitments IS NOT DISTINCT FROM p_commitments THEN "
        "RETURN target.position; END IF; "
        "IF target.payload IS NULL THEN RAISE EXCEPTION "
        "'civicledger: erasure refused: event % has no payload left to erase', p_event; END IF; "
        f"names := {schema}.civicledger_erased_names(target.payload::jsonb, p_payload::jsonb); "
        f"FOR redaction IN {recorded.format(target='p_event::text')} LOOP "
        "listed := ARRAY(SELECT jsonb_array_elements_text(redaction.body -> 'fields')); "
        "IF cardinality(listed) = 0 THEN whole := true; END IF; "
        "allowed := allowed || listed; END LOOP; "
        f"IF target.type = '{_CORRECTION_TYPE}' THEN "
        "corrected := target.payload::jsonb ->> 'target_event_id'; "
        f"FOR redaction IN {recorded.format(target='corrected')} LOOP "
        "listed := ARRAY(SELECT jsonb_array_elements_text(redaction.body -> 'fields')); "
        "IF cardinality(listed) = 0 THEN "
        f"allowed := allowed || '{_CORRECTION_FIELD}'::text; "
        f"ELSE allowed := allowed || ARRAY(SELECT '{_CORRECTION_FIELD}.' || unnest(listed)); "
        "END IF; END LOOP; END IF; "
        "IF NOT whole THEN "
        "IF names IS NULL THEN RAISE EXCEPTION 'civicledger: erasure refused: no recorded "
        "event_redacted event redacts event % as a whole', p_event; END IF; "
        "FOREACH k IN ARRAY names LOOP "
        "CONTINUE WHEN k = ANY(allowed); "
        # A named field the stored payload lacks stands for the one key an upcaster renamed.
        "stand_in := NULL; "
        "FOREACH a IN ARRAY allowed LOOP "
        "IF NOT a = ANY(used) AND NOT a = ANY(names) "
        "AND regexp_replace(a, '[^.]*$', '') = regexp_replace(k, '[^.]*$', '') "
        f"AND NOT {schema}.civicledger_has_field(target.payload::jsonb, a) THEN "
        "stand_in := a; EXIT; END IF; END LOOP; "
        "IF stand_in IS NULL THEN RAISE EXCEPTION 'civicledger: erasure refused: no recorded "
        "event_redacted event names % of event % (recorded ones name: %)', k, p_event, "
        "coalesce(nullif(array_to_string(allowed, ', '), ''), 'nothing'); END IF; "
        "used := used || stand_in; END LOOP; END IF; "
        f"SELECT l.leaf_version INTO version FROM {led} AS l WHERE l.id = p_ledger; "
        f"PERFORM {schema}.civicledger_check_commitments(version, target.payload::jsonb, "
        "p_payload::jsonb, target.commitments::jsonb, p_commitments::jsonb); "
        f"UPDATE {ev} SET payload = p_payload, salt = NULL, commitments = p_commitments "
        "WHERE ledger_id = p_ledger AND position = target.position; "
        "RETURN target.position; END $$"
    )
