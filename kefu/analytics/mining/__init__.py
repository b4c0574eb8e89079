"""Data mining (METHODS M45): churn features and model, customer clustering, behaviour
analysis. Pure numpy/polars/scikit-learn; no Django imports."""

from kefu.analytics.mining.behaviour import channel_switching, contact_reason_paths, time_of_day
from kefu.analytics.mining.churn import (
    ChurnModel,
    contributing_factors,
    precision_at_k,
    train_churn_model,
)
from kefu.analytics.mining.clustering import Clustering, ClusterProfile, cluster_customers
from kefu.analytics.mining.features import FEATURES, EventLog, churn_features, churn_labels
from kefu.analytics.mining.pipeline import ChurnRun, run_churn_pipeline
from kefu.analytics.mining.simulation import SimulatedChurn, simulate_churn

__all__ = [
    "FEATURES",
    "ChurnModel",
    "ChurnRun",
    "ClusterProfile",
    "Clustering",
    "EventLog",
    "SimulatedChurn",
    "channel_switching",
    "churn_features",
    "churn_labels",
    "cluster_customers",
    "contact_reason_paths",
    "contributing_factors",
    "precision_at_k",
    "run_churn_pipeline",
    "simulate_churn",
    "time_of_day",
    "train_churn_model",
]
