"""The use cases: every write goes through a function here, called by the API routes and the Celery tasks.

By subject: enrollments (open, submit), captures (challenge, capture), lifecycle (transitions with their
events), decision (recording a decision, automated or a reviewer's; the decision step), review (assignment,
the reviewer's decision), operators and review_trail (the console's sessions and trail), webhooks (the
outbox), and the pipeline's steps (document, liveness, faces, assertion, dossier)."""

from workers.services.assertion import run_assertion
from workers.services.decision import run_decision
from workers.services.document import run_document_check
from workers.services.dossier import purge_expired, seal_dossier
from workers.services.faces import run_face_match
from workers.services.lifecycle import begin_processing, fail
from workers.services.liveness import run_liveness_check

__all__ = ["begin_processing", "fail", "purge_expired", "run_assertion", "run_decision", "run_document_check",
           "run_face_match", "run_liveness_check", "seal_dossier"]
