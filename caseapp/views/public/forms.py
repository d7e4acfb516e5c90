"""Public forms: one question at a time, and the registration with the firm."""

from __future__ import annotations

import re
import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from caseapp import eligibility, wording
from caseapp.models import OUTSIDE_US, STATE_CHOICES, US_STATES
from caseapp.services.email.links import manage_url
from caseapp.validators import NO_NULLS, reject_control_characters


def email_field(label, help_text="") -> forms.EmailField:
    """A person's email address, as every public form asks for it."""
    return forms.EmailField(
        label=label, max_length=254, help_text=help_text,
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address in the correct format, like name@example.com."),
            "max_length": _("Enter an email address of 254 characters or fewer."),
            **NO_NULLS,
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

class QuestionForm(forms.Form):
    """One radio question whose field is named by the question key and valued by codes."""

    def __init__(self, *args, question: eligibility.Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        self.fields[question.key] = forms.ChoiceField(
            label=gettext(question.text),
            help_text=gettext(question.hint),
            choices=[(c.code, gettext(c.label)) for c in question.choices],
            widget=forms.RadioSelect,
            error_messages={
                "required": _("Select one of the answers, then press Continue."),
                "invalid_choice": _(
                    "That answer is not one of the options. Select one of the answers shown."
                ),
            },
        )

    @property
    def field(self) -> forms.BoundField:
        return self[self.question.key]


PHONE_RE = re.compile(r"^\+?[0-9 ().\-]{7,25}$")


def _state_choices() -> list[tuple[str, str]]:
    """The states in the alphabetical order of the page's language (in Spanish, Nueva York
    comes under N), then "Outside the U.S.". A callable, so each form asks in its language."""
    def key(choice):
        text = unicodedata.normalize("NFKD", str(choice[1]))
        return "".join(c for c in text if not unicodedata.combining(c)).casefold()

    outside = dict(STATE_CHOICES)[OUTSIDE_US]
    return [("", gettext("Choose a state")), *sorted(US_STATES, key=key), (OUTSIDE_US, outside)]


class RegistrationForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        error_messages={
            "required": _("Enter your full name."),
            "max_length": _("Enter a name of 200 characters or fewer."),
            **NO_NULLS,
        },
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    email = email_field(_("Email address"),
                        help_text=_("The firm will use this to contact you about the case."))
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        required=False,
        max_length=25,
        help_text=_("For example 415 555 0100 or +1 415 555 0100."),
        error_messages={"max_length": _("Enter a phone number of 25 characters or fewer."),
                        **NO_NULLS},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    state = forms.ChoiceField(
        label=_("U.S. state where you live"),
        choices=_state_choices,
        error_messages={
            "required": _("Choose the state where you live, or “Outside the U.S.”."),
            "invalid_choice": _("Choose a state from the list."),
        },
        widget=forms.Select(attrs={"autocomplete": "address-level1"}),
    )
    consent_contact = forms.BooleanField(
        # In __init__: the words name the page's full address, in the reader's language.
        label="",
        error_messages={"required": _("Tick the box to agree that the firm may contact you; "
                                      "without it the firm cannot follow up.")},
    )
    attest_true = forms.BooleanField(
        label=wording.ATTESTATION.text,
        error_messages={"required": _("Tick the box to confirm your answers are true to the "
                                      "best of your knowledge.")},
    )
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    #: Honeypot: hidden from people (and from screen readers); naive bots fill every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent_contact"].label = wording.CONSENT_CONTACT.shown(
            manage_url=manage_url())
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.form_method = "post"
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("full_name", css_class="w-100"),
            Field("email"),
            Field("phone"),
            Field("state"),
            HTML(format_html('<h2 class="h4 mt-4">{}</h2>', gettext("Your agreement"))),
            Field("consent_contact"),
            Field("attest_true"),
            Field("form_token"),
            Div(Field("website", tabindex="-1", autocomplete="off"), css_class="honeypot",
                aria_hidden="true"),
            Submit("register", _("Register"), css_class="btn-success btn-lg mt-3"),
        )

    def clean_full_name(self):
        name = self.cleaned_data["full_name"].strip()
        reject_control_characters(name)
        if not name:
            raise ValidationError(_("Enter your full name."), code="required")
        return name

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        reject_control_characters(email)
        return email

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        reject_control_characters(phone)
        if phone and (not PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 7):
            raise ValidationError(
                _("Enter a phone number using digits, like 415 555 0100, or leave it empty."),
                code="invalid_phone",
            )
        return phone


