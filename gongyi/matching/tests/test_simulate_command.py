"""The ``simulate`` command (and the ``bench simulate`` smoke run). No database is touched."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

SCENARIOS = Path(__file__).parent / "scenarios"
FESTIVAL = SCENARIOS / "festival_small.json"
EXPECTED = json.loads((SCENARIOS / "festival_small.expected.json").read_text(encoding="utf-8"))


def festival() -> dict:
    return json.loads(FESTIVAL.read_text(encoding="utf-8"))


def run_command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("simulate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(tmp_path: Path, content: bytes | str | dict, *extra: str) -> str:
    """Run the command on ``content``; assert exit status 2 and an empty stdout; return stderr."""
    path = tmp_path / "scenario.json"
    if isinstance(content, dict):
        content = json.dumps(content, ensure_ascii=False)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("simulate", str(path), *extra, stdout=out, stderr=err)
    assert caught.value.code == 2
    assert out.getvalue() == ""
    message = err.getvalue()
    assert message.startswith("simulate: bad scenario: ")
    return message


# --- good input ---------------------------------------------------------------------------------------


def test_prints_the_exact_result_json():
    out, err = run_command(str(FESTIVAL))
    assert json.loads(out) == EXPECTED
    assert list(json.loads(out)["gifts"]) == list(EXPECTED["gifts"])
    assert "幸福家园" in out  # not ASCII-escaped
    assert err == ""


def test_reads_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(FESTIVAL.read_bytes()), encoding="utf-8"))
    out, _ = run_command("-")
    assert json.loads(out) == EXPECTED


def test_summary_goes_to_stderr_and_stdout_stays_json():
    out, err = run_command(str(FESTIVAL), "--summary")
    assert json.loads(out) == EXPECTED
    lines = err.splitlines()
    day_20 = next(line for line in lines if line.startswith("2023-05-20"))
    # 8 gifts that day (g1-g8), 3 still matched (g3, g4, g8): 25.00 yuan; first ran dry at 10:20.
    assert day_20.split()[:4] == ["2023-05-20", "8", "3", "25.00"]
    assert "10:20:00" in day_20
    day_21 = next(line for line in lines if line.startswith("2023-05-21"))
    assert day_21.split()[:4] == ["2023-05-21", "3", "3", "20.00"]
    assert "12:00:00 (2023-05-21T04:00:00Z)" in day_21
    project = next(line for line in lines if line.startswith("幸福家园"))
    assert project.split()[1:] == ["52.00", "30.00", "2", "4", "15.71"]


def test_indent_option():
    out, _ = run_command(str(FESTIVAL), "--indent", "2")
    assert out.startswith("{\n  ")
    assert json.loads(out) == EXPECTED


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + FESTIVAL.read_bytes())
    out, _ = run_command(str(path))
    assert json.loads(out) == EXPECTED


# --- bad input: one test per item of the spec's list ----------------------------------------------------


def test_unknown_version(tmp_path):
    data = festival()
    data["version"] = 2
    assert 'field "version": unknown version 2' in refused(tmp_path, data)


def test_unknown_event_type(tmp_path):
    data = festival()
    data["events"][6]["type"] = "pledge"
    assert 'events[6] (id "g6"): field "type": unknown event type "pledge"' in refused(tmp_path, data)


def test_missing_amount(tmp_path):
    data = festival()
    del data["events"][4]["fen"]
    assert 'events[4] (id "g4"): field "fen": missing' in refused(tmp_path, data)


def test_negative_amount(tmp_path):
    data = festival()
    data["events"][4]["fen"] = -1200
    assert 'events[4] (id "g4"): field "fen": must be a non-negative integer, got -1200' in refused(tmp_path, data)


def test_non_integer_amount(tmp_path):
    text = FESTIVAL.read_text(encoding="utf-8").replace('"fen": 1200}', '"fen": 1200.0}')
    assert 'events[4] (id "g4"): field "fen": must be a non-negative integer, got 1200.0' in refused(tmp_path, text)


def test_boolean_amount(tmp_path):
    data = festival()
    data["events"][4]["fen"] = True
    assert 'events[4] (id "g4"): field "fen": must be a non-negative integer, got true' in refused(tmp_path, data)


def test_non_integer_amount_in_the_pool(tmp_path):
    data = festival()
    data["pool"]["tranches"][1]["fen"] = 3000.5
    assert 'field "pool.tranches[1].fen": must be a non-negative integer, got 3000.5' in refused(tmp_path, data)


def test_refund_of_an_unknown_gift(tmp_path):
    data = festival()
    data["events"][5]["id"] = "g99"
    assert 'events[5] (id "g99"): field "id": refund of unknown gift "g99"' in refused(tmp_path, data)


def test_refund_of_an_already_refunded_gift(tmp_path):
    data = festival()
    data["events"].append({"type": "refund", "id": "g2", "at": "2023-05-21T09:00:00+08:00"})
    assert 'events[14] (id "g2"): field "id": gift "g2" is already refunded by events[5]' in refused(tmp_path, data)


def test_refund_dated_before_its_gift(tmp_path):
    data = festival()
    data["events"][5]["at"] = "2023-05-20T09:59:59+08:00"
    message = refused(tmp_path, data)
    assert (
        'events[5] (id "g2"): field "at": refund dated 2023-05-20T09:59:59+08:00 is before its gift (events[1]'
        in message
    )


def test_duplicate_gift_id(tmp_path):
    data = festival()
    data["events"][9]["id"] = "g3"
    assert 'events[9] (id "g3"): field "id": duplicate gift id, already given by events[2]' in refused(tmp_path, data)


def test_time_without_an_offset(tmp_path):
    data = festival()
    data["events"][7]["at"] = "2023-05-20T12:00:00"
    message = refused(tmp_path, data)
    assert 'events[7] (flag of donor "u3"): field "at": time without an offset: "2023-05-20T12:00:00"' in message


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"from": "25:00", "to": "24:00"}, 'field "rules.match_hours.from": hour must be 00-23'),
        ({"from": "10:60", "to": "24:00"}, 'field "rules.match_hours.from": minute must be 00-59'),
        ({"from": "14:00", "to": "10:00"}, 'field "rules.match_hours.to": must be later than rules.match_hours.from'),
        ({"from": "10", "to": "24:00"}, 'field "rules.match_hours.from": must be "HH:MM"'),
    ],
)
def test_malformed_match_hours(tmp_path, hours, message):
    data = festival()
    data["rules"]["match_hours"] = hours
    assert message in refused(tmp_path, data)


def test_invalid_json(tmp_path):
    text = FESTIVAL.read_text(encoding="utf-8")[:-10]
    assert "invalid JSON at line" in refused(tmp_path, text)


def test_json_the_decoder_cannot_hold(tmp_path):
    assert "invalid JSON" in refused(tmp_path, '{"version": ' + "9" * 5000 + "}")
    assert "invalid JSON" in refused(tmp_path, "[" * 100_000 + "]" * 100_000)


def test_empty_file(tmp_path):
    assert "invalid JSON at line 1 column 1" in refused(tmp_path, b"")


def test_not_utf8(tmp_path):
    assert "is not UTF-8" in refused(tmp_path, '{"version": 1, "timezone": "鄂州"}'.encode("gb18030"))


def test_not_an_object(tmp_path):
    assert "a scenario must be a JSON object" in refused(tmp_path, "[1, 2]")


def test_unreadable_file(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("simulate", str(tmp_path / "missing.json"), stdout=out, stderr=err)
    assert caught.value.code == 2
    assert out.getvalue() == ""
    assert "cannot read" in err.getvalue() and "missing.json" in err.getvalue()


def test_bad_input_with_summary_still_prints_nothing_on_stdout(tmp_path):
    data = festival()
    data["events"][0]["fen"] = -1
    assert 'events[0] (id "g1")' in refused(tmp_path, data, "--summary")


def test_the_real_process_exits_2_with_an_empty_stdout(tmp_path):
    bad = tmp_path / "bad.json"
    data = festival()
    data["events"][3]["at"] = "2023-05-20T10:20:00"
    bad.write_text(json.dumps(data), encoding="utf-8")
    process = subprocess.run(
        [sys.executable, "-m", "gongyi", "simulate", str(bad)], capture_output=True, timeout=120, check=False
    )
    assert process.returncode == 2, process.stderr
    assert process.stdout == b""
    assert 'events[3] (id "g5"): field "at": time without an offset' in process.stderr.decode("utf-8")

    good = subprocess.run(
        [sys.executable, "-m", "gongyi", "simulate", str(FESTIVAL)], capture_output=True, timeout=120, check=False
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout.decode("utf-8")) == EXPECTED


# --- bench -------------------------------------------------------------------------------------------


def test_bench_simulate_ends_with_one_json_line():
    out = io.StringIO()
    call_command("bench", "simulate", "--events", "3000", stdout=out, stderr=io.StringIO())
    last = out.getvalue().strip().splitlines()[-1]
    summary = json.loads(last)
    assert summary["bench"] == "simulate" and summary["events"] == 3000
    assert set(summary) == {"bench", "events", "seconds", "events_per_second", "baseline_events_per_second", "ratio"}
    assert summary["events_per_second"] > 0 and summary["ratio"] > 0


def test_bench_scenario_is_deterministic_and_valid():
    from gongyi.core.management.commands.bench import generate_simulate_scenario
    from gongyi.matching.simulator import simulate

    first = generate_simulate_scenario(5000, seed=7)
    assert first == generate_simulate_scenario(5000, seed=7)
    assert len(first["events"]) == 5000
    kinds = {event["type"] for event in first["events"]}
    assert kinds == {"gift", "refund", "flag"}
    result = simulate(first)
    assert len(result["pool"]["exhausted"]) >= 3  # the pool runs dry every day
    assert (
        result["pool"]["left_fen"]
        == result["pool"]["total_fen"] - result["pool"]["matched_fen"] - result["pool"]["forfeited_fen"]
    )
