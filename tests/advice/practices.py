"""Two connected practices, one the service does not connect, and the directory that places patients."""

from __future__ import annotations

MILE_END = "A12345"
BOW = "B67890"
UNCONNECTED = "C24680"

MILE_END_PATIENT = "9434765919"
SECOND_MILE_END_PATIENT = "9990000018"
BOW_PATIENT = "9434765870"
UNCONNECTED_PATIENT = "9990000026"
UNREGISTERED_PATIENT = "9990000034"

# Nothing listens at these practices' servers: the advice tests never need a record, and one try (no
# retries) lets a request's read of the referral criteria fail at once, as unknown.
PRACTICES_TOML = f"""
[practices.{MILE_END}]
name = "Mile End Surgery"
adapter = "fhir-r4"
base_url = "http://127.0.0.1:9/fhir"
attempts = 1
delivery = "feed"
case_finding = true

[practices.{BOW}]
name = "Bow Health Centre"
adapter = "fhir-r4"
base_url = "http://127.0.0.1:9/fhir"
attempts = 1
delivery = "fhir-r4"

[directory]
adapter = "static"

[directory.patients]
"{MILE_END_PATIENT}" = "{MILE_END}"
"{SECOND_MILE_END_PATIENT}" = "{MILE_END}"
"{BOW_PATIENT}" = "{BOW}"
"{UNCONNECTED_PATIENT}" = "{UNCONNECTED}"
"""
