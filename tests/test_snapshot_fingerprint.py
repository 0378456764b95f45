"""A live snapshot's fingerprint is the same whether it is computed from the objects or from
the rows a forked fetch sends (which compute it on the child's core), ignores ETags and the
order users and groups come in, and changes with any other value."""

from __future__ import annotations

from dataclasses import replace

from reconciler.model import (
    DeletedUser,
    LiveGroup,
    LiveSnapshot,
    LiveUser,
    live_group_row,
    live_user_row,
)
from reconciler.speakap.backend import LiveRows

ANN = LiveUser("u1", "E1", "ann@example.com", "Ann", None, "Smit", "ann@example.com", etag='W/"1"')
BOB = LiveUser("u2", "E2", "bob", "Bob", "van", "Dam", None, "+31612345678", "Baker", "nl")
GONE = LiveUser("u3", "E3", "cas", "Cas", managed=True, active=False)
STORE = LiveGroup("g1", "store-001", "Store 1", "business_unit", members=frozenset({"u1", "u2"}))
CLUB = LiveGroup("g2", "club", "Club", "group", "store-001", frozenset({"u2"}), visibility="secret")
SNAPSHOT = LiveSnapshot(
    users=(ANN, BOB), groups=(STORE, CLUB), deleted=(DeletedUser(GONE, frozenset({"g1"})),)
)


def rows_of(snapshot: LiveSnapshot) -> LiveRows:
    return LiveRows(
        users=tuple(map(live_user_row, snapshot.users)),
        groups=tuple(map(live_group_row, snapshot.groups)),
        deleted=tuple((live_user_row(d.user), d.groups) for d in snapshot.deleted),
    )


def test_the_rows_give_the_fingerprint_of_the_objects() -> None:
    rows = rows_of(SNAPSHOT)
    assert rows.fingerprint() == SNAPSHOT.fingerprint()
    rebuilt = rows.snapshot(rows.fingerprint())
    assert rebuilt == SNAPSHOT
    assert rebuilt.fingerprint() == SNAPSHOT.fingerprint()


def test_etags_and_order_do_not_count_other_values_do() -> None:
    shuffled = LiveSnapshot(
        users=(replace(BOB, etag='W/"9"'), ANN),
        groups=(CLUB, replace(STORE, etag='W/"4"')),
        deleted=SNAPSHOT.deleted,
    )
    assert shuffled.fingerprint() == SNAPSHOT.fingerprint()
    for changed in (
        replace(SNAPSHOT, users=(replace(ANN, job_title="Chef"), BOB)),
        replace(SNAPSHOT, groups=(replace(STORE, members=frozenset({"u1"})), CLUB)),
        replace(SNAPSHOT, deleted=(DeletedUser(GONE, frozenset({"g2"})),)),
    ):
        assert changed.fingerprint() != SNAPSHOT.fingerprint()
        assert rows_of(changed).fingerprint() == changed.fingerprint()
