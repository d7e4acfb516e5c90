"""A staff member's own account: language, password change, password reset by email.
The password views are Django's own; these subclasses add the audit and the rate limit."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from caseapp.ratelimit import Rate, client_ip, hit
from caseapp.selectors.staff_accounts import staff_access
from caseapp.services.team import staff_language_set, staff_password_changed
from caseapp.views.staff.access import staff_headers, staff_view


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the staff workspace"),
                                 choices=settings.LANGUAGES)


@staff_view("caseapp.view_submission")
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST or None,
                        initial={"language": staff_access(user=request.user).language})
    if request.method == "POST" and form.is_valid():
        staff_language_set(user=request.user, language=form.cleaned_data["language"],
                           request=request)
        return redirect("staff:account")
    return render(request, "caseapp/staff/account.html", {"form": form, "nav": "account"})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (old password, validators, the session kept, the others ended)."""

    template_name = "caseapp/staff/password_change.html"
    success_url = reverse_lazy("staff:overview")

    def get_context_data(self, **kwargs):
        must_change = staff_access(user=self.request.user).must_change_password
        return super().get_context_data(**kwargs, must_change=must_change)

    def form_valid(self, form):
        response = super().form_valid(form)
        staff_password_changed(user=form.user, how="change", request=self.request)
        messages.success(self.request, _("Your password is changed."))
        return response


password_change = staff_view("caseapp.view_submission", step="staff:password_change")(
    PasswordChangeView.as_view())


class PasswordResetView(auth_views.PasswordResetView):
    """Django's view: the same neutral page whatever the address; only active accounts with
    that email get a link. Limited per client address, so it cannot flood a mailbox."""

    template_name = "caseapp/staff/password_reset.html"
    email_template_name = "caseapp/staff/password_reset_email.txt"
    subject_template_name = "caseapp/staff/password_reset_subject.txt"
    success_url = reverse_lazy("staff:password_reset_sent")

    def form_valid(self, form):
        if hit(scope="staff-password-reset", key=client_ip(self.request),
               rate=Rate.parse(settings.CASEAPP_PASSWORD_RESET_RATE)) is not None:
            return redirect(self.success_url)  # the same page: nothing to tell a prober
        return super().form_valid(form)

    @property
    def extra_email_context(self):  # read by Django's form_valid
        return {"site_url": settings.CASEAPP_SITE_URL}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Sets the password and signs nobody in: the next sign-in asks for the second factor."""

    template_name = "caseapp/staff/password_reset_confirm.html"
    success_url = reverse_lazy("staff:password_reset_done")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        staff_password_changed(user=form.user, how="reset", request=self.request)
        return response


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "caseapp/staff/password_reset_sent.html"


class PasswordResetDoneView(auth_views.PasswordResetCompleteView):
    template_name = "caseapp/staff/password_reset_done.html"


def _staff_page(view_class):
    """A page anyone may open (no sign-in), with the staff pages' no-cache headers."""
    view = view_class.as_view()

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return staff_headers(view(request, *args, **kwargs))

    return wrapped


password_reset = _staff_page(PasswordResetView)
password_reset_sent = _staff_page(PasswordResetSentView)
password_reset_confirm = _staff_page(PasswordResetConfirmView)
password_reset_done = _staff_page(PasswordResetDoneView)
