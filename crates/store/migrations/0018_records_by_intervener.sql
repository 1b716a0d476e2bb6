-- Reports find an intervener's earlier entries by name and unit (repeat interveners, R8) without
-- reading the whole province's store.
CREATE INDEX records_intervener ON records(intervener_name, intervener_unit, occurred_at);
