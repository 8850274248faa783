"""Nephrology: eGFR, albuminuria, KDIGO, KFRE, AKI and the NICE NG203 referral criteria."""
