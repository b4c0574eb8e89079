"""Complaint iceberg: silent dissatisfied customers estimated from voiced complaints
(TARP 1979/1986 "Consumer Complaint Handling in America": about 1 in 27 complains)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl
from numpy.typing import ArrayLike


def _(message: str) -> str:
    return message


# TARP: for each customer who complains, about 26 dissatisfied customers stay silent.
TARP_SILENT_PER_VOICED = 26.0


@dataclass(frozen=True)
class ComplaintIceberg:
    """Voiced (visible tip) and estimated silent (below the waterline) dissatisfied customers."""

    by_group: pl.DataFrame
    voiced_total: float
    silent_total: float
    assumption: str

    @property
    def dissatisfied_total(self) -> float:
        return self.voiced_total + self.silent_total


def complaint_iceberg(
    voiced_complaints: Mapping[str, float] | ArrayLike,
    ratio: Mapping[str, float] | ArrayLike | float = TARP_SILENT_PER_VOICED,
) -> ComplaintIceberg:
    """Silent dissatisfied = voiced complaints × silent-per-voiced ratio, per channel/segment
    (TARP iceberg ratio, default 26 silent per voiced complaint)."""
    if isinstance(voiced_complaints, Mapping):
        groups = [str(name) for name in voiced_complaints]
        voiced = np.asarray(list(voiced_complaints.values()), dtype=np.float64)
    else:
        voiced = np.ravel(np.asarray(voiced_complaints, dtype=np.float64))
        groups = [str(i) for i in range(voiced.size)]
    if isinstance(ratio, Mapping):
        missing = [group for group in groups if group not in ratio]
        if missing:
            raise ValueError(_("No iceberg ratio for: {groups}.").format(groups=", ".join(missing)))
        ratios = np.asarray([ratio[group] for group in groups], dtype=np.float64)
    else:
        ratios = np.broadcast_to(np.asarray(ratio, dtype=np.float64), voiced.shape)
    if np.any(voiced < 0) or np.any(ratios < 0):
        raise ValueError(_("Complaint counts and iceberg ratios must not be negative."))
    silent = voiced * ratios
    by_group = pl.DataFrame(
        {
            "group": groups,
            "voiced": voiced,
            "silent_per_voiced": ratios,
            "silent_estimate": silent,
            "dissatisfied_estimate": voiced + silent,
        }
    )
    ratio_text = ", ".join(f"{g}: {r:g}" for g, r in zip(groups, ratios, strict=True))
    assumption = _(
        "Estimate, not a count: assumes each voiced complaint stands for a fixed number of "
        "dissatisfied customers who did not complain (silent per voiced — {ratios}). The TARP "
        "studies found about 26 silent for each complainant; adjust the ratio to your own "
        "survey data."
    ).format(ratios=ratio_text)
    return ComplaintIceberg(by_group, float(voiced.sum()), float(silent.sum()), assumption)
