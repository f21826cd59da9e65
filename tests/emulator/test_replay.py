"""Replay conformance against the recorded real Auth0 traffic (see auth0_emulator.replay)."""

from __future__ import annotations

import pytest

from auth0_emulator import replay


def test_recordings_replay_without_mismatch(capsys):
    directory = replay.default_recordings_dir()
    if not replay.recordings(directory):
        pytest.skip(f"no recordings at {directory} (set AUTH0_RECORDINGS_DIR)")
    outcomes, text = replay.run(directory)
    summary = replay.summary(outcomes)
    with capsys.disabled():
        print(f"\n{text}\n")
        print(
            f"replay: match rate {summary['match_rate']:.1%} over {summary['in_scope']} in-scope interactions, "
            f"{summary['skipped']} skipped"
        )
    assert summary["in_scope"] > 300
    assert summary["mismatched"] == 0, text


def test_private_key_jwt_recordings_replay_without_mismatch(capsys):
    """The private key JWT recordings (kept apart in auth0-recordings-next until the emulator answers them):
    credentials registered, attached by id, rotated, their expiry changed, detached and deleted."""
    directory = replay.default_recordings_dir("auth0-recordings-next")
    if not replay.recordings(directory):
        pytest.skip(f"no recordings at {directory}")
    outcomes, text = replay.run(directory)
    summary = replay.summary(outcomes)
    with capsys.disabled():
        print(f"\nreplay (next): match rate {summary['match_rate']:.1%} over {summary['in_scope']} interactions")
    assert summary["in_scope"] >= 140
    assert summary["mismatched"] == 0, text


def test_comparison_is_strict():
    ids = replay.IdMap()
    recorded = {"id": "cgr_AAAAAAAAAAAAAAAA", "scope": ["a"], "allow_any_organization": True, "n": 1}
    kinds = {(d.path, d.kind) for d in replay.compare(recorded, {"id": "cgr_BBBBBBBBBBBBBBBB", "scope": "a", "extra": 1, "n": 1}, ids)}
    assert kinds == {("scope", "type"), ("allow_any_organization", "missing"), ("extra", "extra")}
    values = replay.compare({"organization_usage": "allow"}, {"organization_usage": "deny"}, ids)
    assert [(d.path, d.kind) for d in values] == [("organization_usage", "value")]
    # Ids are compared through the map learned from earlier steps.
    ids.learn({"id": "org_AAAAAAAAAAAAAAAA"}, {"id": "org_BBBBBBBBBBBBBBBB"})
    assert replay.compare({"organization_id": "org_AAAAAAAAAAAAAAAA"}, {"organization_id": "org_BBBBBBBBBBBBBBBB"}, ids) == []
    assert replay.compare({"organization_id": "org_AAAAAAAAAAAAAAAA"}, {"organization_id": "org_CCCCCCCCCCCCCCCC"}, ids)
    assert ids.apply("/organizations/org_AAAAAAAAAAAAAAAA/client-grants") == "/organizations/org_BBBBBBBBBBBBBBBB/client-grants"
