"""Local stand-ins for WeChat (web OAuth, access token, 订阅通知) and Alibaba Cloud SMS, on 127.0.0.1.

Each answers the way the real service does (JSON bodies, WeChat's ``errcode`` on HTTP 200, Aliyun's ``Code``)
and checks what we send: the WeChat fake wants the right AppID and secret and a code used only once; the SMS
fake recomputes the RPC signature with its own implementation and refuses a wrong one. Nothing here reaches
the internet.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

APPID = "wx5f1c2d3e4a5b6c7d"
APP_SECRET = "test-app-secret-0123456789abcdef"


class _Server:
    def __init__(self, handler_class):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.httpd.fake = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def _json(self, data: dict, status: int = 200) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout test)
            pass


# --- WeChat -------------------------------------------------------------------------------------------------


@dataclass
class WechatState:
    next_openid: str = "oWX_test_openid_0001"
    next_nickname: str = "微信捐赠人"
    codes: dict = field(default_factory=dict)  # code → (openid, scope)
    used_codes: set = field(default_factory=set)
    tokens: dict = field(default_factory=dict)  # sns access token → openid
    app_tokens: set = field(default_factory=set)
    expire_next_app_token: bool = False
    sent: list = field(default_factory=list)
    requests: list = field(default_factory=list)


class _WechatHandler(_Handler):
    def do_GET(self):
        state: WechatState = self.server.fake.state
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        state.requests.append(("GET", url.path, query))
        if url.path == "/connect/oauth2/authorize":
            return self._authorize(state, query)
        if url.path == "/sns/oauth2/access_token":
            return self._access_token(state, query)
        if url.path == "/sns/userinfo":
            openid = state.tokens.get(query.get("access_token"))
            if openid is None or openid != query.get("openid"):
                return self._json({"errcode": 40001, "errmsg": "invalid credential"})
            return self._json({"openid": openid, "nickname": state.next_nickname, "headimgurl": ""})
        if url.path == "/cgi-bin/token":
            if query.get("appid") != APPID or query.get("secret") != APP_SECRET:
                return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
            token = "APPTOKEN_" + secrets.token_hex(6)
            state.app_tokens.add(token)
            return self._json({"access_token": token, "expires_in": 7200})
        return self._json({"errcode": 404, "errmsg": "not found"}, 404)

    def do_POST(self):
        state: WechatState = self.server.fake.state
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        state.requests.append(("POST", url.path, query))
        if url.path == "/cgi-bin/message/subscribe/bizsend":
            token = query.get("access_token")
            if state.expire_next_app_token:
                state.expire_next_app_token = False
                state.app_tokens.discard(token)
                return self._json({"errcode": 42001, "errmsg": "access_token expired"})
            if token not in state.app_tokens:
                return self._json({"errcode": 40001, "errmsg": "invalid credential"})
            if not body.get("touser") or not body.get("template_id"):
                return self._json({"errcode": 47003, "errmsg": "argument invalid"})
            state.sent.append(body)
            return self._json({"errcode": 0, "errmsg": "ok", "msgid": len(state.sent)})
        return self._json({"errcode": 404, "errmsg": "not found"}, 404)

    def _authorize(self, state: WechatState, query: dict) -> None:
        if query.get("appid") != APPID or query.get("response_type") != "code" or not query.get("redirect_uri"):
            return self._json({"errcode": 10003, "errmsg": "redirect_uri or appid invalid"}, 400)
        code = "CODE_" + secrets.token_hex(8)
        state.codes[code] = (state.next_openid, query.get("scope", ""))
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _access_token(self, state: WechatState, query: dict) -> None:
        if query.get("appid") != APPID or query.get("secret") != APP_SECRET:
            return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
        if query.get("grant_type") != "authorization_code":
            return self._json({"errcode": 40002, "errmsg": "invalid grant_type"})
        code = query.get("code", "")
        if code in state.used_codes or code not in state.codes:
            return self._json({"errcode": 40029, "errmsg": "invalid code"})
        state.used_codes.add(code)
        openid, scope = state.codes.pop(code)
        token = "SNS_" + secrets.token_hex(8)
        state.tokens[token] = openid
        return self._json(
            {"access_token": token, "expires_in": 7200, "refresh_token": "R_" + token, "openid": openid, "scope": scope}
        )


class FakeWechatServer(_Server):
    def __init__(self):
        self.state = WechatState()
        super().__init__(_WechatHandler)

    def reset(self) -> None:
        self.state = WechatState()


# --- Alibaba Cloud SMS ----------------------------------------------------------------------------------------

ALIYUN_KEY_ID = "LTAI_test_key_id"
ALIYUN_KEY_SECRET = "test-secret-for-signing"


def _aliyun_encode(value: str) -> str:
    # Written independently of the adapter: quote everything but RFC 3986 unreserved characters.
    return quote(value, safe="-_.~")


def aliyun_expected_signature(params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{_aliyun_encode(k)}={_aliyun_encode(params[k])}" for k in sorted(params))
    to_sign = "GET&%2F&" + _aliyun_encode(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass
class AliyunState:
    answer_code: str = "OK"
    delay_seconds: float = 0.0
    sent: list = field(default_factory=list)
    refused: list = field(default_factory=list)


class _AliyunHandler(_Handler):
    def do_GET(self):
        state: AliyunState = self.server.fake.state
        if state.delay_seconds:
            time.sleep(state.delay_seconds)
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        signature = query.pop("Signature", "")
        request_id = secrets.token_hex(8).upper()
        if query.get("AccessKeyId") != ALIYUN_KEY_ID:
            state.refused.append(("InvalidAccessKeyId.NotFound", query))
            return self._json(
                {
                    "Code": "InvalidAccessKeyId.NotFound",
                    "Message": "Specified access key is not found.",
                    "RequestId": request_id,
                },
                404,
            )
        if not hmac.compare_digest(signature, aliyun_expected_signature(query, ALIYUN_KEY_SECRET)):
            state.refused.append(("SignatureDoesNotMatch", query))
            return self._json(
                {
                    "Code": "SignatureDoesNotMatch",
                    "Message": "Specified signature is not matched.",
                    "RequestId": request_id,
                },
                400,
            )
        if query.get("Action") != "SendSms" or query.get("Version") != "2017-05-25":
            return self._json({"Code": "InvalidAction", "Message": "bad action", "RequestId": request_id}, 400)
        if state.answer_code != "OK":
            state.refused.append((state.answer_code, query))
            return self._json(
                {"Code": state.answer_code, "Message": "触发分钟级流控Permits:1", "RequestId": request_id}
            )
        state.sent.append(query)
        return self._json({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": request_id})


class FakeAliyunSmsServer(_Server):
    def __init__(self):
        self.state = AliyunState()
        super().__init__(_AliyunHandler)

    def reset(self) -> None:
        self.state = AliyunState()
