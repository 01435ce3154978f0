"""The foundation: database and embedded cluster, schema, settings, SQL loader, frames,
paging, bulk writes, errors and CRS."""
