"""Diabetes: HbA1c control against an individual target, rising HbA1c, and undiagnosed diabetes or NDH."""
