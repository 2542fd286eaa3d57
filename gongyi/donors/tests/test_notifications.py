"""Messages to donors: only to those who opted in, once, through their channel, with a working unsubscribe
link; the WeChat 订阅通知 and Aliyun SMS senders against local fakes, with explicit timeouts."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.test import Client

from gongyi.donors import services
from gongyi.donors.models import DonorMessage, MessageStatus, NameDisplay
from gongyi.donors.notifications import OutboundMessage, SendResult
from gongyi.donors.notifications.wechat import WechatSubscribeSender
from gongyi.donors.sms.aliyun import AliyunSmsSender, percent_encode, rpc_signature
from gongyi.donors.tests import fakes
from gongyi.donors.tests.helpers import make_gift, make_user
from gongyi.testing import make_project

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self, ok=True):
        self.sent: list[OutboundMessage] = []
        self.ok = ok

    def send(self, message):
        self.sent.append(message)
        return SendResult(ok=self.ok, provider_id="r1", error="" if self.ok else "boom")


def opt_in(user, *, thanks=True, progress=True, channel="auto"):
    services.update_settings(
        user=user,
        name_display=NameDisplay.MASKED,
        nickname="",
        show_messages=True,
        wants_thanks=thanks,
        wants_progress=progress,
        notify_channel=channel,
    )


def phone_donor(username="d1", phone="+8613800138000"):
    user = make_user(username)
    services.set_phone_verified(user=user, phone=phone)
    return user


def test_thanks_go_only_to_donors_who_opted_in_and_only_once():
    project = make_project()
    keen, quiet = phone_donor("keen"), phone_donor("quiet", "+8613900139000")
    opt_in(keen)
    opt_in(quiet, thanks=False)
    keen_gift = make_gift(project, phone="13800138000")
    quiet_gift = make_gift(project, phone="13900139000")

    ids = services.queue_thanks(gift=keen_gift)
    assert services.queue_thanks(gift=keen_gift) == []  # the same message is never queued twice
    assert services.queue_thanks(gift=quiet_gift) == []
    assert len(ids) == 1

    recorder = Recorder()
    message = services.deliver_message(message_id=ids[0], sender=recorder)
    assert message.status == MessageStatus.SENT and message.channel == "sms"
    sent = recorder.sent[0]
    assert sent.recipient == "+8613800138000" and sent.template == "thanks"
    assert f"/me/gifts/{keen_gift.certificate_no}/" in sent.link and "/me/unsubscribe/" in sent.unsubscribe_link
    assert services.deliver_message(message_id=ids[0], sender=recorder).status == MessageStatus.SENT
    assert len(recorder.sent) == 1  # delivered once


def test_the_unsubscribe_link_stops_that_kind_of_message():
    project = make_project()
    donor = phone_donor()
    opt_in(donor)
    message_id = services.queue_thanks(gift=make_gift(project, phone="13800138000"))[0]
    recorder = Recorder()
    services.deliver_message(message_id=message_id, sender=recorder)
    link = recorder.sent[0].unsubscribe_link
    path = link[link.index("/me/unsubscribe/") :]

    client = Client()  # not signed in: the signed link is enough
    assert "确认退订" in client.get(path).content.decode()
    assert "已退订" in client.post(path).content.decode()

    donor.donor_profile.refresh_from_db()
    assert donor.donor_profile.wants_thanks is False and donor.donor_profile.wants_progress is True
    assert services.queue_thanks(gift=make_gift(project, phone="13800138000")) == []
    assert client.get("/me/unsubscribe/forged-token/").status_code == 404


def test_a_failed_send_is_retried_then_marked_failed():
    donor = phone_donor()
    opt_in(donor)
    message_id = services.queue_thanks(gift=make_gift(make_project(), phone="13800138000"))[0]
    failing = Recorder(ok=False)
    assert services.deliver_message(message_id=message_id, sender=failing).status == MessageStatus.QUEUED
    assert services.deliver_message(message_id=message_id, sender=failing).status == MessageStatus.QUEUED
    last = services.deliver_message(message_id=message_id, sender=failing)
    assert last.status == MessageStatus.FAILED and last.attempts == 3 and last.error == "boom"


def test_channel_choice_wechat_first_then_sms_then_email():
    donor = phone_donor()
    opt_in(donor)
    project = make_project()
    recorder = Recorder()
    services.deliver_message(
        message_id=services.queue_thanks(gift=make_gift(project, phone="13800138000"))[0], sender=recorder
    )
    SocialAccount.objects.create(user=donor, provider="weixin", uid="oWX_notify")
    services.deliver_message(
        message_id=services.queue_thanks(gift=make_gift(project, phone="13800138000"))[0], sender=recorder
    )
    opt_in(donor, channel="email")
    EmailAddress.objects.create(user=donor, email="d1@example.invalid", verified=True, primary=True)
    services.deliver_message(
        message_id=services.queue_thanks(gift=make_gift(project, phone="13800138000"))[0], sender=recorder
    )
    assert [(m.channel, m.recipient) for m in recorder.sent] == [
        ("sms", "+8613800138000"),
        ("wechat", "oWX_notify"),
        ("email", "d1@example.invalid"),
    ]


def test_a_donor_with_no_channel_is_skipped():
    donor = make_user("nochannel")
    opt_in(donor)
    gift = make_gift(make_project(), user=donor)
    message = services.deliver_message(message_id=services.queue_thanks(gift=gift)[0], sender=Recorder())
    assert message.status == MessageStatus.SKIPPED


def test_progress_updates_reach_every_opted_in_donor_of_the_project_once(settings):
    from gongyi.backoffice.models import OrganisationMembership
    from gongyi.backoffice.selectors import scope_for
    from gongyi.backoffice.services import post_progress_update
    from gongyi.donors.tasks import send_progress_update

    project = make_project()
    other = make_project(title="别的项目")
    fans = [phone_donor(f"fan{i}", f"+861380013800{i}") for i in range(3)]
    for i, fan in enumerate(fans):
        opt_in(fan, progress=i != 2)
        make_gift(project, phone=f"1380013800{i}")
        make_gift(project, phone=f"1380013800{i}")  # two gifts, still one message
    outsider = phone_donor("outsider", "+8613900139000")
    opt_in(outsider)
    make_gift(other, phone="13900139000")
    staff = make_user("staff")
    OrganisationMembership.objects.create(user=staff, organisation=project.organisation, role="editor")

    update = post_progress_update(
        scope=scope_for(staff), project=project, title="物资已送达", text="详情……", photos=[], actor=staff
    )
    send_progress_update.call_local(update.pk)
    send_progress_update.call_local(update.pk)  # a retried task queues nothing new

    messages = DonorMessage.objects.filter(kind="progress")
    assert sorted(m.user.username for m in messages) == ["fan0", "fan1"]
    assert all(f"/projects/{project.pk}/" in m.link for m in messages)


def test_email_sender_adds_the_unsubscribe_header():
    from gongyi.donors.notifications.email import EmailNotificationSender

    result = EmailNotificationSender().send(
        OutboundMessage(
            channel="email",
            recipient="a@example.invalid",
            template="thanks",
            title="感谢",
            body="正文",
            link="https://x/1",
            unsubscribe_link="https://x/u",
        )
    )
    assert result.ok and mail.outbox[0].extra_headers["List-Unsubscribe"] == "<https://x/u>"


def test_console_sender_prints_messages(capsys, settings):
    from gongyi.donors.notifications import get_sender

    settings.GONGYI_DONORS = {**settings.GONGYI_DONORS, "NOTIFY_BACKEND": "console"}
    get_sender("sms").send(
        OutboundMessage(channel="sms", recipient="+8613800138000", template="thanks", title="感谢", body="正文")
    )
    assert "感谢｜正文" in capsys.readouterr().err


# --- WeChat 订阅通知 against the fake ---------------------------------------------------------------------------


def wechat_sender(server):
    return WechatSubscribeSender(
        appid=fakes.APPID,
        secret=fakes.APP_SECRET,
        api_base=server.base_url,
        templates={"thanks": {"template_id": "TPL_THANKS", "data": {"thing1": "project", "amount2": "amount"}}},
        timeout=2,
    )


def outbound(**kwargs):
    base = {
        "channel": "wechat",
        "recipient": "oWX_x",
        "template": "thanks",
        "title": "感谢",
        "body": "b",
        "link": "https://example.invalid/me/",
        "params": {"project": "一个名字非常非常长的慈善项目用于测试截断", "amount": "10.00元"},
    }
    return OutboundMessage(**{**base, **kwargs})


def test_wechat_sender_fetches_a_token_and_sends_the_template(wechat_server):
    wechat_server.reset()
    result = wechat_sender(wechat_server).send(outbound())
    assert result.ok
    sent = wechat_server.state.sent[0]
    assert sent["touser"] == "oWX_x" and sent["template_id"] == "TPL_THANKS"
    assert len(sent["data"]["thing1"]["value"]) == 20 and sent["data"]["amount2"]["value"] == "10.00元"
    wechat_sender(wechat_server).send(outbound())
    assert [p for _, p, _ in wechat_server.state.requests].count("/cgi-bin/token") == 1  # cached


def test_wechat_sender_refreshes_an_expired_token_once(wechat_server):
    wechat_server.reset()
    wechat_sender(wechat_server).send(outbound())
    wechat_server.state.expire_next_app_token = True
    assert wechat_sender(wechat_server).send(outbound()).ok
    assert [p for _, p, _ in wechat_server.state.requests].count("/cgi-bin/token") == 2


def test_wechat_sender_reports_failures_instead_of_raising(wechat_server):
    wechat_server.reset()
    bad = WechatSubscribeSender(
        appid=fakes.APPID,
        secret="wrong",
        api_base=wechat_server.base_url,
        templates={"thanks": {"template_id": "T", "data": {}}},
        timeout=2,
    )
    assert bad.send(outbound()) == SendResult(ok=False, error="无法获取微信 access_token")
    down = WechatSubscribeSender(
        appid=fakes.APPID,
        secret=fakes.APP_SECRET,
        api_base="http://127.0.0.1:9",
        templates={"thanks": {"template_id": "T", "data": {}}},
        timeout=1,
    )
    assert down.send(outbound()).ok is False


# --- Aliyun SMS against the fake -----------------------------------------------------------------------------


def aliyun(server, **kwargs):
    return AliyunSmsSender(
        access_key_id=kwargs.pop("access_key_id", fakes.ALIYUN_KEY_ID),
        access_key_secret=kwargs.pop("access_key_secret", fakes.ALIYUN_KEY_SECRET),
        sign_name="鄂州公益",
        templates={"code": "SMS_100001", "thanks": "SMS_100002"},
        endpoint=server.base_url + "/",
        timeout=kwargs.pop("timeout", 2),
    )


def test_aliyun_sends_a_signed_request_the_provider_accepts(aliyun_server):
    aliyun_server.reset()
    result = aliyun(aliyun_server).send_code(phone="+8613800138000", code="123456")
    assert result.ok and result.provider_message_id == "900619746936498440^0"
    sent = aliyun_server.state.sent[0]
    assert sent["PhoneNumbers"] == "13800138000" and sent["TemplateCode"] == "SMS_100001"
    assert sent["TemplateParam"] == '{"code":"123456"}' and sent["SignName"] == "鄂州公益"


def test_aliyun_refusals_and_a_wrong_secret_come_back_as_results(aliyun_server):
    aliyun_server.reset()
    wrong = aliyun(aliyun_server, access_key_secret="not-the-secret").send_code(phone="+8613800138000", code="1")
    assert not wrong.ok and wrong.error_code == "SignatureDoesNotMatch"
    aliyun_server.state.answer_code = "isv.BUSINESS_LIMIT_CONTROL"
    limited = aliyun(aliyun_server).send_notice(phone="+8613800138000", template="thanks", params={"project": "x"})
    assert not limited.ok and limited.error_code == "isv.BUSINESS_LIMIT_CONTROL"
    assert (
        aliyun(aliyun_server).send_notice(phone="+8613800138000", template="progress", params={}).error_code
        == "NO_TEMPLATE"
    )


def test_aliyun_times_out_explicitly(aliyun_server):
    aliyun_server.reset()
    aliyun_server.state.delay_seconds = 1.5
    result = aliyun(aliyun_server, timeout=0.3).send_code(phone="+8613800138000", code="123456")
    aliyun_server.state.delay_seconds = 0
    assert not result.ok and result.error_code == "TIMEOUT"


def test_rpc_signature_matches_an_independent_implementation():
    params = {"AccessKeyId": "k", "Action": "SendSms", "SignName": "鄂州 公益*~", "TemplateParam": '{"code":"1"}'}
    assert rpc_signature(params, "secret") == fakes.aliyun_expected_signature(params, "secret")
    assert percent_encode("a b*~/") == "a%20b%2A~%2F"


def test_sms_sign_in_codes_go_through_aliyun_when_configured(client, settings, aliyun_server):
    aliyun_server.reset()
    settings.GONGYI_DONORS = {
        **settings.GONGYI_DONORS,
        "SMS_BACKEND": "aliyun",
        "ALIYUN_SMS": {
            "ENDPOINT": aliyun_server.base_url + "/",
            "ACCESS_KEY_ID": fakes.ALIYUN_KEY_ID,
            "ACCESS_KEY_SECRET": fakes.ALIYUN_KEY_SECRET,
            "REGION_ID": "cn-hangzhou",
            "TEMPLATES": {"code": "SMS_100001"},
        },
    }
    client.post("/me/auth/login/code/", {"phone": "13800138000"})
    import json

    code = json.loads(aliyun_server.state.sent[0]["TemplateParam"])["code"]
    assert client.post("/me/auth/login/code/confirm/", {"code": code}).status_code == 302
    assert "_auth_user_id" in client.session
