"""ICAO 9303 machine-readable zones: check digits, parsing/validation, reading from images."""
