"""League counters: moving them in O(1) per gift, and checking them against a scan.

Lock order (docs/drives.md): a credit touches its boards in the order team, unit, district, kind, all; on
each board first the giver row, then the tally row. Every gift transaction takes them in that order, after
the ledger's account rows, so two transactions never wait on each other in a cycle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F

from gongyi.drives.models import (
    CreditStatus,
    GiftCredit,
    LeagueGiver,
    LeagueTally,
    OfflineGiftStatus,
    UnitOfflineGift,
)

COUNTER_FIELDS = ("givers", "gifts", "amount_fen", "unit_gifts", "unit_amount_fen", "total_fen")


def drive_board(drive_id: int, by: str) -> str:
    return f"drive:{drive_id}:{by}"


def team_board(project_id: int) -> str:
    return f"project:{project_id}:team"


@dataclass(frozen=True)
class Line:
    """One board line a credit counts on; ``own`` lines count a unit's own gift, not a person's."""

    board: str
    key: str
    own: bool


def lines_for_credit(
    *, drive_id, unit_id, district_id, unit_kind, team_id, team_project_id, as_unit: bool
) -> list[Line]:
    """The lines a credit counts on, in lock order."""
    lines = []
    if team_id is not None:
        lines.append(Line(team_board(team_project_id), str(team_id), own=False))
    if drive_id is not None and unit_id is not None:
        lines += [
            Line(drive_board(drive_id, "unit"), str(unit_id), own=as_unit),
            Line(drive_board(drive_id, "district"), str(district_id), own=as_unit),
            Line(drive_board(drive_id, "kind"), unit_kind, own=as_unit),
            Line(drive_board(drive_id, "all"), "all", own=as_unit),
        ]
    return lines


def lines_for_gift_credit(credit: GiftCredit) -> list[Line]:
    return lines_for_credit(
        drive_id=credit.drive_id,
        unit_id=credit.unit_id,
        district_id=credit.district_id,
        unit_kind=credit.unit_kind,
        team_id=credit.team_id,
        team_project_id=credit.team.project_id if credit.team_id else None,
        as_unit=credit.as_unit,
    )


def lines_for_offline_gift(gift: UnitOfflineGift) -> list[Line]:
    return lines_for_credit(
        drive_id=gift.drive_id,
        unit_id=gift.unit_id,
        district_id=gift.district_id,
        unit_kind=gift.unit_kind,
        team_id=None,
        team_project_id=None,
        as_unit=True,
    )


def move(lines: list[Line], *, donor_key: str, amount_fen: int, sign: int) -> None:
    """Count (sign +1) or uncount (sign -1) one gift on each line, in the caller's transaction."""
    for line in lines:
        if line.own:
            _bump(line, unit_gifts=sign, unit_amount_fen=sign * amount_fen, total_fen=sign * amount_fen)
        else:
            givers = _move_giver(line, donor_key, sign)
            _bump(line, givers=givers, gifts=sign, amount_fen=sign * amount_fen, total_fen=sign * amount_fen)


def _bump(line: Line, **deltas: int) -> None:
    changes = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if not changes:
        return
    if LeagueTally.objects.filter(board=line.board, key=line.key).update(**changes):
        return
    # First gift on this line: create the row (a concurrent creator's row is fine), then move it.
    LeagueTally.objects.get_or_create(board=line.board, key=line.key)
    LeagueTally.objects.filter(board=line.board, key=line.key).update(**changes)


def _move_giver(line: Line, donor_key: str, sign: int) -> int:
    """Move the giver's live-gift count; return how the line's distinct givers change (-1, 0 or +1)."""
    for _ in range(3):
        row = (
            LeagueGiver.objects.select_for_update()
            .filter(board=line.board, key=line.key, donor_key=donor_key)
            .values("pk", "live_gifts")
            .first()
        )
        if row is None:
            if sign < 0:
                raise IntegrityError(f"uncounting a giver never counted on {line.board}/{line.key}")
            try:
                with transaction.atomic():
                    LeagueGiver.objects.create(board=line.board, key=line.key, donor_key=donor_key, live_gifts=1)
                return 1
            except IntegrityError:
                continue  # a concurrent gift of the same giver created it; lock it and count on it
        before = row["live_gifts"]
        LeagueGiver.objects.filter(pk=row["pk"]).update(live_gifts=F("live_gifts") + sign)
        after = before + sign
        return int(after > 0) - int(before > 0)
    raise IntegrityError(f"could not count giver on {line.board}/{line.key}")


