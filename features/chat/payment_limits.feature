@payments
Feature: Per-person payment limits
  Each person may open only so many purchases an hour, and after repeated failed payments
  must wait a while before paying again; the host app and the bot both say how long.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars | crypto  |
      | Starter | 100     | 50    | 1.5 TON |
    And each person may open 2 purchases an hour, and waits 15 minutes after 2 failed payments

  Scenario: The host app is told to wait after too many purchases in an hour
    Given Ann has chosen the Starter package to pay with Telegram Stars
    And Ann has chosen the Starter package to pay with Telegram Stars
    When Ann tries to choose the Starter package to pay with Telegram Stars
    Then Ann is told to try again in 60 minutes
    When 60 minutes pass
    And Ann tries to choose the Starter package to pay with Telegram Stars
    Then the purchase is opened

  Scenario: In the chat the bot says how long to wait, and sends no invoice
    When Ann sends /buy to the bot
    And Ann presses "Starter · 100 credits · 50 ⭐"
    And Ann presses "Starter · 100 credits · 50 ⭐"
    And Ann presses "Starter · 100 credits · 50 ⭐"
    Then the bot tells Ann "Too many payment attempts. Please try again in 60 minutes."
    And Ann has received 2 invoices in the chat

  Scenario: After repeated failed payments Ann waits before paying again
    Given Ann has chosen the Starter package to pay with Telegram Stars
    And Ann has opened the payment link in the bot
    When Ann pays only 1 Star for the invoice, twice
    And Ann pays the invoice
    Then the payment is refused with "Too many payment attempts. Please try again in 15 minutes."
    When 15 minutes pass
    And Ann pays the invoice
    Then Ann has 100 credits
