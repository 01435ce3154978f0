"""Mapbox Vector Tiles made by PostGIS."""
