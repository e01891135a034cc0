"""Pure domain logic: no SDK imports, no I/O."""
