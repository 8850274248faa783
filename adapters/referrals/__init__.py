"""Converted advice requests handed on as BaRS application 8 (a8t1) referral messages."""

from adapters.referrals.bars import InvalidReferral, referral_bundle, validate_referral_bundle
from adapters.referrals.delivery import BarsReferralDelivery, ReferralReceiver, target_identifier_header

__all__ = [
    "BarsReferralDelivery",
    "InvalidReferral",
    "ReferralReceiver",
    "referral_bundle",
    "target_identifier_header",
    "validate_referral_bundle",
]
