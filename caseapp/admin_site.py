"""The admin site: django-otp's, under the name Django's admin templates expect."""

from django_otp.admin import OTPAdminSite


class CaseappAdminSite(OTPAdminSite):
    """Only a user verified with a second factor in this session passes ``has_permission``;
    named ``admin`` so the admin's own URL names keep working."""

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
