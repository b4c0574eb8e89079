"""Recognition, staff care and competency profiles (M40, M41, M43). Pure polars/numpy."""

from __future__ import annotations

import polars as pl

# What the balanced score weighs: quality, customer satisfaction and resolution — never volume.
BALANCED_PARTS = ("qa_score", "csat", "fcr_rate")


def balanced_scores(agents: pl.DataFrame, *, min_parts: int = 3) -> pl.DataFrame:
    """Rank agents on the mean percentile rank of QA score, CSAT and first-contact resolution.

    `agents`: level_key plus the BALANCED_PARTS columns. Percentile rank = (rank − 1)/(n − 1)
    with average ranks for ties, so every part counts equally whatever its unit. Agents with
    fewer than `min_parts` figures are left out (no ranking on thin data)."""
    present = agents.with_columns(
        pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) for c in BALANCED_PARTS]).alias(
            "_parts"
        )
    ).filter(pl.col("_parts") >= min_parts)
    n = present.height
    if n == 0:
        return present.with_columns(pl.lit(None, dtype=pl.Float64).alias("balanced")).drop("_parts")
    ranks = [
        ((pl.col(c).rank("average") - 1) / (n - 1) * 100 if n > 1 else pl.lit(100.0)).alias(
            f"{c}_pct"
        )
        for c in BALANCED_PARTS
    ]
    out = present.with_columns(ranks).with_columns(
        pl.mean_horizontal([f"{c}_pct" for c in BALANCED_PARTS]).alias("balanced")
    )
    return out.drop("_parts").sort("balanced", descending=True)


def care_figures(
    contacts: pl.DataFrame,
    *,
    max_per_day: float,
    max_difficult_share: float,
    max_consecutive: int,
) -> pl.DataFrame:
    """Per agent: contacts, active days, contacts per active day, difficult share (%), longest
    run of consecutive difficult contacts and the warnings they raise.

    `contacts`: agent_id, at, day (local date), difficult (bool)."""
    ordered = contacts.sort("agent_id", "at").with_columns(
        (~pl.col("difficult")).cast(pl.Int64).cum_sum().over("agent_id").alias("_run")
    )
    runs = (
        ordered.filter(pl.col("difficult"))
        .group_by("agent_id", "_run")
        .len()
        .group_by("agent_id")
        .agg(pl.col("len").max().alias("max_consecutive_difficult"))
    )
    figures = (
        ordered.group_by("agent_id")
        .agg(
            pl.len().alias("contacts"),
            pl.col("day").n_unique().alias("active_days"),
            (pl.col("difficult").mean() * 100).alias("difficult_share"),
        )
        .with_columns((pl.col("contacts") / pl.col("active_days")).alias("per_day"))
        .join(runs, on="agent_id", how="left")
        .with_columns(pl.col("max_consecutive_difficult").fill_null(0))
    )
    return figures.with_columns(
        (pl.col("per_day") > max_per_day).alias("warn_workload"),
        (pl.col("difficult_share") > max_difficult_share).alias("warn_difficult_share"),
        (pl.col("max_consecutive_difficult") >= max_consecutive).alias("warn_consecutive"),
    ).sort("agent_id")


def consistency(agents: pl.DataFrame, columns: tuple[str, ...] = ("csat", "qa_score")) -> dict:
    """Spread of agent-level figures across a team: n, mean, std (ddof=1), min, max and the
    coefficient of variation (std / mean) per column."""
    out = {}
    for c in columns:
        s = (
            agents[c].drop_nulls().drop_nans()
            if c in agents.columns
            else pl.Series([], dtype=float)
        )
        n = s.len()
        mean = float(s.mean()) if n else None
        std = float(s.std(ddof=1)) if n > 1 else (0.0 if n == 1 else None)
        out[c] = {
            "n": n,
            "mean": mean,
            "std": std,
            "min": float(s.min()) if n else None,
            "max": float(s.max()) if n else None,
            "cv": (std / mean) if (mean and std is not None) else None,
        }
    return out


def competency_profile(scores: pl.DataFrame) -> pl.DataFrame:
    """Per agent and competency: mean criterion value as 0–100 and evaluations counted, with
    the weakest competency flagged (short-board, 短板). `scores`: agent_id, competency_id,
    value (0, 0.5, 1; null = not applicable)."""
    profile = (
        scores.drop_nulls(["value", "competency_id"])
        .group_by("agent_id", "competency_id")
        .agg((pl.col("value").mean() * 100).alias("score"), pl.len().alias("n"))
    )
    return profile.with_columns(
        (pl.col("score") == pl.col("score").min().over("agent_id")).alias("weakest")
    ).sort("agent_id", "competency_id")
