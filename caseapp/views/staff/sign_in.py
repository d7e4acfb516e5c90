"""Signing in and out, and the two-factor steps."""

from __future__ import annotations

import base64
import datetime
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from caseapp.selectors.staff_accounts import (
    staff_backup_codes_left,
    staff_backup_device,
    staff_totp_device,
)
from caseapp.services.sign_in_limits import known_browser_remember
from caseapp.services.staff_accounts import (
    backup_code_normalise,
    staff_backup_codes_generate,
    staff_second_factor_enrol,
    staff_second_factor_verify,
    staff_totp_device_pending,
)
from caseapp.views.staff.access import (
    account_step,
    second_factor_step,
    staff_headers,
    staff_view,
)


class StaffAuthenticationForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.widget.attrs.update({"autocomplete": "username"})
        # AuthenticationForm sets max_length without its validator; without one, an over-long
        # name reaches authenticate() and the lockout log's column (an error on PostgreSQL).
        username.validators.append(MaxLengthValidator(username.max_length))
        username.error_messages["max_length"] = _(
            "Enter a username of %(limit_value)d characters or fewer."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template adds the form tag and ?next=
        self.helper.layout = Layout(
            Field("username"),
            Field("password"),
            Submit("sign_in", _("Sign in"), css_class="btn-primary"),
        )

class OtpTokenForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code"),
        min_length=6, max_length=8,
        help_text=_("From your authenticator app, for example 123 456."),
        error_messages={
            "required": _("Enter the 6-digit code from your authenticator app."),
            "min_length": _("Enter all 6 digits of the code."),
            "max_length": _("Enter only the 6 digits of the code."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field("token"),
                                    Submit("verify", _("Verify"), css_class="btn-primary"))

    def clean_token(self):
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit() or len(token) != 6:
            raise ValidationError(_("Enter the 6 digits of the code, numbers only."),
                                  code="invalid_token")
        return token


class OtpVerifyForm(OtpTokenForm):
    """The code from the authenticator, or one of the user's backup codes."""

    def __init__(self, *args, backup_codes: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.backup_codes = backup_codes
        token = self.fields["token"]
        if backup_codes:
            token.label = _("6-digit code or a backup code")
            token.help_text = _("From your authenticator app (for example 123 456), or one "
                                "of your backup codes (for example abcde-fghjk).")
            token.max_length = 16
            token.validators = [v for v in token.validators
                                if not isinstance(v, MaxLengthValidator)]
            token.validators.append(MaxLengthValidator(16))
            token.widget.attrs["maxlength"] = "16"
            token.widget.attrs.pop("inputmode", None)

    def clean_token(self):
        raw = self.cleaned_data["token"]
        if self.backup_codes and not "".join(raw.split()).isdigit():
            code = backup_code_normalise(raw)
            if len(code) != 10:
                raise ValidationError(
                    _("A backup code has 10 letters and digits, for example abcde-fghjk."),
                    code="invalid_backup_code")
            return code
        return super().clean_token()



OTP_WRONG_CODE = gettext_lazy(
    "That code did not work. Enter the 6-digit code your authenticator app shows now."
)

def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("staff:overview")


@staff_view("caseapp.view_submission", second_factor=False)
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    device = staff_totp_device(user=request.user, confirmed=True)
    if device is None:
        return redirect(_safe_next(request))
    form = OtpVerifyForm(request.POST or None,
                         backup_codes=staff_backup_device(user=request.user) is not None)
    if request.method == "POST" and form.is_valid():
        if staff_second_factor_verify(request=request, device=device,
                                      token=form.cleaned_data["token"]):
            response = redirect(_safe_next(request))
            known_browser_remember(response=response, username=request.user.get_username())
            return response
        form.add_error("token", ValidationError(OTP_WRONG_CODE, code="wrong_code"))
    return render(request, "caseapp/staff/otp_verify.html", {
        "form": form, "next": _safe_next(request), "backup_codes": form.backup_codes,
    })


@staff_view("caseapp.view_submission", second_factor=False)
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    if staff_totp_device(user=request.user, confirmed=True) is not None \
            and not request.user.is_verified():
        return redirect(f"{reverse('staff:otp_verify')}?next={quote(_safe_next(request))}")
    device = staff_totp_device_pending(user=request.user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if staff_second_factor_enrol(request=request, device=device,
                                     token=form.cleaned_data["token"]):
            messages.success(request, _("Two-factor sign-in is on for your account. Make "
                                        "backup codes now, in case you lose your phone."))
            response = redirect(f"{reverse('staff:otp_backup_codes')}"
                                f"?next={quote(_safe_next(request))}")
            known_browser_remember(response=response, username=request.user.get_username())
            return response
        form.add_error("token", ValidationError(OTP_WRONG_CODE, code="wrong_code"))
    return render(request, "caseapp/staff/otp_setup.html", {
        "form": form,
        "next": _safe_next(request),
        "qr_svg": totp_qr_svg(device),
        "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        "required": second_factor_step(request) == "staff:otp_setup",
        "enrolled": request.user.is_verified(),
    })


@staff_view("caseapp.view_submission", step="staff:otp_backup_codes")
@require_http_methods(["GET", "POST"])
def otp_backup_codes(request: HttpRequest) -> HttpResponse:
    """Make backup codes (each works once, instead of the authenticator); they are shown on
    this response only."""
    if staff_totp_device(user=request.user, confirmed=True) is None:
        return redirect(reverse("staff:otp_setup"))
    codes = staff_backup_codes_generate(request=request) if request.method == "POST" else None
    return render(request, "caseapp/staff/otp_backup_codes.html", {
        "codes": codes, "left": staff_backup_codes_left(user=request.user),
        "next": _safe_next(request),
        # At enrolment they are made before any other page: no "Not now".
        "required": account_step(request) == "staff:otp_backup_codes",
    })


def totp_qr_svg(device) -> str:
    """The enrolment QR code drawn on the server as SVG (no script, no other origin)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=8, border=2)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 (our own SVG, no input)


# --- sign in and out -----------------------------------------------------------------------

class StaffLoginView(auth_views.LoginView):
    template_name = "caseapp/staff/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if step := account_step(self.request):
            return redirect(f"{reverse(step)}?next={quote(self.get_success_url())}")
        return response

    def form_invalid(self, form):
        attempt = getattr(self.request, "sign_in_attempt", None)
        if attempt is not None and attempt.refused:
            account_wide = attempt.refused == "account"
            return render(self.request, "caseapp/staff/locked_out.html", {
                "account_wide": account_wide,
                "failure_limit": settings.CASEAPP_LOGIN_ACCOUNT_LIMIT if account_wide
                else settings.CASEAPP_LOGIN_FAILURE_LIMIT,
                "cooloff_timedelta": datetime.timedelta(
                    minutes=settings.CASEAPP_LOGIN_COOLOFF_MINUTES),
            }, status=429)
        return super().form_invalid(form)

    def dispatch(self, request, *args, **kwargs):
        return staff_headers(super().dispatch(request, *args, **kwargs))


login = StaffLoginView.as_view()
logout = method_decorator(require_POST, name="dispatch")(auth_views.LogoutView).as_view()
