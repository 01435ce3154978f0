"""Grids: the registry, locate/assign, grid load, household rules, topology QA, grid workers."""
