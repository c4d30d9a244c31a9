"""Reading and checking identity documents: MRZ, visual checks, the tilt video."""
