"""Exported data people open: CSV with a byte order mark for spreadsheets, one message shape
in `rooms show`, `search` and `export`, and audit details as objects."""

import csv
import io
import json

from conftest import RECEIPT, SHA, audit_entries, room_of

from kchat_cli.domain.conversations.listing import MESSAGE_FIELDS


def test_csv_with_a_byte_order_mark_for_spreadsheets(kchat, two_rooms_asking, tmp_path):
    target = tmp_path / "messages.csv"
    kchat("export", "messages", "-o", "csv", "--bom", "--out", target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))
    assert [row["text"] for row in rows] == ["환불 문의", "배송 문의"]
    assert not kchat("export", "messages").stdout.startswith("\ufeff"), "only when asked"
    refused = kchat("export", "audit", "-o", "jsonl", "--bom", code=2)
    assert "csv" in refused.stderr


def test_a_message_has_one_shape_in_rooms_show_search_and_export(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:00", text="영수증 보내요", kind="image", file=RECEIPT)
    )
    room = room_of(kchat, "u1")["id"]
    (shown,) = kchat.json("rooms", "show", room, "--peek")["messages"]
    (found,) = kchat.json("search", "영수증")
    (exported,) = map(json.loads, kchat("export", "messages", "-o", "jsonl").stdout.splitlines())
    assert list(exported) == list(MESSAGE_FIELDS)
    assert list(shown) == [*MESSAGE_FIELDS, "new"]
    assert list(found) == [*MESSAGE_FIELDS, "name"]
    assert exported["file"] == RECEIPT
    assert {key: shown[key] for key in MESSAGE_FIELDS} == exported
    assert {key: found[key] for key in MESSAGE_FIELDS} == exported
    (row,) = csv.DictReader(io.StringIO(kchat("export", "messages").stdout))
    assert (row["file_name"], row["file_size"], row["file_sha256"]) == ("영수증.png", "2048", SHA)


def test_audit_details_are_an_object_in_json_and_json_text_in_csv(kchat, two_rooms_asking):
    u1, _ = two_rooms_asking
    kchat("send", u1, "해결되었습니다", "--complete")
    (sent,) = [entry for entry in audit_entries(kchat) if entry["action"] == "send"]
    assert isinstance(sent["details"], dict) and sent["details"]["complete"] is True
    rows = csv.DictReader(io.StringIO(kchat("export", "audit").stdout))
    (row,) = [row for row in rows if row["action"] == "send"]
    assert json.loads(row["details"]) == sent["details"]
