"""The in-process event bus (asyncio queues with a bounded backlog per subscriber)."""

from __future__ import annotations

import abc
import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

from madoguchi.core.events import Event

Published = tuple[int, Event]


class SubscriberLagged(Exception):
    """The subscriber fell more than its backlog behind and was dropped; re-snapshot."""


class Subscription:
    """One listener's view of the bus: ``async for event_id, event in subscription``."""

    def __init__(
        self,
        max_backlog: int,
        on_close: Callable[[Subscription], None],
        accept: Callable[[Event], bool] | None = None,
    ) -> None:
        self._backlog: deque[Published] = deque()
        self._max_backlog = max_backlog
        self._waiter: asyncio.Future[None] | None = None
        self._on_close = on_close
        self._accept = accept
        self.lagged = False
        self.closed = False

    def _deliver(self, item: Published) -> None:
        if self.closed or (self._accept is not None and not self._accept(item[1])):
            return
        if len(self._backlog) >= self._max_backlog:
            self.lagged = True
            self._backlog.clear()
            self.close()
        else:
            self._backlog.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> AsyncIterator[Published]:
        return self

    async def __anext__(self) -> Published:
        while not self._backlog:
            if self.lagged:
                raise SubscriberLagged
            if self.closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._backlog.popleft()

    def pending(self) -> int:
        """How many events wait to be read."""
        return len(self._backlog)

    def close(self) -> None:
        """Stop receiving; a reader blocked in ``__anext__`` ends its loop."""
        if not self.closed:
            self.closed = True
            self._on_close(self)
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)


class EventBus(abc.ABC):
    """The bus port."""

    @abc.abstractmethod
    def publish(self, event_id: int, event: Event) -> None:
        """Hand an event (already in the log under ``event_id``) to every subscriber."""

    @abc.abstractmethod
    def subscribe(
        self, max_backlog: int = 1000, accept: Callable[[Event], bool] | None = None
    ) -> Subscription:
        """A new subscription receiving events published from now on (filtered by ``accept``)."""


class InProcessBus(EventBus):
    """Fan-out to subscribers in the same process and event loop."""

    def __init__(self) -> None:
        self._subscribers: list[Subscription] = []

    def publish(self, event_id: int, event: Event) -> None:
        for subscriber in tuple(self._subscribers):
            subscriber._deliver((event_id, event))

    def subscribe(
        self, max_backlog: int = 1000, accept: Callable[[Event], bool] | None = None
    ) -> Subscription:
        subscription = Subscription(max_backlog, self._remove, accept)
        self._subscribers.append(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    @property
    def subscriber_count(self) -> int:
        """Live subscriptions."""
        return len(self._subscribers)
