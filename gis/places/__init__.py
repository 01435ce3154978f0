"""Places: admin units, buildings with standard addresses, facilities, water, geocoding."""
