"""Local stand-ins for WeChat Pay and Alipay: keys made here, notifications signed as the providers sign
them, and a loopback HTTP server answering create, query, close, refund and bill calls the way they do.

The server verifies our requests' signatures (WeChat's ``Authorization`` header with the merchant key,
Alipay's ``sign`` with the app key) and signs its answers with the fake platform keys, so the SDKs'
response verification runs for real. Nothing here reaches the internet.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import secrets
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

WECHAT_MCHID = "1900000109"
WECHAT_APPID = "wxd678efh567hg6787"
WECHAT_PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092024TEST"
WECHAT_CERT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
APIV3_KEY = "a" * 16 + "B" * 16  # 32 bytes, like WeChat's
ALIPAY_APPID = "2021000000000001"


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey
    private_pem: str  # PKCS#8
    public_pem: str  # SubjectPublicKeyInfo

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()

    def verify(self, message: bytes, signature: str) -> bool:
        try:
            self.private.public_key().verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True


@cache
def keypair(name: str) -> KeyPair:
    """An RSA-2048 key pair made once per test run for each role (merchant, platform, alipay-app …)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(
        private=key,
        private_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        public_pem=key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )


# --- WeChat Pay messages ------------------------------------------------------------------------


def wechat_transaction(
    out_trade_no: str,
    *,
    transaction_id: str,
    total: int,
    openid: str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    trade_state: str = "SUCCESS",
    success_time: str = "2026-05-20T10:00:00+08:00",
    mchid: str = WECHAT_MCHID,
    appid: str = WECHAT_APPID,
) -> dict:
    """A decrypted TRANSACTION.SUCCESS resource (or a query answer), as WeChat documents it."""
    return {
        "mchid": mchid,
        "appid": appid,
        "out_trade_no": out_trade_no,
        "transaction_id": transaction_id,
        "trade_type": "NATIVE",
        "trade_state": trade_state,
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": success_time,
        "payer": {"openid": openid},
        "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
    }


def wechat_refund_resource(
    out_trade_no: str,
    *,
    transaction_id: str,
    out_refund_no: str,
    refund_id: str,
    refund: int,
    total: int,
    status: str = "SUCCESS",
) -> dict:
    return {
        "mchid": WECHAT_MCHID,
        "out_trade_no": out_trade_no,
        "transaction_id": transaction_id,
        "out_refund_no": out_refund_no,
        "refund_id": refund_id,
        "refund_status": status,
        "success_time": "2026-05-20T11:00:00+08:00",
        "user_received_account": "支付用户零钱",
        "amount": {"total": total, "refund": refund, "payer_total": total, "payer_refund": refund},
    }


def encrypt_resource(plain: dict, *, apiv3_key: str = APIV3_KEY, original_type: str = "transaction") -> dict:
    nonce = secrets.token_hex(6)  # 12 ASCII bytes, as WeChat sends
    associated = original_type
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(plain, ensure_ascii=False).encode(), associated.encode()
    )
    return {
        "original_type": original_type,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated,
        "nonce": nonce,
    }


