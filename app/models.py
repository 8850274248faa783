"""Every table model, imported in one place so Alembic and the tests see the whole schema."""

from app.advice import models as advice_models
from app.attachments import models as attachment_models
from app.audit import models as audit_models
from app.case_finding import models as case_finding_models
from app.cds_hooks import models as cds_hooks_models
from app.clinics import models as clinic_models
from app.follow_up import models as follow_up_models
from app.outbox import models as outbox_models
from app.records import registry as registration_models

TABLE_MODULES = (
    advice_models,
    attachment_models,
    audit_models,
    case_finding_models,
    cds_hooks_models,
    clinic_models,
    follow_up_models,
    outbox_models,
    registration_models,
)