@dataclass
class Expected:
    counters: dict[tuple[str, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(COUNTER_FIELDS, 0))
    )
    givers: dict[tuple[str, str], dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, lines: list[Line], *, donor_key: str, amount_fen: int) -> None:
        for line in lines:
            row = self.counters[(line.board, line.key)]
            row["total_fen"] += amount_fen
            if line.own:
                row["unit_gifts"] += 1
                row["unit_amount_fen"] += amount_fen
            else:
                row["gifts"] += 1
                row["amount_fen"] += amount_fen
                self.givers[(line.board, line.key)][donor_key] += 1

    def finish(self) -> None:
        for place, donors in self.givers.items():
            self.counters[place]["givers"] = len(donors)


def expected_from_credits() -> Expected:
    """Scan every live credit and live offline gift and count what the tables should say."""
    expected = Expected()
    credits = GiftCredit.objects.filter(status=CreditStatus.LIVE).select_related("team")
    for credit in credits.iterator(chunk_size=2000):
        expected.add(lines_for_gift_credit(credit), donor_key=credit.donor_key, amount_fen=credit.amount_fen)
    for gift in UnitOfflineGift.objects.filter(status=OfflineGiftStatus.LIVE).iterator(chunk_size=2000):
        expected.add(lines_for_offline_gift(gift), donor_key="", amount_fen=gift.amount_fen)
    expected.finish()
    return expected


def find_tally_problems() -> list[str]:
    """Differences between the counters and a scan of credits; also credits whose gift status disagrees."""
    from gongyi.giving.models import GiftStatus

    problems = []
    live_but_refunded = GiftCredit.objects.filter(status=CreditStatus.LIVE).exclude(gift__status=GiftStatus.CONFIRMED)
    for gift_id in live_but_refunded.values_list("gift_id", flat=True)[:50]:
        problems.append(f"gift {gift_id}: refunded but still credited (call uncredit_refunded_gift)")
    reversed_but_confirmed = GiftCredit.objects.filter(status=CreditStatus.REVERSED, gift__status=GiftStatus.CONFIRMED)
    for gift_id in reversed_but_confirmed.values_list("gift_id", flat=True)[:50]:
        problems.append(f"gift {gift_id}: confirmed but its credit is reversed")

    expected = expected_from_credits()
    actual = {(row["board"], row["key"]): row for row in LeagueTally.objects.values("board", "key", *COUNTER_FIELDS)}
    for place in sorted(set(actual) | set(expected.counters)):
        want = expected.counters.get(place, dict.fromkeys(COUNTER_FIELDS, 0))
        have = actual.get(place, dict.fromkeys(COUNTER_FIELDS, 0))
        for name in COUNTER_FIELDS:
            if want[name] != have[name]:
                problems.append(f"{place[0]}/{place[1]} {name}: counter {have[name]}, scan {want[name]}")
    live_givers: dict[tuple[str, str, str], int] = {
        (row["board"], row["key"], row["donor_key"]): row["live_gifts"]
        for row in LeagueGiver.objects.filter(live_gifts__gt=0).values("board", "key", "donor_key", "live_gifts")
    }
    wanted_givers = {
        (board, key, donor): count
        for (board, key), donors in expected.givers.items()
        for donor, count in donors.items()
    }
    for place in sorted(set(live_givers) | set(wanted_givers)):
        if live_givers.get(place, 0) != wanted_givers.get(place, 0):
            problems.append(
                f"{place[0]}/{place[1]} giver {place[2]}: "
                f"counted {live_givers.get(place, 0)} gifts, scan {wanted_givers.get(place, 0)}"
            )
    return problems


def rebuild_tallies() -> int:
    """Rewrite every counter from the scan; for repairs when the site is quiet. Returns lines written."""
    with transaction.atomic():
        expected = expected_from_credits()
        LeagueGiver.objects.all().delete()
        LeagueGiver.objects.bulk_create(
            [
                LeagueGiver(board=board, key=key, donor_key=donor, live_gifts=count)
                for (board, key), donors in expected.givers.items()
                for donor, count in donors.items()
            ],
            batch_size=2000,
        )
        LeagueTally.objects.update(**dict.fromkeys(COUNTER_FIELDS, 0))
        for (board, key), values in expected.counters.items():
            LeagueTally.objects.update_or_create(board=board, key=key, defaults=values)
    return len(expected.counters)