def wechat_notification(
    resource_plain: dict,
    *,
    event_type: str = "TRANSACTION.SUCCESS",
    platform: KeyPair | None = None,
    serial: str = WECHAT_PUBLIC_KEY_ID,
    apiv3_key: str = APIV3_KEY,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A notification body and headers exactly as WeChat Pay sends them, signed with the platform key."""
    original_type = "refund" if event_type.startswith("REFUND") else "transaction"
    envelope = {
        "id": str(uuid.uuid4()),
        "create_time": "2026-05-20T10:00:01+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功" if original_type == "transaction" else "退款成功",
        "resource": encrypt_resource(resource_plain, apiv3_key=apiv3_key, original_type=original_type),
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    return body, sign_wechat(body, platform=platform, serial=serial, timestamp=timestamp, nonce=nonce)


def sign_wechat(
    body: bytes,
    *,
    platform: KeyPair | None = None,
    serial: str = WECHAT_PUBLIC_KEY_ID,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    platform = platform or keypair("wechat-platform")
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or secrets.token_hex(16).upper()
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    return {
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": platform.sign(message),
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def wechat_bill(rows: list[dict]) -> bytes:
    """A WeChat Pay ALL trade bill: header, backtick-prefixed cells, summary lines."""
    header = (
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
        "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
        "手续费,费率,订单金额,申请退款金额,费率备注"
    ).split(",")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        refund = row.get("status") == "REFUND"
        values = {
            "交易时间": row.get("time", "2026-05-20 10:00:00"),
            "公众账号ID": WECHAT_APPID,
            "商户号": WECHAT_MCHID,
            "特约商户号": "0",
            "设备号": "",
            "微信订单号": row["transaction_id"],
            "商户订单号": row["out_trade_no"],
            "用户标识": row.get("openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
            "交易类型": "NATIVE",
            "交易状态": row.get("status", "SUCCESS"),
            "付款银行": "OTHERS",
            "货币种类": "CNY",
            "应结订单金额": "0.00" if refund else row["yuan"],
            "代金券金额": "0.00",
            "微信退款单号": row.get("refund_id", "0"),
            "商户退款单号": row.get("out_refund_no", "0"),
            "退款金额": row["yuan"] if refund else "0.00",
            "充值券退款金额": "0.00",
            "退款类型": "ORIGINAL" if refund else "",
            "退款状态": "SUCCESS" if refund else "",
            "商品名称": "捐赠",
            "商户数据包": "",
            "手续费": "0.00000",
            "费率": "0.60%",
            "订单金额": row.get("order_yuan", row["yuan"]),
            "申请退款金额": row["yuan"] if refund else "0.00",
            "费率备注": "",
        }
        writer.writerow(["`" + values[name] for name in header])
    writer.writerow(
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额".split(",")
    )
    writer.writerow([f"`{len(rows)}", "`0.00", "`0.00", "`0.00", "`0.00000", "`0.00", "`0.00"])
    return out.getvalue().encode("utf-8")


# --- Alipay messages ----------------------------------------------------------------------------


def alipay_content(params: dict, *, request: bool = False) -> str:
    """Alipay's string to sign, sorted and joined k=v&…: without sign and sign_type for notifications,
    without sign only for our requests (Alipay signs requests over sign_type too)."""
    left_out = ("sign",) if request else ("sign", "sign_type")
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in left_out)


def alipay_notification(params: dict, *, key: KeyPair | None = None, sign_type: str = "RSA2") -> bytes:
    """A form-encoded async notification body, signed with the (fake) Alipay private key."""
    key = key or keypair("alipay-platform")
    signed = dict(params)
    signed["sign"] = key.sign(alipay_content(params).encode())
    signed["sign_type"] = sign_type
    return urlencode(signed).encode()


def alipay_trade_params(out_trade_no: str, *, trade_no: str, total_amount: str, **extra) -> dict:
    params = {
        "notify_time": "2026-05-20 10:00:05",
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "app_id": ALIPAY_APPID,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": trade_no,
        "out_trade_no": out_trade_no,
        "buyer_id": "2088102177846880",
        "seller_id": "2088101117955611",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": total_amount,
        "receipt_amount": total_amount,
        "gmt_create": "2026-05-20 09:59:50",
        "gmt_payment": "2026-05-20 10:00:00",
        "subject": "捐赠-测试项目",
    }
    params.update(extra)
    return params


ALIPAY_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,"
    "商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,"
    "商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)


def alipay_bill_csv(rows: list[dict]) -> bytes:
    lines = [
        "#支付宝业务明细查询",
        "#账号：[20881234567890120156]",
        "#起始日期：[2026年05月20日 00:00:00]   终止日期：[2026年05月21日 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        ALIPAY_HEADER,
    ]
    for row in rows:
        refund = row.get("kind") == "退款"
        amount = ("-" if refund else "") + row["yuan"]
        cells = [
            row["trade_no"],
            row["out_trade_no"],
            row.get("kind", "交易"),
            "捐赠",
            "2026-05-20 09:59:50",
            row.get("time", "2026-05-20 10:00:00"),
            "",
            "",
            "",
            "",
            "tes***@example.com",
            amount,
            amount,
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "",
            "0.00",
            "0.00",
            row.get("out_request_no", "") if refund else "",
            "-0.06",
            "0.00",
            "",
        ]
        lines.append(",".join(cell + "\t" for cell in cells))
    lines += [
        "#-----------------------------------------业务明细列表结束------------------------------------",
        f"#交易合计：{sum(1 for r in rows if r.get('kind', '交易') == '交易')}笔，退款合计："
        f"{sum(1 for r in rows if r.get('kind') == '退款')}笔",
        "#导出时间：[2026年05月21日 10:05:32]",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


class _GbkNamedInfo(zipfile.ZipInfo):
    """A zip entry whose name is stored as GBK bytes without the UTF-8 flag, as Alipay's tools write it."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gb18030"), self.flag_bits


def alipay_bill_zip(rows: list[dict], *, day: str = "20260520") -> bytes:
    """The zip Alipay serves: the detail CSV and a summary CSV, GBK names without the UTF-8 flag."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for suffix, content in (("业务明细(汇总)", b"summary"), ("业务明细", alipay_bill_csv(rows))):
            bundle.writestr(_GbkNamedInfo(f"20881234567890120156_{day}_{suffix}.csv"), content)
    return buffer.getvalue()


# --- the server ---------------------------------------------------------------------------------


@dataclass
class FakeState:
    wechat: dict = field(default_factory=dict)  # out_trade_no → transaction (query answer)
    wechat_created: dict = field(default_factory=dict)  # out_trade_no → create request body
    wechat_closed: list = field(default_factory=list)
    wechat_refunds: dict = field(default_factory=dict)  # out_refund_no → refund
    wechat_refund_status: str = "PROCESSING"
    wechat_refund_error: tuple | None = None  # (status, code) to answer refund requests with
    wechat_bills: dict = field(default_factory=dict)  # "YYYY-MM-DD" → CSV bytes
    wechat_bill_corrupted: bool = False  # serve a file that does not match the stated digest
    wechat_sign_with: str = "wechat-platform"  # key name used to sign answers (tests swap it)
    alipay: dict = field(default_factory=dict)  # out_trade_no → trade
    alipay_closed: list = field(default_factory=list)
    alipay_refunds: dict = field(default_factory=dict)  # out_request_no → refund
    alipay_bills: dict = field(default_factory=dict)  # "YYYY-MM-DD" → zip bytes
    requests: list = field(default_factory=list)  # (method, path) of every request received
    rejected_signatures: int = 0


class FakeProviderServer:
    """A ThreadingHTTPServer on 127.0.0.1 with an ephemeral port, in a daemon thread."""

    def __init__(self):
        self.state = FakeState()
        handler = type("Handler", (_Handler,), {"server_state": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="fake-provider", daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.state = FakeState()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeProviderServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep test output quiet
        return

    @property
    def state(self) -> FakeState:
        return self.server_state.state

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.state.requests.append((method, self.path))
        parts = urlsplit(self.path)
        if parts.path.startswith("/v3/"):
            self._wechat(method, parts, body)
        elif parts.path == "/gateway.do":
            self._alipay(parts.query)
        elif parts.path.startswith("/alipay-bill/"):
            day = parts.path.rsplit("/", 1)[-1].removesuffix(".zip")
            content = self.state.alipay_bills.get(day)
            if content is None:
                self._send(404, b"not found", "text/plain")
            else:
                self._send(200, content, "application/zip")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    # WeChat Pay ----------------------------------------------------------------------------

    def _wechat_json(self, status: int, payload: dict | None) -> None:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        headers = sign_wechat(body, platform=keypair(self.state.wechat_sign_with))
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _wechat_authorised(self, method: str, parts, body: bytes) -> bool:
        auth = self.headers.get("Authorization", "")
        scheme, _, rest = auth.partition(" ")
        fields = dict(item.split("=", 1) for item in rest.split(",") if "=" in item)
        fields = {k.strip(): v.strip().strip('"') for k, v in fields.items()}
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        message = f"{method}\n{path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n".encode() + body + b"\n"
        return (
            scheme == "WECHATPAY2-SHA256-RSA2048"
            and fields.get("mchid") == WECHAT_MCHID
            and fields.get("serial_no") == WECHAT_CERT_SERIAL
            and keypair("wechat-merchant").verify(message, fields.get("signature", ""))
        )

    def _wechat(self, method: str, parts, body: bytes) -> None:
        path = parts.path
        if path == "/v3/billdownload/file":
            day = dict(parse_qsl(parts.query)).get("token", "")
            content = self.state.wechat_bills.get(day)
            if content is None:
                self._wechat_json(404, {"code": "NO_STATEMENT_EXIST", "message": "账单不存在"})
            else:
                served = content + b"`1,`forged\r\n" if self.state.wechat_bill_corrupted else content
                self._send(200, gzip.compress(served), "application/octet-stream")
            return
        if not self._wechat_authorised(method, parts, body):
            self.state.rejected_signatures += 1
            self._wechat_json(401, {"code": "SIGN_ERROR", "message": "签名错误"})
            return
        data = json.loads(body) if body else {}
        if method == "POST" and path.startswith("/v3/pay/transactions/") and path.count("/") == 4:
            kind = path.rsplit("/", 1)[-1]
            self.state.wechat_created[data["out_trade_no"]] = data
            prepay = "wx" + secrets.token_hex(14)
            answer = {
                "jsapi": {"prepay_id": prepay},
                "h5": {"h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={prepay}&package=1"},
                "native": {"code_url": f"weixin://wxpay/bizpayurl?pr={prepay[-7:]}"},
            }.get(kind)
            self._wechat_json(200 if answer else 404, answer or {"code": "NOT_FOUND", "message": kind})
            return
        if path.startswith("/v3/pay/transactions/out-trade-no/"):
            out_trade_no = path.split("/")[5]
            if path.endswith("/close") and method == "POST":
                self.state.wechat_closed.append(out_trade_no)
                self._wechat_json(204, None)
                return
            found = self.state.wechat.get(out_trade_no)
            if found is None and out_trade_no in self.state.wechat_created:
                found = {"mchid": WECHAT_MCHID, "appid": WECHAT_APPID, "out_trade_no": out_trade_no}
                found["trade_state"] = "CLOSED" if out_trade_no in self.state.wechat_closed else "NOTPAY"
            if found is None:
                self._wechat_json(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
            else:
                self._wechat_json(200, found)
            return
        if path == "/v3/refund/domestic/refunds" and method == "POST":
            if self.state.wechat_refund_error:
                status, code = self.state.wechat_refund_error
                self._wechat_json(status, {"code": code, "message": "模拟错误"})
                return
            existing = self.state.wechat_refunds.get(data["out_refund_no"])
            if existing is None:
                txn = next(
                    (
                        t
                        for t in self.state.wechat.values()
                        if t.get("transaction_id") == data.get("transaction_id")
                        or t.get("out_trade_no") == data.get("out_trade_no")
                    ),
                    None,
                )
                if txn is None:
                    self._wechat_json(404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"})
                    return
                existing = {
                    "refund_id": "50" + secrets.token_hex(14),
                    "out_refund_no": data["out_refund_no"],
                    "transaction_id": txn["transaction_id"],
                    "out_trade_no": txn["out_trade_no"],
                    "channel": "ORIGINAL",
                    "user_received_account": "支付用户零钱",
                    "create_time": "2026-05-20T11:00:00+08:00",
                    "status": self.state.wechat_refund_status,
                    "amount": {
                        "total": data["amount"]["total"],
                        "refund": data["amount"]["refund"],
                        "payer_total": data["amount"]["total"],
                        "payer_refund": data["amount"]["refund"],
                        "currency": "CNY",
                    },
                    "notify_url": data.get("notify_url"),
                    "reason": data.get("reason"),
                }
                if existing["status"] == "SUCCESS":
                    existing["success_time"] = "2026-05-20T11:00:03+08:00"
                self.state.wechat_refunds[data["out_refund_no"]] = existing
            self._wechat_json(200, {k: v for k, v in existing.items() if k not in ("notify_url", "reason")})
            return
        if path.startswith("/v3/refund/domestic/refunds/") and method == "GET":
            found = self.state.wechat_refunds.get(path.rsplit("/", 1)[-1])
            if found is None:
                self._wechat_json(404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"})
            else:
                self._wechat_json(200, {k: v for k, v in found.items() if k not in ("notify_url", "reason")})
            return
        if path == "/v3/bill/tradebill":
            query = dict(parse_qsl(parts.query))
            content = self.state.wechat_bills.get(query.get("bill_date", ""))
            if content is None:
                self._wechat_json(400, {"code": "NO_STATEMENT_EXIST", "message": "账单不存在"})
            else:
                self._wechat_json(
                    200,
                    {
                        "download_url": f"{self.server_state.base_url}/v3/billdownload/file?token={query['bill_date']}",
                        "hash_type": "SHA1",
                        "hash_value": hashlib.sha1(content, usedforsecurity=False).hexdigest(),
                    },
                )
            return
        self._wechat_json(404, {"code": "NOT_FOUND", "message": path})

    # Alipay --------------------------------------------------------------------------------

    def _alipay(self, query: str) -> None:
        params = dict(parse_qsl(query, keep_blank_values=True))
        signature = params.pop("sign", "")
        if not keypair("alipay-app").verify(alipay_content(params, request=True).encode(), signature):
            self.state.rejected_signatures += 1
            self._send(
                200,
                b'{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature"}}',
                "text/html;charset=utf-8",
            )
            return
        method = params.get("method", "")
        biz = json.loads(params.get("biz_content") or "{}")
        handler = {
            "alipay.trade.query": self._alipay_query,
            "alipay.trade.close": self._alipay_close,
            "alipay.trade.refund": self._alipay_refund,
            "alipay.trade.fastpay.refund.query": self._alipay_refund_query,
            "alipay.data.dataservice.bill.downloadurl.query": self._alipay_bill_url,
        }.get(method)
        answer = handler(biz) if handler else {"code": "40004", "msg": "Business Failed", "sub_code": "unknown"}
        inner = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        sign = keypair("alipay-platform").sign(inner.encode())
        raw = f'{{"{method.replace(".", "_")}_response":{inner},"sign":"{sign}"}}'
        self._send(200, raw.encode(), "text/html;charset=utf-8")

    @staticmethod
    def _not_exist() -> dict:
        return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}

    def _alipay_query(self, biz: dict) -> dict:
        trade = self.state.alipay.get(biz.get("out_trade_no"))
        if trade is None:
            return self._not_exist()
        return {"code": "10000", "msg": "Success", **trade}

    def _alipay_close(self, biz: dict) -> dict:
        self.state.alipay_closed.append(biz.get("out_trade_no"))
        trade = self.state.alipay.get(biz.get("out_trade_no"))
        if trade is None:
            return self._not_exist()
        trade["trade_status"] = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success", "out_trade_no": biz.get("out_trade_no")}

    def _alipay_refund(self, biz: dict) -> dict:
        trade = self.state.alipay.get(biz.get("out_trade_no"))
        if trade is None:
            return self._not_exist()
        request_no = biz.get("out_request_no") or trade["trade_no"]
        common = {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
        }
        if request_no in self.state.alipay_refunds:
            refunded = self.state.alipay_refunds[request_no]["refund_amount"]
            return {**common, "fund_change": "N", "refund_fee": refunded}
        if biz.get("refund_amount") != trade["total_amount"]:
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"}
        self.state.alipay_refunds[request_no] = {
            "refund_amount": biz["refund_amount"],
            "gmt_refund_pay": "2026-05-20 11:00:03",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
        }
        return {
            **common,
            "fund_change": "Y",
            "refund_fee": biz["refund_amount"],
            "gmt_refund_pay": "2026-05-20 11:00:03",
        }

    def _alipay_refund_query(self, biz: dict) -> dict:
        refund = self.state.alipay_refunds.get(biz.get("out_request_no"))
        if refund is None:
            return {"code": "10000", "msg": "Success"}
        return {
            "code": "10000",
            "msg": "Success",
            "out_request_no": biz["out_request_no"],
            "refund_status": "REFUND_SUCCESS",
            "total_amount": refund["refund_amount"],
            **refund,
        }

    def _alipay_bill_url(self, biz: dict) -> dict:
        day = biz.get("bill_date", "")
        if day not in self.state.alipay_bills:
            return {"code": "40004", "msg": "Business Failed", "sub_code": "isp.bill_not_exist"}
        return {
            "code": "10000",
            "msg": "Success",
            "bill_download_url": f"{self.server_state.base_url}/alipay-bill/{day}.zip",
        }
