"""Enrollments, their captures, challenges, check results, decisions, assertions and relying parties (SQL)."""
