"""Prometheus counters of advice delivery, on the service's one registry."""

from __future__ import annotations

from prometheus_client import Counter

from app.core.metrics import REGISTRY

DELIVERIES = Counter(
    "vclinic_outbox_deliveries_total",
    "Advice delivery attempts, by channel and outcome (sent, delivered, retry, not-tried, dead, superseded)",
    ["channel", "outcome"],
    registry=REGISTRY,
)
MESH_RESPONSES = Counter(
    "vclinic_outbox_mesh_responses_total",
    "Acknowledgements and reports read from our MESH inbox, by what they did to a delivery",
    ["outcome"],
    registry=REGISTRY,
)
