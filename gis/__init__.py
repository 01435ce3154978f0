"""gridmap's spatial engine: models, database, CRS, import/export, assignment, planning.

Knows nothing of HTTP or HTML (see the import-linter contracts in pyproject.toml).
"""
