"""A separate process confirming orders, for the multi-process pool race test.

Usage: python -m gongyi.matching.tests.race_worker OUT_TRADE_NO... (DATABASE_URL names the test database).
Prints one line per order: the matched fen.
"""

from __future__ import annotations

import os
import sys


def main(out_trade_nos: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongyi.settings")
    import django

    django.setup()
    from django.utils import timezone

    from gongyi.giving.services import confirm_payment
    from gongyi.payments.interface import VerifiedPayment
    from gongyi.payments.models import Order

    now = timezone.now()
    for out_trade_no in out_trade_nos:
        order = Order.objects.get(out_trade_no=out_trade_no)
        confirmation = confirm_payment(
            gateway="sandbox",
            payment=VerifiedPayment(
                out_trade_no=out_trade_no,
                provider_txn_id=f"T{out_trade_no}",
                amount_fen=order.amount_fen,
                payer=f"donor-{order.pk % 23}",
                paid_at=now,
            ),
        )
        print(confirmation.gift.matched_fen, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
