"""Reading the visual inspection zone (VIZ) of a document: the printed fields, cross-checked with the MRZ.

SCAFFOLD — replaced by the VIZ reader (issue 12): until then it reads nothing.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

from verification.document.fields import DocumentFields
from verification.document.mrz.fields import MrzFields


def read_viz(image: npt.NDArray[np.uint8], mrz: MrzFields | None, today: date) -> DocumentFields:
    """The fields printed on `image`, each with its confirmation (source `viz` when two passes agree)."""
    del image, mrz, today
    return DocumentFields({})
