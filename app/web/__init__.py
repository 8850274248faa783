"""The consultant's web pages: sign-in, clinics, worklists, the patient view and the advice form."""
