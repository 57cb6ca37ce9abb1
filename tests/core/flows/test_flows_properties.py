"""Whatever a customer (or an outside system) sends, a session never crashes and always exits."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.core.config import epoch
from madoguchi.core.flows import FlowPhase, FlowSession, StaticFlowEnvironment
from madoguchi.core.flows import commands as c
from madoguchi.core.flows import inputs as i
from madoguchi.core.flows.events import FlowExited
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.samples import load_sample_center
from madoguchi.samples.flows import SAMPLE_FLOWS, load_sample_flow

CENTER = load_sample_center()
FLOWS = {name: load_sample_flow(name) for name in SAMPLE_FLOWS}
START = epoch(datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")))

answers = st.one_of(
    st.just("digits"),
    st.just("text"),
    st.just("silence"),
    st.just("http-ok"),
    st.just("http-garbage"),
    st.just("http-fail"),
    st.just("lookup"),
    st.just("stale"),
)


@settings(max_examples=150, deadline=None)
@given(
    flow=st.sampled_from(SAMPLE_FLOWS),
    channel=st.sampled_from([Channel.VOICE, Channel.CHAT]),
    hour=st.integers(min_value=0, max_value=23 * 7),
    wait=st.one_of(st.none(), st.floats(min_value=0, max_value=3600)),
    steps=st.lists(st.tuples(answers, st.text(max_size=12)), max_size=40),
)
def test_random_customers_never_crash_and_always_reach_an_exit(
    flow: str,
    channel: Channel,
    hour: int,
    wait: float | None,
    steps: list[tuple[str, str]],
) -> None:
    env = StaticFlowEnvironment.for_center(CENTER)
    if wait is not None:
        env.waits.update({q.id: wait for q in CENTER.queues})
        env.positions["p"] = 3
    now = START + hour * 3600.0
    session = FlowSession(FLOWS[flow], env)
    contact = Contact("p", channel, Direction.INBOUND, "midori", now, from_address="09011112222")
    pending = session.start(contact, now)
    request = ""
    for kind, payload in steps:
        for command in pending:
            if isinstance(command, c.HttpRequest | c.LookupCustomer):
                request = command.request_id
        if session.phase is FlowPhase.ENDED:
            break
        now += 1.0
        choices: dict[str, i.FlowInput] = {
            "digits": i.Digits(payload),
            "text": i.Text(payload),
            "http-ok": i.HttpResponse(request, 200, '{"status_text": "x", "delivery_date": "y"}'),
            "http-garbage": i.HttpResponse(request, 200, payload),
            "http-fail": i.HttpFailed(request, "timeout"),
            "lookup": i.CustomerLookupResult(request, payload or None, {"tier": payload}),
            "stale": i.HttpResponse("stale", 200, "{}"),
        }
        item = choices.get(kind)
        if item is None:
            due = session.next_timer()
            if due is not None:
                now = max(now, due)
                pending = session.handle_timer(now)
        else:
            pending = session.receive(item, now)
    # then the customer stays silent: every wait must run out into an exit
    for _ in range(200):
        due = session.next_timer()
        if due is None or session.phase is not FlowPhase.RUNNING:
            break
        now = max(now, due)
        session.handle_timer(now)
    events = session.take_events()
    exits = [e for e in events if isinstance(e, FlowExited)]
    assert session.phase is not FlowPhase.RUNNING
    assert len(exits) == 1
