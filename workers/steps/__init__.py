"""The load → domain → store glue behind each task, one module per step."""

from workers.steps.assertion import run_assertion
from workers.steps.decision import run_decision
from workers.steps.document import run_document_check
from workers.steps.dossier import purge_expired, seal_dossier
from workers.steps.faces import run_face_match
from workers.steps.lifecycle import begin_processing, fail
from workers.steps.liveness import run_liveness_check

__all__ = ["begin_processing", "fail", "purge_expired", "run_assertion", "run_decision", "run_document_check",
           "run_face_match", "run_liveness_check", "seal_dossier"]
