"""Operators, case assignments and the reviewer-action trail (SQL), and operator passwords."""
