"""Transport: the FastAPI application and the `idv` command line."""
