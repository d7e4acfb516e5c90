"""Strict templates under the tests: a name a template reads and nobody gave fails the test.

A tidy-up removed ``form.AUDIENCE_FIELDS``; the update form's ``{% for %}`` over it rendered
nothing, and every case update went to every registrant while the suite stayed green. Django's
own ``string_if_invalid`` (pytest-django's ``--fail-on-template-vars``) would not have caught
it: ``{% for %}``, ``{% if %}`` and ``{% firstof %}`` resolve their names with failures ignored.
So in the project's own Django templates (those in the engine's ``DIRS``: Django's admin and
crispy's templates are not ours to fix) every name that does not resolve fails, wherever it
is read; and Jinja2 uses ``StrictUndefined``. Where a name is legitimately absent, the
template says so: ``|default`` in Django's language, ``is defined`` in Jinja2. Production
keeps both engines' lenient defaults.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
import pytest
from django.template import base, defaultfilters
from django.template.base import TokenType
from django.templatetags.i18n import BlockTranslateNode

JINJA2_BACKEND = "django.template.backends.jinja2.Jinja2"


class StrictVariable(base.Variable):
    """A name read by one of the project's templates, without a ``|default``."""

    __slots__ = ()
    template_name = ""


@functools.cache
def _strict_class(template_name: str) -> type[StrictVariable]:
    # Variable has __slots__, so the template's name travels on a class of its own.
    return type("StrictVariable", (StrictVariable,), {"__slots__": (),
                                                       "template_name": template_name})


def _ours(origin) -> bool:
    loader = getattr(origin, "loader", None)
    if loader is None or not isinstance(origin.name, str):  # from a string, not a file
        return False
    path = Path(origin.name)
    return any(path.is_relative_to(directory) for directory in loader.engine.dirs)


def _fail(name: str, template_name: str) -> None:
    # pytest's failure is not an Exception, so no ``{% if %}`` or handler swallows it.
    pytest.fail(f"Undefined template variable '{name}' in '{template_name}'", pytrace=False)


def install(settings) -> None:
    """Make both engines strict; call before the first template is loaded."""
    for engine in settings.TEMPLATES:
        if engine["BACKEND"] == JINJA2_BACKEND:
            engine["OPTIONS"]["undefined"] = jinja2.StrictUndefined

    parse = base.FilterExpression.__init__

    def parse_strictly(self, token, parser):
        parse(self, token, parser)
        # ``{{ name|default:... }}`` says that the name may be missing.
        if self.is_var and _ours(parser.origin) and not any(
                func is defaultfilters.default for func, _args in self.filters):
            self.var.__class__ = _strict_class(parser.origin.name)

    resolve = base.Variable.resolve

    def resolve_strictly(self, context):
        try:
            return resolve(self, context)
        except base.VariableDoesNotExist:
            if isinstance(self, StrictVariable):
                _fail(self.var, self.template_name)
            raise

    render_translation = BlockTranslateNode.render

    def render_translation_strictly(self, context, nested=False):
        # ``{% blocktranslate %}`` reads its names from the context itself, not as variables.
        if _ours(getattr(self, "origin", None)):
            given = set(self.extra_context) | {self.countervar}
            for token in [*self.singular, *(self.plural or [])]:
                name = token.contents
                if token.token_type == TokenType.VAR and name not in given and \
                        name not in context:
                    _fail(name, self.origin.name)
        return render_translation(self, context, nested)

    base.FilterExpression.__init__ = parse_strictly
    base.Variable.resolve = resolve_strictly
    BlockTranslateNode.render = render_translation_strictly
