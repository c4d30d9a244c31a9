"""The identity a verification establishes, its RNIV status and the signed assertion that carries it."""
