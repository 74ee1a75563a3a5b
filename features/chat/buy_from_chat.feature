@payments
Feature: Buying credits from the bot's chat
  A newcomer needs no host app: /buy shows the packages as buttons, a press sends the invoice
  into the chat, and paying it credits the buyer's Telegram account.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars | crypto  |
      | Starter | 100     | 50    | 1.5 TON |
      | Pro     | 500     | 200   | 6 TON   |

  Scenario: A newcomer buys a package with only /buy and the buttons
    When Ann sends /buy to the bot
    Then the bot offers Ann the buttons "Starter · 100 credits · 50 ⭐" and "Pro · 500 credits · 200 ⭐"
    When Ann presses "Starter · 100 credits · 50 ⭐"
    Then an invoice for 50 Stars titled "Starter" arrives in Ann's chat
    When Ann pays the invoice in the chat
    Then the bot tells Ann "Payment received: 100 credits added. Your balance: 100 credits."
    When Ann sends /balance to the bot
    Then the bot's last words to Ann begin with "Your balance: 100 credits."

  Scenario: Each press is a purchase of its own
    When Ann sends /buy to the bot
    And Ann presses "Starter · 100 credits · 50 ⭐"
    And Ann pays the invoice in the chat
    And Ann presses "Pro · 500 credits · 200 ⭐"
    And Ann pays the invoice in the chat
    Then the bot tells Ann "Payment received: 500 credits added. Your balance: 600 credits."
