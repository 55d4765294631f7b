"""The console's screens: `pool` (home) and the ones pushed over it
(`host`, `activity`, `help`, `scenario`).  Import them from their modules."""
