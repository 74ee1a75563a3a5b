@payments
Feature: One user across the bot and the app
  The host app's user and their Telegram account are one person: once the account has paid a
  purchase the host app opened for them, the bot shows the same credits as the host app, and
  what they bought in the bot before is not lost.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars | crypto  |
      | Starter | 100     | 50    | 1.5 TON |
      | Pro     | 500     | 200   | 6 TON   |

  Scenario: The bot's /balance shows what Ann bought through the host app
    Given Ann has bought the Starter package with Telegram Stars
    When Ann sends /balance to the bot
    Then the bot's last words to Ann begin with "Your balance: 100 credits."
    And Ann has 100 credits

  Scenario: Credits bought in the bot before the link are kept, and bought in the bot after it count too
    When Ann sends /buy to the bot
    And Ann presses "Pro · 500 credits · 200 ⭐"
    And Ann pays the invoice in the chat
    And Ann buys the Starter package with Telegram Stars
    Then Ann has 600 credits
    When Ann presses "Pro · 500 credits · 200 ⭐"
    And Ann pays the invoice in the chat
    Then Ann has 1100 credits
    When Ann sends /balance to the bot
    Then the bot's last words to Ann begin with "Your balance: 1100 credits."
