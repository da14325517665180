"""Long polling that acknowledges only the updates it has handled to completion.

Telegram forgets an update once getUpdates is called with an offset above its id.
aiogram's own loop asks for `last id + 1` as soon as it has *fetched* an update, so
whatever was fetched but not finished when the process stopped was gone. Here the
offset asked for is the first update still in hand (or, when none is, the one after the
last fetched), so an update that a stop cuts short is delivered again at the next start.

The updates after the first unfinished one come back with every call until it finishes;
they are known by id and not handed to the dispatcher twice. When a call brings nothing
new, the loop waits for an update to finish before it asks again (no busy loop). At most
`limit` updates are therefore in hand at once, which also bounds what a stop has to drain.
"""

import asyncio
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from loguru import logger

POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates call open when there is nothing new
BATCH = 100  # getUpdates' own maximum
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        allowed_updates: list[str] | None = None,
        timeout: int = POLL_TIMEOUT,
        limit: int = BATCH,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.limit = limit
        self._in_hand: dict[int, asyncio.Task[None]] = {}  # fetched, not finished
        self._after_fetched: int | None = None  # the id after the highest fetched
        self._acknowledged: int | None = None  # the offset last sent to Telegram
        self._finished = asyncio.Event()
        self._fetching: asyncio.Task[None] | None = None

    @property
    def offset(self) -> int | None:
        """What getUpdates may acknowledge: everything below the first update in hand."""
        if self._in_hand:
            return min(self._in_hand)
        return self._after_fetched

    def start(self) -> asyncio.Task[None]:
        self._fetching = asyncio.create_task(self._fetch_forever())
        return self._fetching

    async def stop_fetching(self) -> None:
        """No more getUpdates calls; the updates in hand go on."""
        if self._fetching is not None:
            self._fetching.cancel()
            await asyncio.gather(self._fetching, return_exceptions=True)

    async def wait_handled(self) -> None:
        """Return once every update fetched has finished (the caller bounds the wait)."""
        while running := [task for task in self._in_hand.values() if not task.done()]:
            await asyncio.wait(running)

    async def hand_back(self) -> None:
        """Give up the updates still unfinished and tell Telegram which ones are done:
        those below the first unfinished update are acknowledged, the rest are delivered
        again at the next start."""
        unfinished = [task for task in self._in_hand.values() if not task.done()]
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        offset = self.offset
        if unfinished:
            logger.warning(
                "{} updates unfinished: Telegram delivers them again from update {}",
                len(unfinished),
                offset,
            )
        if offset is None or offset == self._acknowledged:
            return
        try:
            await self.bot(GetUpdates(offset=offset, limit=1, timeout=0))
        except Exception:
            logger.exception("the handled updates could not be acknowledged (from {})", offset)

    async def _fetch_forever(self) -> None:
        backoff = Backoff(config=BACKOFF)
        request_timeout = int((self.bot.session.timeout or 60) + self.timeout)
        while True:
            self._finished.clear()
            offset = self.offset
            call = GetUpdates(
                offset=offset,
                limit=self.limit,
                timeout=self.timeout,
                allowed_updates=self.allowed_updates,
            )
            try:
                updates = await self.bot(call, request_timeout=request_timeout)
            except Exception as error:
                logger.warning(
                    "getUpdates failed ({}); again in {:.1f} s",
                    type(error).__name__,
                    backoff.next_delay,
                )
                await backoff.asleep()
                continue
            backoff.reset()
            self._acknowledged = offset
            fresh = [update for update in updates if self._is_new(update)]
            for update in fresh:
                self._take(update)
            if updates and not fresh:
                await self._finished.wait()  # only what is in hand already came back

    def _is_new(self, update: Update) -> bool:
        return self._after_fetched is None or update.update_id >= self._after_fetched

    def _take(self, update: Update) -> None:
        self._after_fetched = update.update_id + 1
        self._in_hand[update.update_id] = asyncio.create_task(self._handle(update))

    async def _handle(self, update: Update) -> None:
        data: dict[str, Any] = {"bots": [self.bot], **self.dispatcher.workflow_data}
        try:
            response = await self.dispatcher.feed_update(self.bot, update, **data)
            if isinstance(response, TelegramMethod):
                await self.dispatcher.silent_call_request(self.bot, response)
        except asyncio.CancelledError:
            raise  # stays in hand: not acknowledged
        except Exception:
            # handled, if unsuccessfully: delivering it again would fail the same way
            logger.exception("update {} failed", update.update_id)
        del self._in_hand[update.update_id]
        self._finished.set()
