"""Document verification, identity traits, decision and assertion: pure domain code (no HTTP, SQL or S3)."""
