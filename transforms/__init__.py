"""Pure text logic (parse, clean, entities, quotes) and the thin Beam wrappers around it."""
