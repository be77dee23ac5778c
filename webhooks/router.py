"""``WebhookRouter``: a registry of async handlers per event class or ``type`` string, and
``dispatch``, which runs them in registration order behind optional filters. Pure: no I/O."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar, overload

from .errors import HandlerError, WebhookConfigError
from .events import WebhookEvent
from .filters import EventFilter

__all__ = ["ErrorHandler", "Handler", "WebhookRouter"]

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=WebhookEvent)
Handler = Callable[[E], Awaitable[Any]]
ErrorHandler = Callable[[WebhookEvent, BaseException], Awaitable[Any]]
H = TypeVar("H", bound=Callable[..., Awaitable[Any]])
_MAX_MATCHES = 1024


def _require_async(handler: Any, decorator: str) -> None:
    call = getattr(type(handler), "__call__", None)  # noqa: B004 - async callable objects too
    if not (inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(call)):
        raise WebhookConfigError(f"{decorator}: {handler!r} must be an async function")


async def _release(admitted: Sequence[EventFilter], event: WebhookEvent) -> None:
    """Tell the filters that admitted ``event`` it was not handled after all, last first."""
    for event_filter in reversed(admitted):
        await event_filter.release(event)


def _name(handler: Any) -> str:
    return getattr(handler, "__qualname__", None) or type(handler).__qualname__


class WebhookRouter:
    """Maps events to handlers; ``dispatch`` runs every match, then the ``on_any`` handlers.

    Every handler runs even if an earlier one raised; each exception goes to the ``on_error``
    handlers and the log, and ``dispatch`` then raises :class:`HandlerError`. ``filters``
    (see :mod:`webhooks.filters`) may skip an event before any handler runs.
    """

    def __init__(self, *, filters: Iterable[EventFilter] = ()) -> None:
        self._routes: list[tuple[type[WebhookEvent] | str, Callable[[Any], Awaitable[Any]]]] = []
        self._any: list[Callable[[Any], Awaitable[Any]]] = []
        self._error_handlers: list[ErrorHandler] = []
        self._filters: list[EventFilter] = []
        self._matches: dict[tuple[type[WebhookEvent], str], tuple[Any, ...]] = {}
        for event_filter in filters:
            self.use(event_filter)

    def __repr__(self) -> str:
        return (
            f"<WebhookRouter {len(self._routes)} handlers, {len(self._any)} on_any, "
            f"{len(self._error_handlers)} on_error, filters={self._filters!r}>"
        )

    def use(self, event_filter: EventFilter) -> EventFilter:
        """Add a filter; filters admit an event in the order they were added."""
        for method in ("admit", "done", "release"):
            if not callable(getattr(event_filter, method, None)):
                raise WebhookConfigError(
                    f"WebhookRouter.use: {type(event_filter).__name__!r} object has no {method}() method"
                )
        self._filters.append(event_filter)
        return event_filter

    @overload
    def on(self, event: type[E]) -> Callable[[Handler[E]], Handler[E]]: ...
    @overload
    def on(self, event: str) -> Callable[[Handler[WebhookEvent]], Handler[WebhookEvent]]: ...
    def on(self, event: type[WebhookEvent] | str) -> Callable[[Any], Any]:
        """Decorator: run the handler for events of this class (subclasses included) or of
        this exact ``type`` string (which may be one this version does not know)."""
        if isinstance(event, str):
            if not event:
                raise WebhookConfigError("WebhookRouter.on: the event type must not be empty")
        elif not (isinstance(event, type) and issubclass(event, WebhookEvent)):
            raise WebhookConfigError(
                f"WebhookRouter.on: expected a WebhookEvent class or a type string, got {event!r}"
            )

        def register(handler: H) -> H:
            _require_async(handler, "WebhookRouter.on")
            self._routes.append((event, handler))
            self._matches.clear()
            return handler

        return register

    def on_any(self, handler: H) -> H:
        """Decorator: run the handler for every event, unknown types included, after the
        type-specific ones."""
        _require_async(handler, "WebhookRouter.on_any")
        self._any.append(handler)
        self._matches.clear()
        return handler

    def on_error(self, handler: H) -> H:
        """Decorator: call ``handler(event, exception)`` whenever a handler raises."""
        _require_async(handler, "WebhookRouter.on_error")
        self._error_handlers.append(handler)
        return handler

    def handlers_for(self, event: WebhookEvent) -> list[Callable[[Any], Awaitable[Any]]]:
        """The handlers ``dispatch`` would run for ``event``, in order."""
        return list(self._handlers(event))

    def _handlers(self, event: WebhookEvent) -> tuple[Callable[[Any], Awaitable[Any]], ...]:
        """``handlers_for``, worked out once per event class and ``type`` string."""
        key = (event.__class__, event.type)
        handlers = self._matches.get(key)
        if handlers is None:
            matched = [
                handler
                for target, handler in self._routes
                if (event.type == target if isinstance(target, str) else isinstance(event, target))
            ]
            if len(self._matches) >= _MAX_MATCHES:  # unknown types are unbounded: start over
                self._matches.clear()
            handlers = self._matches[key] = (*matched, *self._any)
        return handlers

    async def dispatch(self, event: WebhookEvent) -> bool:
        """Run the matching handlers; True when they ran, False when a filter skipped the event.

        Raises :class:`HandlerError` (first exception as ``__cause__``) after all handlers ran
        if any raised; a failing filter's own exception propagates unchanged.
        """
        admitted = await self._admit(event) if self._filters else ()
        if admitted is None:
            return False
        try:
            errors: list[Exception] = []
            for handler in self._handlers(event):
                try:
                    await handler(event)
                except Exception as exc:
                    errors.append(exc)
                    logger.error(
                        "handler %s failed for %s", _name(handler), event.describe(), exc_info=exc
                    )
                    await self._report(event, exc)
            if errors:
                raise HandlerError(event, errors) from errors[0]
        except BaseException:
            await _release(admitted, event)
            raise
        for event_filter in admitted:
            await event_filter.done(event)
        return True

    async def _admit(self, event: WebhookEvent) -> list[EventFilter] | None:
        """The filters, each having admitted ``event``; None (all released) if one did not."""
        admitted: list[EventFilter] = []
        try:
            for event_filter in self._filters:
                if not await event_filter.admit(event):
                    logger.info("skipped %s: %r did not admit it", event.describe(), event_filter)
                    break
                admitted.append(event_filter)
            else:
                return admitted
        except BaseException:
            await _release(admitted, event)
            raise
        await _release(admitted, event)
        return None

    async def _report(self, event: WebhookEvent, exc: Exception) -> None:
        for error_handler in self._error_handlers:
            try:
                await error_handler(event, exc)
            except Exception as report_exc:
                logger.error(
                    "on_error handler %s failed for %s",
                    _name(error_handler),
                    event.describe(),
                    exc_info=report_exc,
                )
