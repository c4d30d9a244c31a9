"""Every I/O client: settings, database repositories, evidence store, encryption, audit log."""
