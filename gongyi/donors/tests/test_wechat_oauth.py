"""Signing in inside WeChat (official-account web OAuth) against a local fake WeChat server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from gongyi.donors.selectors import donor_gifts
from gongyi.donors.tests.helpers import make_gift
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db

OPENID = "oWX_test_openid_0001"


def start(client, next_url="/me/", process="login"):
    response = client.post("/me/auth/weixin/login/", {"process": process, "next": next_url})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def authorize(location: str) -> str:
    """What WeChat's browser does: open the authorize URL (without the fragment) and follow to our callback."""
    answer = requests.get(location.split("#", 1)[0], allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["Location"])
    assert callback.path == "/me/auth/weixin/login/callback/"
    return f"{callback.path}?{callback.query}"


def test_signing_in_with_wechat_makes_an_account_holding_the_openid_and_its_gifts(client, wechat):
    project = make_project()
    paid_in_wechat = make_gift(project, gateway="wechatpay", payer=OPENID, fen=6_600)
    someone_else = make_gift(project, gateway="wechatpay", payer="oWX_someone_else", fen=100)

    location = start(client)
    url = urlsplit(location)
    query = parse_qs(url.query)
    assert location.startswith(wechat.base_url + "/connect/oauth2/authorize?")
    assert location.endswith("#wechat_redirect")
    assert query["appid"] == ["wx5f1c2d3e4a5b6c7d"] and query["scope"] == ["snsapi_base"]
    assert query["response_type"] == ["code"] and query["state"]

    done = client.get(authorize(location))

    assert done.status_code == 302 and done["Location"] == "/me/"
    account = SocialAccount.objects.get(provider="weixin", uid=OPENID)
    assert client.session["_auth_user_id"] == str(account.user_id)
    assert "access_token" not in account.extra_data  # never stored
    assert [g.pk for g in donor_gifts(account.user)] == [paid_in_wechat.pk]
    page = client.get("/me/").content.decode()
    assert paid_in_wechat.certificate_no in page and someone_else.certificate_no not in page
    # Only the token call reached the API: snsapi_base needs no profile call.
    assert [path for _, path, _ in wechat.state.requests] == ["/connect/oauth2/authorize", "/sns/oauth2/access_token"]


def test_signing_in_again_finds_the_same_account(client, wechat):
    client.get(authorize(start(client)))
    first = client.session["_auth_user_id"]
    client.logout()
    client.get(authorize(start(client)))
    assert client.session["_auth_user_id"] == first
    assert SocialAccount.objects.filter(uid=OPENID).count() == 1


def test_a_replayed_code_or_a_forged_state_signs_nobody_in(client, wechat):
    callback = authorize(start(client))
    client.get(callback)
    client.logout()

    replay = client.get(callback)  # the state was used up, and WeChat refuses the code a second time
    assert "_auth_user_id" not in client.session
    assert replay.status_code == 401 and SocialAccount.objects.count() == 1  # allauth's sign-in error page

    fresh = authorize(start(client))
    forged = fresh.replace("state=", "state=x")
    assert client.get(forged).status_code == 401
    assert "_auth_user_id" not in client.session


def test_userinfo_scope_fetches_the_nickname(client, wechat, settings):
    provider = {**settings.SOCIALACCOUNT_PROVIDERS["weixin"], "SCOPE": ["snsapi_userinfo"]}
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "weixin": provider}
    client.get(authorize(start(client)))
    account = SocialAccount.objects.get(uid=OPENID)
    assert account.extra_data["nickname"] == "微信捐赠人"
    assert "/sns/userinfo" in [path for _, path, _ in wechat.state.requests]


def test_a_phone_donor_can_link_wechat_and_then_sees_both(client, wechat, sms_outbox):
    from gongyi.donors.tests.helpers import sign_in_with_phone

    project = make_project()
    by_phone = make_gift(project, phone="13800138000")
    in_wechat = make_gift(project, gateway="wechatpay", payer=OPENID)
    sign_in_with_phone(client, "13800138000")
    user_id = client.session["_auth_user_id"]

    client.get(authorize(start(client, process="connect")))

    account = SocialAccount.objects.get(uid=OPENID)
    assert str(account.user_id) == user_id
    assert {g.pk for g in donor_gifts(account.user)} == {by_phone.pk, in_wechat.pk}


