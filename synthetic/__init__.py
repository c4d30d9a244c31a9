"""Generator of specimen-like documents and selfie videos (bona fide and attacks) for tests and the demo."""
