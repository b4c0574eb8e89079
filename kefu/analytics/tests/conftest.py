from pathlib import Path

import numpy as np
import polars as pl
import pytest

from kefu.analytics import summarize_transactions

CDNOW_PATH = Path(__file__).parent / "data" / "CDNOW_sample.txt"
CALIBRATION_END = np.datetime64("1997-09-30")
HOLDOUT_END = np.datetime64("1998-06-30")


@pytest.fixture(autouse=True)
def _fast_and_eager(request) -> None:
    """Overrides kefu/conftest.py's Django-settings fixture: the pure tests need no Django and
    must also run with `-p no:django`; the product tests (those using the database) get the
    same fast-and-eager settings as the rest of the suite."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KEFU_TASKS_EAGER = True
    settings.KEFU_REDIS_URL = ""


@pytest.fixture(scope="session")
def cdnow_transactions() -> pl.DataFrame:
    """CDNOW 1/10 sample: customer_id (1–2357), date, cds, amount."""
    rows = [line.split() for line in CDNOW_PATH.read_text().splitlines() if line.strip()]
    _master_id, customer_id, date, cds, amount = zip(*rows, strict=True)
    return pl.DataFrame(
        {
            "customer_id": np.asarray(customer_id, dtype=np.int64),
            "date": pl.Series(date).str.to_date("%Y%m%d"),
            "cds": np.asarray(cds, dtype=np.int64),
            "amount": np.asarray(amount, dtype=np.float64),
        }
    )


@pytest.fixture(scope="session")
def cdnow_calibration(cdnow_transactions: pl.DataFrame) -> pl.DataFrame:
    """The papers' summary: purchases merged per day, times in weeks, weeks 1–39 of 1997."""
    tx = cdnow_transactions
    return summarize_transactions(
        tx["customer_id"], tx["date"], tx["amount"], CALIBRATION_END, period="W", resolution="D"
    )
