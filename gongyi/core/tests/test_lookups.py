"""A NUL in a looked-up text value matches no row, on SQLite and PostgreSQL alike (gongyi.core.lookups)."""

from __future__ import annotations

import pytest

from gongyi.orgs.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    return Region.objects.create(code="420700", name="鄂州市", level="city")


def test_exact_and_friends_with_nul_match_nothing(region):
    assert not Region.objects.filter(code="420700\x00").exists()
    assert not Region.objects.filter(pk="\x00").exists()
    assert not Region.objects.filter(name__iexact="鄂州市\x00").exists()
    assert not Region.objects.filter(name__contains="\x00").exists()
    assert not Region.objects.filter(name__icontains="州\x00").exists()
    assert not Region.objects.filter(name__startswith="鄂\x00").exists()
    assert not Region.objects.filter(name__endswith="\x00市").exists()


def test_negation_and_or_keep_their_meaning(region):
    assert list(Region.objects.exclude(code="\x00")) == [region]
    assert list(Region.objects.filter(code="\x00") | Region.objects.filter(code="420700")) == [region]


def test_in_drops_the_nul_values(region):
    assert list(Region.objects.filter(code__in=["\x00", "420700"])) == [region]
    assert not Region.objects.filter(code__in=["\x00"]).exists()


def test_values_without_nul_are_untouched(region):
    assert Region.objects.get(code="420700") == region
    assert Region.objects.filter(name__contains="州").count() == 1
