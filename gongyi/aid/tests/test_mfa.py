"""Aid staff sign in with password and TOTP, exactly like the back office (``gongyi.core.mfa``): each refusal
for a page and an API operation, a real sign-in, TOTP enrolment (the regulator's too), and that aid people
cannot remove their TOTP."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gongyi.aid import services
from gongyi.aid.models import AccessLog, AidRole, Role
from gongyi.aid.tests.fixtures import SECRET_NAME, ready_case, staff_client, staff_login

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "a-Long-aid-pass-1"


def current_code(secret: str = SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def without_totp(user):
    Authenticator.objects.filter(user=user).delete()
    return user


def password_only(user) -> Client:
    """Signed in, but this session never used the second factor (force_login records no method)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def case(network):
    return ready_case(network)


def pages(case):
    return [
        ("get", reverse("aid-cases"), {}),
        ("get", reverse("aid-case", args=[case.case_number]), {}),
        ("post", reverse("aid-case-reveal", args=[case.case_number]), {"reason": "review"}),
    ]


def api_operations(case):
    return [
        ("get", "/api/v1/aid/cases", None),
        ("post", f"/api/v1/aid/cases/{case.case_number}/personal", {"reason": "review"}),
    ]


def call(client, method, url, data):
    if method == "get":
        return client.get(url)
    if url.startswith("/api/"):
        return client.post(url, data, content_type="application/json")
    return client.post(url, data)


def test_with_password_and_totp_pages_and_api_open(network, case):
    client = staff_client(network.users["village"])
    for method, url, data in pages(case):
        assert call(client, method, url, data).status_code == 200, url
    for method, url, data in api_operations(case):
        assert call(client, method, url, data).status_code == 200, url
    assert AccessLog.objects.count() == 2  # the page's and the API's reveal


@pytest.mark.parametrize("who", ["anonymous", "no_role", "no_totp", "password_only_session"])
def test_each_refusal_for_pages_and_api(network, case, who):
    village = network.users["village"]
    if who == "no_totp":
        without_totp(village)
    for method, url, data in pages(case):
        client = {
            "anonymous": Client,
            "no_role": lambda: staff_client(network.users["plain"]),
            "no_totp": lambda: staff_client(village),
            "password_only_session": lambda: password_only(village),
        }[who]()
        response = call(client, method, url, data)
        location = response.get("Location", "")
        if who == "no_role":
            assert response.status_code == 403 and "您没有救助工作权限" in response.content.decode(), url
        elif who == "no_totp":
            activate = reverse("mfa_activate_totp")
            assert response.status_code == 302 and location.startswith(f"{activate}?next=%2Faid%2F"), (url, location)
            assert "_auth_user_id" in client.session  # still signed in: enrolling needs the session
        else:
            assert response.status_code == 302 and location.startswith(reverse("account_login") + "?next="), url
            if who == "password_only_session":
                assert "_auth_user_id" not in client.session  # signed out
    expected = {"anonymous": 401, "no_role": 403, "no_totp": 403, "password_only_session": 403}[who]
    messages = {
        "anonymous": "请先登录",
        "no_role": "没有救助工作权限",
        "no_totp": "救助工作需要两步验证",
        "password_only_session": "救助工作需要两步验证",
    }
    for method, url, data in api_operations(case):
        client = {
            "anonymous": Client,
            "no_role": lambda: staff_client(network.users["plain"]),
            "no_totp": lambda: staff_client(village),
            "password_only_session": lambda: password_only(village),
        }[who]()
        response = call(client, method, url, data)
        assert response.status_code == expected, (url, response.status_code)
        body = response.json()
        assert set(body) == {"message", "errors"} and body["message"].startswith(messages[who]), body
        assert SECRET_NAME not in response.content.decode()
    assert not AccessLog.objects.exists()  # no refused caller read anything


