"""The ways in: the FastAPI app, auth, error mapping and the ``gridmap`` command line."""
