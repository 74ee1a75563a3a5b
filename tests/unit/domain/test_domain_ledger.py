"""The double-entry ledger: balanced immutable entries, and the posting rules on accounts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from starport.domain import ledger
from starport.domain.errors import InsufficientCredits, InvalidAmount, UnbalancedEntry
from starport.domain.ledger import Account, EntryKind, JournalEntry, Posting

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def entry(*postings: tuple[str, int], key: str = "k1", kind: EntryKind = EntryKind.SPEND,
          allow_overdraft: bool = False) -> JournalEntry:
    return JournalEntry(id="e1", idempotency_key=key, kind=kind, created_at=NOW,
                        postings=tuple(Posting(a, n) for a, n in postings),
                        allow_overdraft=allow_overdraft)


def accounts(**balances: int) -> dict[str, Account]:
    return {name.replace("__", ":"): Account(name.replace("__", ":"), balance)
            for name, balance in balances.items()}


class TestPosting:
    @pytest.mark.parametrize("amount", [0, 1.5, True, "5", None])
    def test_a_posting_moves_a_non_zero_whole_amount(self, amount: object) -> None:
        with pytest.raises(UnbalancedEntry):
            Posting("user:u1", amount)  # type: ignore[arg-type]

    def test_a_posting_names_its_account(self) -> None:
        with pytest.raises(UnbalancedEntry):
            Posting("", 5)


class TestJournalEntry:
    def test_a_balanced_entry_of_two_accounts_is_valid(self) -> None:
        e = entry(("user:u1", 5), ("sales:telegram_stars", -5))
        assert e.accounts == ["sales:telegram_stars", "user:u1"]
        assert e.amount_for("user:u1") == 5
        assert e.amount_for("nobody") == 0

    def test_postings_must_sum_to_zero(self) -> None:
        with pytest.raises(UnbalancedEntry, match="sum to zero"):
            entry(("user:u1", 5), ("sales:telegram_stars", -4))

    def test_an_entry_has_at_least_two_postings(self) -> None:
        with pytest.raises(UnbalancedEntry, match="two postings"):
            entry(("user:u1", 5))
        with pytest.raises(UnbalancedEntry):
            entry()

    def test_an_entry_names_each_account_once(self) -> None:
        with pytest.raises(UnbalancedEntry, match="once"):
            entry(("user:u1", 5), ("user:u1", -5))

    def test_three_way_entries_may_balance(self) -> None:
        e = entry(("user:u1", 5), ("user:u2", 5), ("promo:bonus", -10))
        assert ledger.total([e]) == 0

    @pytest.mark.parametrize("key", ["", "k" * (ledger.MAX_KEY_LENGTH + 1)])
    def test_an_idempotency_key_has_1_to_200_characters(self, key: str) -> None:
        with pytest.raises(InvalidAmount, match="idempotency key"):
            entry(("user:u1", 5), ("usage", -5), key=key)

    def test_a_key_of_exactly_200_characters_is_fine(self) -> None:
        key = "k" * ledger.MAX_KEY_LENGTH
        assert entry(("user:u1", 5), ("usage", -5), key=key).idempotency_key == key

    def test_an_entry_is_immutable(self) -> None:
        e = entry(("user:u1", 5), ("usage", -5))
        with pytest.raises(AttributeError):
            e.postings = ()  # type: ignore[misc]

    def test_the_same_movement_is_the_same_operation_whatever_its_order_id_or_memo(self) -> None:
        first = ledger.spend(entry_id="e1", key="k", user_id="u1", credits=5, reason="a", now=NOW)
        again = JournalEntry(id="e2", idempotency_key="k", kind=EntryKind.SPEND, created_at=NOW,
                             postings=tuple(reversed(first.postings)), memo="b")
        assert first.same_operation_as(again)

    def test_another_amount_or_kind_is_another_operation(self) -> None:
        first = ledger.spend(entry_id="e1", key="k", user_id="u1", credits=5, reason="", now=NOW)
        more = ledger.spend(entry_id="e2", key="k", user_id="u1", credits=6, reason="", now=NOW)
        other_user = ledger.spend(entry_id="e2", key="k", user_id="u2", credits=5, reason="",
                                  now=NOW)
        other_kind = JournalEntry(id="e3", idempotency_key="k", kind=EntryKind.REFUND,
                                  created_at=NOW, postings=first.postings)
        assert not first.same_operation_as(more)
        assert not first.same_operation_as(other_user)
        assert not first.same_operation_as(other_kind)


class TestAccounts:
    def test_only_user_accounts_are_guarded(self) -> None:
        assert Account("user:u1").guarded
        for system in ("sales:telegram_stars", "sales:cryptopay", "promo:bonus", "refunds",
                       "usage"):
            assert not Account(system).guarded

    def test_a_negative_user_balance_is_a_visible_debt(self) -> None:
        assert Account("user:u1", -30).debt == 30
        assert Account("user:u1", 30).debt == 0
        assert Account("sales:telegram_stars", -30).debt == 0


class TestPost:
    def test_posting_moves_the_credits_between_accounts(self) -> None:
        accs = accounts(user__u1=0, sales__telegram_stars=0)
        ledger.post(ledger.purchase(entry_id="e1", key="payment:x", user_id="u1",
                                    sales_account="sales:telegram_stars", credits=100,
                                    session_id="s1", now=NOW), accs)
        assert accs["user:u1"].balance == 100
        assert accs["sales:telegram_stars"].balance == -100  # system accounts go negative
        assert sum(a.balance for a in accs.values()) == 0

    def test_a_spend_may_use_the_whole_balance(self) -> None:
        accs = accounts(user__u1=30, usage=0)
        ledger.post(ledger.spend(entry_id="e", key="k", user_id="u1", credits=30, reason="",
                                 now=NOW), accs)
        assert accs["user:u1"].balance == 0
        assert accs["usage"].balance == 30

    def test_a_spend_may_not_overdraw_a_user(self) -> None:
        accs = accounts(user__u1=29, usage=0)
        with pytest.raises(InsufficientCredits):
            ledger.post(ledger.spend(entry_id="e", key="k", user_id="u1", credits=30, reason="",
                                     now=NOW), accs)
        assert (accs["user:u1"].balance, accs["usage"].balance) == (29, 0)

    def test_a_user_in_debt_cannot_spend_at_all(self) -> None:
        accs = accounts(user__u1=-10, usage=0)
        with pytest.raises(InsufficientCredits):
            ledger.post(ledger.spend(entry_id="e", key="k", user_id="u1", credits=1, reason="",
                                     now=NOW), accs)

    def test_an_admin_refund_may_not_overdraw_a_user(self) -> None:
        accs = accounts(user__u1=40, refunds=0)
        with pytest.raises(InsufficientCredits):
            ledger.post(ledger.refund(entry_id="e", key="refund:s1", user_id="u1", credits=100,
                                      session_id="s1", now=NOW, by_provider=False), accs)
        assert accs["user:u1"].balance == 40

    def test_a_provider_refund_is_recorded_into_a_visible_debt(self) -> None:
        accs = accounts(user__u1=40, refunds=0)
        e = ledger.refund(entry_id="e", key="refund:s1", user_id="u1", credits=100,
                          session_id="s1", now=NOW, by_provider=True)
        ledger.post(e, accs)
        assert accs["user:u1"].balance == -60
        assert accs["user:u1"].debt == 60
        assert accs["refunds"].balance == 100
        assert e.memo == "provider refund"
        assert e.reference == "s1"

    def test_crediting_a_user_in_debt_pays_the_debt_first(self) -> None:
        accs = accounts(user__u1=-60, promo__bonus=0)
        ledger.post(ledger.bonus(entry_id="e", key="join-bonus:1", user_id="u1", credits=100,
                                 memo="bonus", now=NOW), accs)
        assert accs["user:u1"].balance == 40
        assert accs["promo:bonus"].balance == -100

    def test_system_accounts_may_go_negative_on_any_entry(self) -> None:
        accs = accounts(sales__cryptopay=0, refunds=0)
        ledger.post(entry(("sales:cryptopay", -500), ("refunds", 500)), accs)
        assert accs["sales:cryptopay"].balance == -500

    def test_posting_is_all_or_nothing(self) -> None:
        # Given two users, the second of whom cannot afford their part
        accs = accounts(user__a=100, user__b=0, usage=0)
        # When one entry debits both
        with pytest.raises(InsufficientCredits):
            ledger.post(entry(("user:a", -50), ("user:b", -10), ("usage", 60)), accs)
        # Then no account moved, not even the one that could pay
        assert [a.balance for a in accs.values()] == [100, 0, 0]
        assert [a.version for a in accs.values()] == [0, 0, 0]

    def test_an_entry_needs_every_account_it_names(self) -> None:
        accs = accounts(user__u1=10)
        with pytest.raises(UnbalancedEntry, match="not loaded"):
            ledger.post(entry(("user:u1", -5), ("usage", 5)), accs)
        assert accs["user:u1"].balance == 10

    def test_each_posting_bumps_the_account_version(self) -> None:
        accs = accounts(user__u1=10, usage=0)
        ledger.post(entry(("user:u1", -5), ("usage", 5)), accs)
        assert [a.version for a in accs.values()] == [1, 1]


class TestEntryFactories:
    def test_every_kind_of_entry_balances_and_names_the_user_account(self) -> None:
        made = [
            ledger.purchase(entry_id="1", key="a", user_id="u1", sales_account="sales:cryptopay",
                            credits=5, session_id="s", now=NOW),
            ledger.spend(entry_id="2", key="b", user_id="u1", credits=5, reason="r", now=NOW),
            ledger.refund(entry_id="3", key="c", user_id="u1", credits=5, session_id="s",
                          now=NOW, by_provider=False),
            ledger.bonus(entry_id="4", key="d", user_id="u1", credits=5, memo="m", now=NOW),
        ]
        assert [e.kind for e in made] == [EntryKind.PURCHASE, EntryKind.SPEND, EntryKind.REFUND,
                                          EntryKind.BONUS]
        assert [e.amount_for("user:u1") for e in made] == [5, -5, -5, 5]
        assert ledger.total(made) == 0
        assert ledger.user_account("u1") == "user:u1"

    def test_only_a_provider_refund_may_overdraw(self) -> None:
        admin = ledger.refund(entry_id="1", key="c", user_id="u1", credits=5, session_id="s",
                              now=NOW, by_provider=False)
        provider = ledger.refund(entry_id="1", key="c", user_id="u1", credits=5, session_id="s",
                                 now=NOW, by_provider=True)
        assert (admin.allow_overdraft, provider.allow_overdraft) == (False, True)
        spend = ledger.spend(entry_id="2", key="b", user_id="u1", credits=5, reason="", now=NOW)
        assert spend.allow_overdraft is False

    def test_a_factory_refuses_a_zero_amount(self) -> None:
        with pytest.raises(InvalidAmount):
            ledger.spend(entry_id="e", key="k", user_id="u1", credits=0, reason="", now=NOW)
