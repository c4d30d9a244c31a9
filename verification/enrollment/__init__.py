"""The enrollment itself: life cycle, capture kinds, guarded decoding of uploaded media."""
