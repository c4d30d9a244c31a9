"""What a deployment accepts as an identity document: kinds, issuing states, the French card extension, and
the image-quality limits of a document photo. Read from the decision policy's `document` section.

Residence permits: ICAO 9303 has no dedicated code; states issue them as TD1 cards whose document code
starts with 'I', 'A' or 'C' and whose second letter is state-defined (IR in France, AR in Germany...).
The policy therefore lists accepted document-code prefixes per kind (`DocumentPolicy.kind_prefixes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from verification.document.quality import QualityThresholds


@dataclass(frozen=True)
class DocumentPolicy:
    accepted_document_kinds: frozenset[str] = frozenset({"passport", "id_card", "residence_permit"})
    accepted_issuing_states: frozenset[str] | None = None  # None: any state
    french_card_extension: bool = True
    quality: QualityThresholds = QualityThresholds()
    # document kind -> document-code prefixes (the first one or two MRZ letters)
    kind_prefixes: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "passport": ("P",),
            "residence_permit": ("IR", "AR", "CR", "RT", "IT", "A", "C"),
            "id_card": ("I",),
            "visa": ("V",),
        }
    )

    def document_kind(self, code: str) -> str | None:
        """The kind whose longest prefix matches the MRZ document code."""
        best: tuple[int, str] | None = None
        for kind, prefixes in self.kind_prefixes.items():
            for prefix in prefixes:
                if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), kind)
        return None if best is None else best[1]
