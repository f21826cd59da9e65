"""The README's configuration reference names every field of every model, so the docs cannot fall behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth0_m2m.model.config import (
    ApiConfig,
    ApplicationConfig,
    GrantConfig,
    OrganizationConfig,
    PublicKeyConfig,
    StackConfig,
    TokenQuotaConfig,
)

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
REFERENCE = README[README.index("## Stack configuration reference") : README.index("## Using the library")]


@pytest.mark.parametrize(
    "model",
    [StackConfig, OrganizationConfig, ApiConfig, ApplicationConfig, GrantConfig, PublicKeyConfig, TokenQuotaConfig],
)
def test_every_field_is_documented(model):
    missing = [name for name in model.model_fields if f"| `{name}` |" not in REFERENCE]
    assert not missing, f"{model.__name__} fields missing from the README's reference: {missing}"


def test_the_scope_table_is_the_models():
    from auth0_m2m.model.scopes import markdown_table

    assert markdown_table() in README
