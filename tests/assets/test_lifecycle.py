"""The asset lifecycle state machine (framework node 3.6), as a pure engine."""

import datetime as dt

import pytest

from somp.modules.assets.lifecycle import (
    END_OF_LIFE,
    TRANSITIONS,
    AssetFacts,
    AssetState,
    TransitionRefused,
    check_transition,
)

S = AssetState
DAY = dt.date(2026, 3, 1)


def facts(state, customer=1, site=True, **kw):
    return AssetFacts(state=state, customer_id=customer, has_site=site, **kw)


def test_every_state_is_reachable_from_manufactured_and_recycled_is_terminal():
    seen, frontier = {S.manufactured}, [S.manufactured]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(S)
    assert TRANSITIONS[S.recycled] == frozenset()
    assert TRANSITIONS[S.retired] == {S.recycled}


def test_the_full_chain_from_manufacture_to_recycling_is_allowed():
    chain = [
        S.manufactured,
        S.delivered,
        S.installed,
        S.in_service,
        S.degraded,
        S.under_maintenance,
        S.upgraded,
        S.in_service,
        S.failed,
        S.under_maintenance,
        S.in_service,
        S.retired,
        S.recycled,
    ]
    for a, b in zip(chain, chain[1:], strict=False):
        check_transition(facts(a), b, DAY)


def test_a_failed_asset_cannot_go_back_into_service_without_maintenance():
    with pytest.raises(TransitionRefused) as e:
        check_transition(facts(S.failed), S.in_service, DAY)
    assert "under_maintenance" in e.value.reason
    assert S.under_maintenance in e.value.allowed


@pytest.mark.parametrize("state", list(S))
def test_unlisted_transitions_are_refused_with_the_allowed_next_states(state):
    for target in set(S) - TRANSITIONS[state] - {state}:
        with pytest.raises(TransitionRefused) as e:
            check_transition(facts(state), target, DAY)
        assert e.value.reason
        assert set(e.value.allowed) == TRANSITIONS[state]


def test_end_of_life_states_never_return_to_the_field():
    for s in END_OF_LIFE:
        assert not (TRANSITIONS[s] & {S.in_service, S.degraded, S.installed})


def test_delivery_needs_a_customer_and_installation_needs_a_site():
    with pytest.raises(TransitionRefused, match="customer"):
        check_transition(facts(S.manufactured, customer=None), S.delivered, DAY)
    with pytest.raises(TransitionRefused, match="site"):
        check_transition(facts(S.delivered, site=False), S.installed, DAY)


def test_transition_dates_are_set_once():
    assert check_transition(facts(S.delivered), S.installed, DAY) == {"installed_on": DAY}
    assert check_transition(facts(S.installed), S.in_service, DAY) == {"commissioned_on": DAY}
    earlier = dt.date(2025, 1, 1)
    assert check_transition(facts(S.installed, commissioned_on=earlier), S.in_service, DAY) == {}
    assert check_transition(facts(S.in_service), S.retired, DAY) == {"retired_on": DAY}
