"""The webhook outbox (SQL)."""