def test_the_wechat_button_shows_only_when_configured(client, settings):
    page = client.get("/me/").content.decode()
    assert "wechat-login" not in page


# --- silent sign-in on opening a donor page inside WeChat -------------------------------------------------------

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323a) NetType/WIFI Language/zh_CN"
)


def open_in_wechat(client, path: str):
    return client.get(path, HTTP_USER_AGENT=WECHAT_UA, HTTP_ACCEPT="text/html,application/xhtml+xml")


def test_a_silent_try_signs_in_the_account_that_holds_the_openid_and_returns_to_the_page(client, wechat):
    project = make_project()
    client.get(authorize(start(client)))  # the donor signed in with WeChat once before
    user_id = client.session["_auth_user_id"]
    client.logout()

    page = f"/projects/{project.pk}/?from=share"
    leaving = open_in_wechat(client, page)
    assert leaving.status_code == 302
    query = parse_qs(urlsplit(leaving["Location"]).query)
    assert leaving["Location"].startswith(wechat.base_url + "/connect/oauth2/authorize?")
    assert query["scope"] == ["snsapi_base"] and leaving["Location"].endswith("#wechat_redirect")

    back = client.get(authorize(leaving["Location"]), HTTP_USER_AGENT=WECHAT_UA)
    assert back.status_code == 302 and back["Location"] == page
    assert client.session["_auth_user_id"] == user_id
    assert open_in_wechat(client, page).status_code == 200


def test_a_silent_try_with_an_unknown_openid_makes_no_account_and_keeps_the_openid_for_paying(client, wechat):
    from gongyi.donors.wechat.silent import SESSION_OPENID

    leaving = open_in_wechat(client, "/")
    back = client.get(authorize(leaving["Location"]), HTTP_USER_AGENT=WECHAT_UA)
    assert back.status_code == 302 and back["Location"] == "/"
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert client.session[SESSION_OPENID] == OPENID
    # Tried once per session: the next pages open directly.
    assert open_in_wechat(client, "/").status_code == 200
    assert open_in_wechat(client, "/drives/").status_code == 200


def test_a_failed_silent_try_goes_back_to_the_page_and_never_loops(client, wechat):
    leaving = open_in_wechat(client, "/drives/")
    state = parse_qs(urlsplit(leaving["Location"]).query)["state"][0]
    # WeChat came back without a code (refused or failed).
    back = client.get("/me/auth/weixin/login/callback/", {"state": state}, HTTP_USER_AGENT=WECHAT_UA)
    assert back.status_code == 302 and back["Location"] == "/drives/"
    assert "_auth_user_id" not in client.session
    assert open_in_wechat(client, "/drives/").status_code == 200


def test_only_donor_pages_opened_in_wechat_take_the_detour(client, wechat, settings):
    from gongyi.donors.wechat.silent import SESSION_TRIED

    def detoured(response) -> bool:
        return response.get("Location", "").startswith(wechat.base_url)

    assert not detoured(client.get("/"))  # another browser
    for path in ("/api/v1/projects", "/office/", "/admin/", "/me/auth/login/", "/oversight/complaints/new/"):
        assert not detoured(open_in_wechat(client, path)), path
    assert not detoured(client.post("/me/", HTTP_USER_AGENT=WECHAT_UA))
    assert not detoured(client.get("/", HTTP_USER_AGENT=WECHAT_UA, HTTP_ACCEPT="application/json"))
    assert SESSION_TRIED not in client.session
    settings.GONGYI_WECHAT_SILENT_SIGNIN = False
    assert not detoured(open_in_wechat(client, "/"))
    settings.GONGYI_WECHAT_SILENT_SIGNIN = True
    assert detoured(open_in_wechat(client, "/"))


def test_without_wechat_configured_nothing_is_tried(client):
    assert open_in_wechat(client, "/").status_code == 200
