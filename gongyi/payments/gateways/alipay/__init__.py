"""Alipay (支付宝) open platform, through ``python-alipay-sdk`` with RSA2 keys.

``gateway.py`` is the only module that imports the SDK; ``bill.py`` parses the daily business
detail bill (业务明细) and imports nothing but the standard library.
"""
