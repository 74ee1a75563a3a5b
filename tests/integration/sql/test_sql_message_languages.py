"""The payment hot path in any language: the bot's text for a payer of any language costs the
same statements as for one with none (every language of a key is one cached read), on SQLite
and PostgreSQL."""

from __future__ import annotations

from sql_bus import PACKAGE, STARS, Race
from sqlalchemy import select

from starport.adapters.sql.tables import outbox
from starport.application import commands as c
from starport.application.deps import Settings
from starport.domain.money import Stars
from starport.domain.sessions import PaymentSession


async def pay(race: Race, n: int, language: str | None) -> int:
    """A session paid by Telegram user `n`; the statements the payment ran."""
    now = race.clock.now()
    session = PaymentSession.open(session_id=f"s{n}", user_id=f"u{n}", package=PACKAGE,
                                  provider=STARS, now=now, expires_at=now + Settings().session_ttl,
                                  telegram_user_id=n)
    async with race.db() as uow:
        await uow.sessions.add(session)
        await uow.commit()
    before = race.db.counts.statements
    outcome = await race.bus.handle(c.CompletePayment(
        provider=STARS, session_id=session.id, charge_id=f"c{n}", paid=Stars(50),
        payer_telegram_id=n, chat_id=n, language=language))
    assert outcome.credited
    return race.db.counts.statements - before


async def test_a_payers_language_costs_no_statement_and_picks_the_text(race: Race) -> None:
    # Given the confirmation in English and Russian
    race.db.messages.ttl = 3600.0  # cached for the whole test, however slow the machine
    await race.bus.handle(c.UpdateBotMessage("payment_success", "Paid: +{credits}.", None, "a"))
    await race.bus.handle(c.UpdateBotMessage("payment_success", "Оплачено: +{credits}.", None,
                                             "a", language="ru"))
    await pay(race, 1, None)  # the texts are read once, then cached
    # When a Russian, a Brazilian and a user with no language pay
    russian, brazilian, nobody = (await pay(race, 2, "ru"), await pay(race, 3, "pt-BR"),
                                  await pay(race, 4, None))
    # Then each costs the same statements, and reads their own text
    assert russian == brazilian == nobody
    async with race.db.connection(race.db.engine) as conn:
        rows = (await conn.execute(select(outbox.c.chat_id, outbox.c.payload))).all()
    texts = {chat: payload["text"] for chat, payload in rows}
    assert texts == {1: "Paid: +100.", 2: "Оплачено: +100.", 3: "Paid: +100.",
                     4: "Paid: +100."}
    async with race.db() as uow:
        sessions = [await uow.sessions.get(f"s{n}") for n in (2, 3, 4)]
    assert [s.language if s else "?" for s in sessions] == ["ru", "pt-br", None]
