"""Batch work on Dask: grids, events and buildings exported to GeoParquet partitioned by
subdistrict, joined per partition on Dask workers, written back in one transaction."""
