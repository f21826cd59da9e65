"""Messages quote values from the stack file shortened to at most 100 characters, wherever the value is."""

from __future__ import annotations

import copy
import re

import pytest

from auth0_m2m import StackConfigError, validate
from auth0_m2m.model.errors import MAX_QUOTED, quote

from .test_rules import BASE, SOURCE

HUGE = "x" * 5000


def app(raw):
    return raw["applications"][0]


PLACES = {
    "environment": lambda r: r.update(environment=HUGE),
    "unknown field name": lambda r: r.update({HUGE: 1}),
    "application name": lambda r: app(r).update(name=HUGE),
    "display name": lambda r: app(r).update(display_name=HUGE),
    "description": lambda r: app(r).update(description=HUGE),
    "metadata key": lambda r: app(r).update(metadata={HUGE: "v"}),
    "scope": lambda r: app(r)["grants"][0].update(scopes=[HUGE]),
    "organization reference": lambda r: app(r)["grants"][0].update(organizations=[HUGE]),
    "identifier": lambda r: r["apis"]["orders"].update(identifier=HUGE),
    "organization usage": lambda r: app(r)["grants"][0].update(organization_usage=HUGE),
    "boolean": lambda r: r.update(production=HUGE),
    "type": lambda r: app(r).update(grants=HUGE),
}


@pytest.mark.parametrize("change", PLACES.values(), ids=PLACES.keys())
def test_no_message_quotes_more_than_100_characters(change):
    raw = copy.deepcopy(BASE)
    change(raw)
    with pytest.raises(StackConfigError) as error:
        validate(raw, SOURCE)
    for line in str(error.value).splitlines():
        longest = max((len(run) for run in re.findall(r"x+", line)), default=0)
        assert longest < MAX_QUOTED, line
        assert len(line) < 600, line


@pytest.mark.parametrize("value", ["short", HUGE, list(range(1000)), {str(i): i for i in range(500)}, 10**300])
def test_quote(value):
    quoted = quote(value)
    assert len(quoted) <= MAX_QUOTED
    if len(repr(value)) <= MAX_QUOTED:
        assert quoted == repr(value)
    else:
        assert "..." in quoted
