"""The renal clinic's own configuration (see ``app.specialties.settings`` for where it is read from)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from schemas.api.nephrology import EgfrEquation


class NephrologySettings(BaseModel):
    """``egfr_equation``: the creatinine equation for a calculated eGFR (CLINICAL.md, "eGFR from creatinine");
    CKD-EPI 2009 without the ethnicity coefficient by default, 2021 by choice. A reported eGFR is never
    recalculated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The name it had as a core setting, kept so existing deployments need no change.
    LEGACY_ENVIRONMENT: ClassVar[dict[str, str]] = {"VCLINIC_EGFR_EQUATION": "egfr_equation"}

    egfr_equation: EgfrEquation = EgfrEquation.CKD_EPI_2009
