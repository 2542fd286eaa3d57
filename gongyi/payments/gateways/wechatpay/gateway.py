"""The WeChat Pay gateway: JSAPI, H5 and Native payments, notifications, queries, refunds, bills.

Notifications are checked in this order, before anything is read from the database:

1. ``Wechatpay-Serial`` must equal the configured platform public key id — otherwise the SDK would
   go and download platform certificates from inside the request (an attacker-triggered outbound
   call), so an unknown serial is refused first;
2. ``Wechatpay-Signature-Type`` must be ``WECHATPAY2-SHA256-RSA2048``;
3. ``Wechatpay-Timestamp`` must be within 5 minutes of now (the SDK does not check it);
4. the RSA-SHA256 signature over ``timestamp\\nnonce\\nbody\\n`` with the platform public key;
5. the ``resource`` is decrypted (AEAD_AES_256_GCM with the APIv3 key) and every field checked,
   including our merchant id and app id.

The nonce is not checked here: it is stored under a unique constraint in the same transaction as
the payment (see ``payments/api.py``), so replaying a captured request within the window fails.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

import requests
from django.conf import settings
from django.urls import reverse
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import aes_decrypt, rsa_verify

from gongyi.core.money import MAX_GIFT_FEN
from gongyi.payments.config import ConfigError, WechatPayConfig, key_fingerprint, read_pem
from gongyi.payments.interface import (
    BillFile,
    GatewayError,
    NotificationAnswer,
    NotificationRefused,
    PaymentStart,
    QueryResult,
    RefundResult,
    RefundState,
    ReplayGuard,
    VerifiedNotification,
    VerifiedPayment,
    VerifiedRefund,
)
from gongyi.payments.parsing import SHANGHAI, FieldProblem, fen_field, object_field, rfc3339_time, text_field

logger = logging.getLogger(__name__)

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
FRESHNESS_SECONDS = 5 * 60
TIMEOUT_SECONDS = (3, 10)  # connect, read: every outbound call has one
RETRYABLE_CODES = {"SYSTEM_ERROR", "FREQUENCY_LIMITED", "BIZERR_NEED_RETRY"}
_NONCE = re.compile(r"[\x21-\x7e]{1,64}")


def wechatpay_gateway(config: WechatPayConfig) -> WechatPayGateway:
    """A gateway for this configuration, reused while the configuration and key files are unchanged."""
    return _cached_gateway(config, key_fingerprint(config.private_key), key_fingerprint(config.public_key))


@lru_cache(maxsize=4)
def _cached_gateway(config: WechatPayConfig, *_fingerprints) -> WechatPayGateway:
    return WechatPayGateway(config)


def _refused(status: int, code: str, message: str) -> NotificationRefused:
    return NotificationRefused(status, code, message)


class WechatPayGateway:
    name = "wechatpay"

    def __init__(self, config: WechatPayConfig):
        problems = config.problems()
        if problems:
            raise ConfigError("; ".join(problems))
        self.config = config
        private_pem = read_pem(config.private_key, variable="GONGYI_WECHATPAY_PRIVATE_KEY")
        public_pem = read_pem(config.public_key, variable="GONGYI_WECHATPAY_PUBLIC_KEY")
        try:
            # Public-key mode: the constructor makes no network call.
            self._client = WeChatPay(
                wechatpay_type=WeChatPayType.NATIVE,
                mchid=config.mchid,
                private_key=private_pem,
                cert_serial_no=config.cert_serial,
                appid=config.appid,
                apiv3_key=config.apiv3_key,
                timeout=TIMEOUT_SECONDS,
                public_key=public_pem,
                public_key_id=config.public_key_id,
            )
        except Exception as exc:  # the SDK raises bare Exception for unusable keys
            raise ConfigError(f"微信支付密钥无法加载：{exc}") from None
        # The SDK keeps its host in a private attribute; staging and tests point it elsewhere.
        self._client._core._gate_way = config.api_base
        self._platform_key = self._client._core._public_key

    # --- paying -------------------------------------------------------------------------------

    def create_payment(
        self, *, order, channel: str, return_url: str, notify_url: str, payer_id: str = "", client_ip: str = ""
    ) -> PaymentStart:
        channel = (channel or "").strip().lower()
        common = {
            "description": _description(order),
            "out_trade_no": order.out_trade_no,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
            "notify_url": notify_url,
            "time_expire": _expiry(order),
        }
        if channel == "jsapi":
            if not payer_id:
                raise GatewayError("微信内支付（JSAPI）需要付款人的 openid")
            data = self._ok(
                self._call(self._client.pay, pay_type=WeChatPayType.JSAPI, payer={"openid": payer_id}, **common)
            )
            prepay_id = _required(data, "prepay_id")
            timestamp = str(int(time.time()))
            nonce = secrets.token_hex(16)
            package = f"prepay_id={prepay_id}"
            try:
                pay_sign = self._client.sign([self.config.appid, timestamp, nonce, package])
            except Exception as exc:
                raise GatewayError(f"无法签名 JSAPI 参数：{exc}") from None
            return PaymentStart(
                kind="jsapi",
                data={
                    "appId": self.config.appid,
                    "timeStamp": timestamp,
                    "nonceStr": nonce,
                    "package": package,
                    "signType": "RSA",
                    "paySign": pay_sign,
                },
            )
        if channel == "h5":
            if not client_ip:
                raise GatewayError("手机浏览器支付（H5）需要付款人的 IP 地址")
            scene = {"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}}
            data = self._ok(self._call(self._client.pay, pay_type=WeChatPayType.H5, scene_info=scene, **common))
            h5_url = _required(data, "h5_url")
            separator = "&" if "?" in h5_url else "?"
            url = f"{h5_url}{separator}redirect_url={quote(return_url, safe='')}" if return_url else h5_url
            return PaymentStart(kind="redirect", url=url, data={"h5_url": h5_url})
        if channel == "native":
            data = self._ok(self._call(self._client.pay, pay_type=WeChatPayType.NATIVE, **common))
            code_url = _required(data, "code_url")
            return PaymentStart(kind="qr", url=code_url, data={"code_url": code_url})
        raise GatewayError(f"微信支付不支持支付方式 {channel!r}（可用 jsapi、h5、native）")

    # --- notifications ------------------------------------------------------------------------

    def verify_notification(self, *, headers: dict[str, str], body: bytes) -> VerifiedNotification:
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        serial = lowered.get("wechatpay-serial", "")
        if serial != self.config.public_key_id:
            raise _refused(401, "SERIAL_UNKNOWN", "Wechatpay-Serial 不是已配置的微信支付公钥 ID")
        if lowered.get("wechatpay-signature-type", "") != SIGNATURE_TYPE:
            raise _refused(401, "SIGNATURE_TYPE_INVALID", f"Wechatpay-Signature-Type 必须是 {SIGNATURE_TYPE}")
        timestamp = lowered.get("wechatpay-timestamp", "").strip()
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise _refused(401, "TIMESTAMP_INVALID", "Wechatpay-Timestamp 必须是 Unix 秒数")
        if abs(time.time() - int(timestamp)) > FRESHNESS_SECONDS:
            raise _refused(401, "TIMESTAMP_STALE", "Wechatpay-Timestamp 与当前时间相差超过 5 分钟")
        nonce = lowered.get("wechatpay-nonce", "")
        if not _NONCE.fullmatch(nonce):
            raise _refused(401, "NONCE_INVALID", "Wechatpay-Nonce 缺失或格式不正确")
        signature = lowered.get("wechatpay-signature", "")
        if not signature:
            raise _refused(401, "SIGNATURE_MISSING", "缺少 Wechatpay-Signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _refused(400, "MALFORMED", "通知不是 UTF-8 文本") from None
        try:
            valid = rsa_verify(timestamp, nonce, text, signature, self._platform_key)
        except Exception:  # malformed signatures can raise beyond InvalidSignature
            valid = False
        if not valid:
            raise _refused(401, "SIGNATURE_INVALID", "签名校验失败")

        envelope = _json_object(text, "MALFORMED", "通知")
        replay = ReplayGuard(serial=serial, nonce=nonce, signed_at=datetime.fromtimestamp(int(timestamp), tz=UTC))
        if envelope.get("resource_type") != "encrypt-resource":
            raise _refused(400, "INVALID_FIELD", "resource_type 必须是 encrypt-resource")
        resource = self._decrypt(envelope.get("resource"))
        event_type = envelope.get("event_type")
        try:
            if event_type == "TRANSACTION.SUCCESS":
                payment = self._payment_from(resource)
                return VerifiedPayment(
                    out_trade_no=payment.out_trade_no,
                    provider_txn_id=payment.provider_txn_id,
                    amount_fen=payment.amount_fen,
                    payer=payment.payer,
                    paid_at=payment.paid_at,
                    replay=replay,
                )
            if event_type in {"REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED"}:
                result = self._refund_from(resource)
                if result.state not in (RefundState.SUCCEEDED, RefundState.FAILED):
                    raise FieldProblem("refund_status", "退款通知必须是最终结果")
                return VerifiedRefund(
                    out_trade_no=text_field(resource, "out_trade_no", 32),
                    refund_no=text_field(resource, "out_refund_no", 64),
                    provider_refund_id=result.provider_refund_id,
                    amount_fen=result.amount_fen,
                    state=result.state,
                    finished_at=result.finished_at,
                    message=result.message,
                    replay=replay,
                )
        except FieldProblem as exc:
            raise _refused(400, "INVALID_FIELD", str(exc)) from None
        except _WrongMerchant as exc:
            raise _refused(409, "MERCHANT_MISMATCH", str(exc)) from None
        raise _refused(400, "EVENT_UNSUPPORTED", f"不处理的通知类型 {str(event_type)[:40]!r}")

    def answer(self, *, ok: bool, message: str = "") -> NotificationAnswer:
        if ok:
            payload = {"code": "SUCCESS", "message": "成功"}
        else:
            payload = {"code": "FAIL", "message": (message or "失败")[:200]}
        return NotificationAnswer(
            200 if ok else 400, "application/json", json.dumps(payload, ensure_ascii=False).encode()
        )

    def _decrypt(self, resource) -> dict:
        if not isinstance(resource, dict):
            raise _refused(400, "INVALID_FIELD", "resource 必须是 JSON 对象")
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise _refused(400, "INVALID_FIELD", "resource.algorithm 必须是 AEAD_AES_256_GCM")
        nonce = resource.get("nonce")
        ciphertext = resource.get("ciphertext")
        associated_data = resource.get("associated_data") or ""
        if not (isinstance(nonce, str) and isinstance(ciphertext, str) and isinstance(associated_data, str)):
            raise _refused(400, "INVALID_FIELD", "resource 缺少 nonce 或 ciphertext")
        try:
            plain = aes_decrypt(
                nonce=nonce, ciphertext=ciphertext, associated_data=associated_data, apiv3_key=self.config.apiv3_key
            )
        except Exception:  # bad base64, a nonce of the wrong size …
            plain = None
        if plain is None:
            raise _refused(400, "RESOURCE_UNDECRYPTABLE", "resource 无法用 APIv3 密钥解密")
        return _json_object(plain, "RESOURCE_UNDECRYPTABLE", "resource")

    def _check_merchant(self, data: dict, *, with_app: bool) -> None:
        if data.get("mchid") != self.config.mchid:
            raise _WrongMerchant("mchid 不是本商户号")
        if with_app and data.get("appid") != self.config.appid:
            raise _WrongMerchant("appid 不是本应用")

    def _payment_from(self, data: dict) -> VerifiedPayment:
        self._check_merchant(data, with_app=True)
        if data.get("trade_state") not in ("SUCCESS", "REFUND"):
            raise FieldProblem("trade_state", "交易未成功")
        amount = object_field(data, "amount")
        if amount.get("currency", "CNY") != "CNY":
            raise FieldProblem("amount.currency", "必须是 CNY")
        payer = object_field(data, "payer")
        try:
            paid_at = rfc3339_time(text_field(data, "success_time", 40))
        except ValueError as exc:
            raise FieldProblem("success_time", f"必须是 RFC 3339 时间（{exc}）") from None
        return VerifiedPayment(
            out_trade_no=text_field(data, "out_trade_no", 32),
            provider_txn_id=text_field(data, "transaction_id", 64),
            amount_fen=fen_field(amount, "total", maximum=MAX_GIFT_FEN),
            payer=text_field(payer, "openid", 128),
            paid_at=paid_at,
        )

    def _refund_from(self, data: dict) -> RefundResult:
        if "mchid" in data:
            self._check_merchant(data, with_app=False)
        status = text_field(data, "refund_status" if "refund_status" in data else "status", 16)
        amount = object_field(data, "amount")
        finished_at = None
        if status == "SUCCESS":
            try:
                finished_at = rfc3339_time(text_field(data, "success_time", 40))
            except ValueError as exc:
                raise FieldProblem("success_time", f"必须是 RFC 3339 时间（{exc}）") from None
        state = {
            "SUCCESS": RefundState.SUCCEEDED,
            "PROCESSING": RefundState.PENDING,
            "CLOSED": RefundState.FAILED,
            "ABNORMAL": RefundState.FAILED,
        }.get(status)
        if state is None:
            raise FieldProblem("status", f"未知的退款状态 {status!r}")
        return RefundResult(
            accepted=True,
            provider_refund_id=text_field(data, "refund_id", 64),
            message={"CLOSED": "退款关闭", "ABNORMAL": "退款异常，需要人工处理"}.get(status, ""),
            state=state,
            amount_fen=fen_field(amount, "refund", maximum=MAX_GIFT_FEN),
            finished_at=finished_at,
        )

    # --- asking the provider ------------------------------------------------------------------

    def query(self, *, order) -> QueryResult:
        code, data = self._call(self._client.query, out_trade_no=order.out_trade_no)
        if code == 404:
            return QueryResult(state="pending")  # never reached WeChat: the donor did not get to pay
        data = self._ok((code, data))
        state = data.get("trade_state")
        if state in ("SUCCESS", "REFUND"):
            try:
                payment = self._payment_from(data)
            except (FieldProblem, _WrongMerchant) as exc:
                raise GatewayError(f"微信支付查询结果不可用：{exc}") from None
            if payment.out_trade_no != order.out_trade_no:
                raise GatewayError("微信支付查询结果的订单号不符")
            return QueryResult(state="paid", payment=payment)
        if state in ("NOTPAY", "USERPAYING"):
            return QueryResult(state="pending")
        if state in ("CLOSED", "REVOKED", "PAYERROR"):
            return QueryResult(state="closed")
        return QueryResult(state="unknown")

    def close(self, *, order) -> None:
        code, data = self._call(self._client.close, out_trade_no=order.out_trade_no)
        if code not in (200, 204):
            self._ok((code, data))

    def refund(self, *, order, amount_fen: int, refund_no: str, reason: str) -> RefundResult:
        code, data = self._call(
            self._client.refund,
            out_refund_no=refund_no,
            amount={"refund": amount_fen, "total": order.amount_fen, "currency": "CNY"},
            transaction_id=order.provider_txn_id or None,
            out_trade_no=order.out_trade_no,
            reason=reason[:80] or None,
            notify_url=_refund_notify_url(),
        )
        if 200 <= code < 300:
            return self._refund_result(data)
        parsed = _parse(data)
        error_code = str(parsed.get("code", ""))
        if code >= 500 or error_code in RETRYABLE_CODES:
            raise GatewayError(f"微信支付暂时无法退款：{code} {error_code}")
        return RefundResult(accepted=False, message=f"{error_code}: {parsed.get('message', '')}"[:200])

    def query_refund(self, *, order, refund_no: str) -> RefundResult:
        code, data = self._call(self._client.query_refund, out_refund_no=refund_no)
        if code == 404:
            return RefundResult(accepted=True, state=RefundState.UNKNOWN, message="微信支付无此退款单")
        return self._refund_result(self._ok((code, data)))

    def download_bill(self, *, bill_date: date) -> BillFile:
        data = self._ok(self._call(self._client.trade_bill, bill_date=bill_date.isoformat(), bill_type="ALL"))
        url = _required(data, "download_url")
        if not url.startswith(self.config.api_base + "/"):
            # The SDK would sign the request for whatever host it is given; keep our signature at home.
            raise GatewayError("账单下载地址不在配置的微信支付接口域名下")
        code, content = self._call(self._client.download_bill, url=url)
        if code != 200 or not isinstance(content, bytes):
            raise GatewayError(f"微信支付账单下载失败：{code}")
        try:
            raw = gzip.decompress(content)
        except (OSError, EOFError):
            raise GatewayError("微信支付账单不是有效的 gzip 文件") from None
        # WeChat states the digest of the uncompressed bill; SHA-1 is its choice, used here for integrity only.
        digest = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
        if data.get("hash_type", "SHA1") != "SHA1" or digest != str(data.get("hash_value", "")).lower():
            raise GatewayError("微信支付账单摘要校验失败")
        return BillFile(bill_date=bill_date, content=raw, filename=f"wechatpay-tradebill-{bill_date}.csv")

    def _refund_result(self, data) -> RefundResult:
        parsed = data if isinstance(data, dict) else _parse(data)
        try:
            return self._refund_from(parsed)
        except (FieldProblem, _WrongMerchant) as exc:
            raise GatewayError(f"微信支付退款结果不可用：{exc}") from None

    def _call(self, method, **kwargs) -> tuple[int, object]:
        """Call the SDK; network errors and SDK exceptions (bad response signature …) become GatewayError."""
        try:
            return method(**kwargs)
        except requests.RequestException as exc:
            raise GatewayError(f"无法连接微信支付：{exc.__class__.__name__}") from None
        except Exception as exc:
            raise GatewayError(f"微信支付接口出错：{exc}") from None

    def _ok(self, answer: tuple[int, object]) -> dict:
        code, message = answer
        data = _parse(message)
        if not 200 <= code < 300:
            raise GatewayError(f"微信支付返回 {code} {data.get('code', '')}: {data.get('message', '')}"[:300])
        return data


class _WrongMerchant(ValueError):
    pass


def _parse(message) -> dict:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    if not message:
        return {}
    try:
        data = json.loads(message)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _json_object(text: str, code: str, what: str) -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refused(400, code, f"{what}不是合法的 JSON：{exc}") from None
    if not isinstance(data, dict):
        raise _refused(400, code, f"{what}必须是 JSON 对象")
    return data


def _required(data: dict, name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise GatewayError(f"微信支付应答缺少 {name}")
    return value


def _description(order) -> str:
    """商品描述: at most 127 bytes of UTF-8."""
    text = f"捐赠-{order.project.title}"
    encoded = text.encode("utf-8")[:127]
    return encoded.decode("utf-8", "ignore")


def _expiry(order) -> str:
    ttl = timedelta(minutes=settings.GONGYI["ORDER_TTL_MINUTES"])
    return (order.created_at + ttl).astimezone(SHANGHAI).isoformat(timespec="seconds")


def _refund_notify_url() -> str:
    return settings.GONGYI["PUBLIC_BASE_URL"] + reverse("api-v1:payment_notify", args=["wechatpay"])
