"""The walking network: roads (OSM and line files), walking distances, service circles,
coverage, siting."""
