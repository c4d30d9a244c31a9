"""Shared kernel of the domain: check outcome contract, error base, JWS."""
