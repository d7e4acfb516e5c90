"""The data caseapp keeps, one module per feature; every model is importable from here."""

from caseapp.models.audit import AuditEvent, AuditEventQuerySet, DailyCount
from caseapp.models.case import OUTCOME_CHOICES, OUTSIDE_US, STATE_CHOICES, US_STATES, Case
from caseapp.models.messages import (
    AccessCode,
    CaseUpdate,
    DeliveryLane,
    ManageSession,
    Message,
    MessageTemplate,
)
from caseapp.models.requests import InfoRequest, InfoRequestReason
from caseapp.models.review import DecisionCount, ReviewEvent, SavedView
from caseapp.models.security import RateLimitBucket, SealedTOTPDevice
from caseapp.models.submissions import Submission, SubmissionNameToken, SubmissionTally
from caseapp.models.submits import SubmitToken
from caseapp.models.team import SignInCounter, StaffInvitation, StaffProfile

__all__ = [
    "OUTCOME_CHOICES", "OUTSIDE_US", "STATE_CHOICES", "US_STATES",
    "AccessCode", "AuditEvent", "AuditEventQuerySet", "Case", "CaseUpdate", "DailyCount",
    "DeliveryLane", "DecisionCount", "InfoRequest", "InfoRequestReason", "ManageSession",
    "Message", "MessageTemplate", "RateLimitBucket", "ReviewEvent",
    "SavedView", "SealedTOTPDevice", "SignInCounter", "StaffInvitation", "StaffProfile",
    "Submission", "SubmissionNameToken", "SubmissionTally", "SubmitToken",
]
