"""Face matching, active liveness and presentation-attack detection: pure domain code over numpy arrays."""
