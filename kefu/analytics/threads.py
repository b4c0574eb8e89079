"""Thread limits for the optimisers, and the one L-BFGS-B call the fits share (no Django
imports)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import numpy as np
from scipy.optimize import minimize


@functools.cache
def _controller():
    """threadpoolctl's view of the loaded BLAS/OpenMP libraries, built once (≈ 1 ms; a limit
    through it then costs microseconds)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return ThreadpoolController()


def single_threaded_blas() -> AbstractContextManager:
    """Limit BLAS to one thread. L-BFGS-B's tiny matrix steps (3–4 parameters) otherwise wake
    OpenBLAS's thread pool on every iteration: a CDNOW BG/NBD fit took 25 times the CPU on a
    busy 2-core machine."""
    controller = _controller()
    if controller is None:  # pragma: no cover
        return nullcontext()
    return controller.limit(limits=1, user_api="blas")


def lbfgs(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]],
    start: np.ndarray,
    *,
    ftol: float,
    gtol: float,
) -> np.ndarray:
    """Minimise `objective` (value and gradient) by L-BFGS-B from `start` on one BLAS thread;
    returns the optimum's parameters."""
    with single_threaded_blas():
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 1000, "ftol": ftol, "gtol": gtol},
        )
    return result.x