def test_aid_login_forwards_to_allauth_and_password_plus_totp_signs_in(network):
    client = Client()
    forward = client.get(reverse("aid-login"))
    assert forward.status_code == 302 and forward["Location"] == "/me/auth/login/?next=%2Faid%2F"
    kept = client.get(reverse("aid-login"), {"next": "/aid/coverage/"})
    assert kept["Location"] == "/me/auth/login/?next=%2Faid%2Fcoverage%2F"
    foreign = client.get(reverse("aid-login"), {"next": "https://evil.example/aid/"})
    assert foreign["Location"] == "/me/auth/login/?next=%2Faid%2F"
    signed_out = client.get(reverse("aid-cases"))
    assert signed_out["Location"] == "/me/auth/login/?next=/aid/"

    user = get_user_model().objects.create_user("real_aid", password=PASSWORD)
    TOTP.activate(user, SECRET)
    services.grant_role(user=user, role=Role.DISTRICT_STAFF, region=network.district)
    step = client.post("/me/auth/login/", {"login": "real_aid", "password": PASSWORD, "next": "/aid/"})
    assert step.status_code == 302 and step["Location"].startswith("/me/auth/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    assert client.post("/me/auth/2fa/authenticate/", {"code": "000000"}).status_code == 200
    done = client.post("/me/auth/2fa/authenticate/", {"code": current_code()})
    assert done.status_code == 302 and done["Location"] == "/aid/"
    assert client.get(reverse("aid-cases")).status_code == 200
    assert client.get("/api/v1/aid/coverage").status_code == 200
    assert client.post(reverse("aid-logout")).status_code == 302
    assert client.get(reverse("aid-cases")).status_code == 302


@pytest.mark.parametrize("who", ["village", "regulator"])
def test_a_role_without_totp_enrols_it_through_allauth(network, who):
    """Also the regulator, whose every other write the read-only middleware refuses."""
    user = without_totp(network.users[who])
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    step = client.post("/me/auth/login/", {"login": user.username, "password": PASSWORD, "next": "/aid/"})
    assert step.status_code == 302 and step["Location"] == "/aid/"  # no TOTP yet: password only
    to_enrol = client.get(reverse("aid-cases"))
    assert to_enrol["Location"] == reverse("mfa_activate_totp") + "?next=%2Faid%2F"
    # allauth asks for the password again before adding a second factor.
    reauth = client.get(to_enrol["Location"])
    assert reauth.status_code == 302 and reauth["Location"].startswith("/me/auth/reauthenticate/")
    again = client.post(reauth["Location"], {"password": PASSWORD})
    assert again.status_code == 302, again.content.decode()[:400]
    page = client.get(to_enrol["Location"])
    assert page.status_code == 200 and "totp-qr" in page.content.decode()
    secret = client.session["mfa.totp.secret"]
    enrolled = client.post(to_enrol["Location"], {"code": current_code(secret)})
    assert enrolled.status_code == 302, enrolled.content.decode()[:400]
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("aid-cases")).status_code == 200  # enrolled after signing in: this session counts


def test_aid_people_cannot_remove_their_totp_until_their_role_ends(network):
    adapter = get_adapter()
    for name in ("village", "regulator", "social_worker", "federation"):
        totp = Authenticator.objects.get(user=network.users[name], type=Authenticator.Type.TOTP)
        assert adapter.can_delete_authenticator(totp) is False, name
    plain = network.users["plain"]
    TOTP.activate(plain, SECRET)
    assert adapter.can_delete_authenticator(Authenticator.objects.get(user=plain)) is True
    AidRole.objects.filter(user=network.users["social_worker"]).update(is_active=False)
    totp = Authenticator.objects.get(user=network.users["social_worker"])
    assert adapter.can_delete_authenticator(totp) is True
    # allauth's own page refuses it too.
    client = staff_client(network.users["village"])
    deactivate = client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=network.users["village"]).exists(), deactivate.status_code


def test_a_stolen_password_session_cannot_read_personal_data(network, case):
    """A session that signed in with the password before TOTP existed is signed out on its first aid request."""
    village = network.users["village"]
    client = Client()
    staff_login(client, village)
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time() - 3600}]
    session.save()
    Authenticator.objects.filter(user=village).update(created_at=timezone.now() - timedelta(hours=2))
    response = client.post(reverse("aid-case-reveal", args=[case.case_number]), {"reason": "review"})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    assert not AccessLog.objects.exists()
