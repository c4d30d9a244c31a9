"""Celery app and thin tasks: load inputs from storage, call the domain, persist the typed result."""
