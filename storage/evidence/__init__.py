"""The evidence store, its encryption, the sealed dossiers and their retention."""
