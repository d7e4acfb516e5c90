"""The team page (Administrators): invite, change a role, deactivate, reset a second factor;
and the invitee's one-time link."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from caseapp.selectors.team import ROLES, member_by_id, team_members
from caseapp.services.staff_accounts import staff_second_factor_reset
from caseapp.services.team import (
    staff_deactivate,
    staff_invitation_accept,
    staff_invitation_find,
    staff_invitation_resend,
    staff_invite,
    staff_reactivate,
    staff_role_change,
)
from caseapp.views.staff.access import staff_headers, staff_view

MANAGE = "caseapp.manage_staff"
ROLE_LABELS = {"Reviewer": _("Reviewer"), "Supervisor": _("Supervisor"),
               "Administrator": _("Administrator")}
ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in ROLES]


class InviteForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               help_text=_("What they type to sign in, for example jsmith."),
                               validators=[get_user_model().username_validator])
    email = forms.EmailField(label=_("Work email"), max_length=254,
                             help_text=_("The invitation link goes here."))
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial="Reviewer")


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


@staff_view(MANAGE)
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff_invite(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.")
                             % {"email": form.cleaned_data["email"]})
            return redirect("staff:team")
    return render(request, "caseapp/staff/team.html", {
        "form": form, "members": team_members(), "roles": ROLE_CHOICES, "nav": "team",
        "invitation_hours": int(settings.CASEAPP_INVITATION_HOURS),
    }, status=400 if form.errors else 200)


def _member(user_id: int):
    user = member_by_id(user_id=user_id)
    if user is None:
        raise Http404
    return user


def _done(request: HttpRequest, action, message) -> HttpResponse:
    """Run one change and come back to the team page with what happened."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, message)
    return redirect("staff:team")


@staff_view(MANAGE)
@require_POST
def member_role(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _member(user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles offered."))
        return redirect("staff:team")
    return _done(request, lambda: staff_role_change(actor=request.user, user=user,
                                                    role=form.cleaned_data["role"],
                                                    request=request),
                 _("%(name)s's role is now %(role)s.") % {
                     "name": user.get_username(), "role": ROLE_LABELS[form.cleaned_data["role"]]})


@staff_view(MANAGE)
@require_POST
def member_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _member(user_id)
    return _done(request, lambda: staff_deactivate(actor=request.user, user=user,
                                                   request=request),
                 _("%(name)s is deactivated and signed out everywhere.")
                 % {"name": user.get_username()})


@staff_view(MANAGE)
@require_POST
def member_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _member(user_id)
    return _done(request, lambda: staff_reactivate(actor=request.user, user=user,
                                                   request=request),
                 _("%(name)s can sign in again.") % {"name": user.get_username()})


@staff_view(MANAGE)
@require_POST
def member_second_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _member(user_id)
    return _done(request, lambda: staff_second_factor_reset(user=user, actor=request.user,
                                                            request=request),
                 _("%(name)s's two-factor sign-in is removed and they are signed out; they "
                   "set it up again at their next sign-in.") % {"name": user.get_username()})


@staff_view(MANAGE)
@require_POST
def member_invitation_resend(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _member(user_id)
    return _done(request, lambda: staff_invitation_resend(actor=request.user, user=user,
                                                          request=request),
                 _("A new invitation is on its way to %(email)s; the earlier link no longer "
                   "works.") % {"email": user.email})


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's link: choose a password (Django's validators), then sign in and set up
    the second factor before any page."""
    found = staff_invitation_find(token=token)
    if found is None:
        response = render(request, "caseapp/staff/invitation_invalid.html", status=404)
        return staff_headers(response)
    form = SetPasswordForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_invitation_accept(token=token, request=request,
                                           password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            raise Http404 from error  # used in another tab a moment ago
        login(request, user, backend="caseapp.auth.PermissionBackend")
        return staff_headers(redirect(reverse("staff:overview")))
    return staff_headers(render(request, "caseapp/staff/invitation.html", {
        "form": form, "invitee": found.user.get_username(),
    }))
