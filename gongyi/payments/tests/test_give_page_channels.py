"""The give page picks how the donor pays on their device, and starts it with the provider (the fake server):
WeChat's in-app cashier (JSAPI) inside WeChat, the mobile web cashier on a phone, a QR code on a computer."""

from __future__ import annotations

import json

import pytest

from gongyi.payments.models import Order
from gongyi.payments.tests import fakes
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db

IN_WECHAT = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36 MicroMessenger/8.0.50.2701 NetType/WIFI"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 Safari/604.1"
COMPUTER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"
OPENID = "oWX_silent_openid_42"


def give(client, project, agent: str):
    return client.post(
        f"/projects/{project.pk}/give/",
        {"amount": "20", "gateway": "wechatpay", "donor": "王五"},
        HTTP_USER_AGENT=agent,
        REMOTE_ADDR="203.0.113.9",
    )


@pytest.fixture
def no_silent_detour(settings):
    settings.GONGYI_WECHAT_SILENT_SIGNIN = False


def test_inside_wechat_with_the_sessions_openid_the_in_app_cashier_opens(client, wechatpay, no_silent_detour):
    from gongyi.donors.wechat.silent import SESSION_OPENID

    project = make_project()
    session = client.session
    session[SESSION_OPENID] = OPENID  # what a silent sign-in inside WeChat leaves for an unknown donor
    session.save()

    response = give(client, project, IN_WECHAT)

    assert response.status_code == 200, response.content[:300]
    order = Order.objects.get()
    assert (order.gateway, order.channel) == ("wechatpay", "jsapi")
    assert wechatpay.server.state.wechat_created[order.out_trade_no]["payer"] == {"openid": OPENID}
    page = response.content.decode()
    params = json.loads(page.split('<script id="jsapi-params" type="application/json">', 1)[1].split("</script>")[0])
    assert params["appId"] == fakes.WECHAT_APPID and params["package"].startswith("prepay_id=wx")
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    assert fakes.keypair("wechat-merchant").verify(message, params["paySign"])


def test_a_phone_browser_goes_to_the_mobile_cashier_and_a_computer_gets_a_qr_code(client, wechatpay):
    project = make_project()

    on_phone = give(client, project, PHONE)
    assert on_phone.status_code == 302 and on_phone["Location"].startswith("https://wx.tenpay.com/")
    assert "redirect_url=" in on_phone["Location"]

    on_computer = give(client, project, COMPUTER)
    page = on_computer.content.decode()
    assert on_computer.status_code == 200 and "<svg" in page
    # The code stays until the order is paid: the page polls the order, it does not leave after a few seconds.
    qr_order = Order.objects.order_by("-id").first()
    assert 'http-equiv="refresh"' not in page and f"/api/v1/orders/{qr_order.out_trade_no}" in page
    assert [o.channel for o in Order.objects.order_by("id")] == ["h5", "native"]
    created = wechatpay.server.state.wechat_created
    assert all("payer" not in created[o.out_trade_no] for o in Order.objects.all())


def test_inside_wechat_without_an_openid_a_qr_code_is_shown_not_an_error(client, wechatpay, no_silent_detour):
    response = give(client, make_project(), IN_WECHAT)
    assert response.status_code == 200 and "<svg" in response.content.decode()
    assert Order.objects.get().channel == "native"
