"""WeChat Pay API v3 (微信支付), through ``wechatpayv3`` in platform-public-key mode.

``gateway.py`` is the only module that imports the SDK; ``bill.py`` parses the daily trade bill and
imports nothing but the standard library.
"""