class EmailCorrectionForm(forms.Form):
    """The registration's email address, typed again to fix a typo."""

    email = email_field(_("Correct email address"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.form_method = "post"
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("email"),
            Submit("correct", _("Change email address"), css_class="btn-primary mt-2"),
        )

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        reject_control_characters(email)
        return email


def _public_form_helper(form: forms.Form, *fields: str, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = True
    helper.form_method = "post"
    helper.attrs = {"novalidate": ""}
    helper.layout = Layout(*(Field(name) for name in fields),
                           Submit("continue", submit, css_class="btn-success btn-lg mt-2"))
    return helper


class ManageSignInForm(forms.Form):
    """/manage/: the reference and the email address the person registered with."""

    reference = forms.CharField(
        label=_("Reference number"), max_length=40,
        help_text=_("It looks like LI-7K3M-Q9XP. It is in the email we sent when you "
                    "registered."),
        error_messages={"required": _("Enter your reference number."),
                        "max_length": _("Enter a reference number like LI-7K3M-Q9XP."),
                        **NO_NULLS},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )
    email = email_field(_("Email address"), help_text=_("The address you registered with."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _public_form_helper(self, "reference", "email", submit=_("Continue"))


class ManageCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=20,
        help_text=_("The six digits in the email we have just sent."),
        error_messages={"required": _("Enter the six-digit code from the email."),
                        "max_length": _("Enter the six-digit code from the email."),
                        **NO_NULLS},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _public_form_helper(self, "code", submit=_("Continue"))


class ContactDetailsForm(forms.Form):
    """The registrant corrects their own contact details (the registration's fields)."""

    full_name = RegistrationForm.base_fields["full_name"]
    email = RegistrationForm.base_fields["email"]
    phone = RegistrationForm.base_fields["phone"]
    state = RegistrationForm.base_fields["state"]
    clean_full_name = RegistrationForm.clean_full_name
    clean_email = RegistrationForm.clean_email
    clean_phone = RegistrationForm.clean_phone

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _public_form_helper(self, "full_name", "email", "phone", "state",
                                          submit=_("Save changes"))


class InfoAnswerForm(forms.Form):
    """/manage/: the person answers the firm's request for information, and may change their
    answers to the questions (the rules decide again)."""

    answer = forms.CharField(
        label=_("Your answer to the firm"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Write what the firm asked for. Only the firm's staff read it."),
        error_messages={"required": _("Write your answer to the firm's request."), **NO_NULLS},
    )

    def __init__(self, *args, answers: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = answers
        for question in eligibility.QUESTIONS:
            choices = [("", _("No answer"))] if question.key not in answers else []
            self.fields[f"q_{question.key}"] = forms.ChoiceField(
                label=_(question.text), required=False, initial=answers.get(question.key, ""),
                choices=choices + [(c.code, _(c.label)) for c in question.choices])
        self.helper = _public_form_helper(self, "answer", *(f"q_{q.key}"
                                                           for q in eligibility.QUESTIONS),
                                          submit=_("Send your answer"))

    def clean_answer(self):
        answer = self.cleaned_data["answer"].strip()
        reject_control_characters(answer, multiline=True)
        return answer

    def changed_answers(self) -> dict[str, str]:
        """The answers the person changed (codes by question key)."""
        return {q.key: self.cleaned_data[f"q_{q.key}"] for q in eligibility.QUESTIONS
                if self.cleaned_data.get(f"q_{q.key}")
                and self.cleaned_data[f"q_{q.key}"] != self.answers.get(q.key)}
