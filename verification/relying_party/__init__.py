"""The relying party's side: webhooks, FHIR Patient, integration in the identity repository (RNIV)."""
