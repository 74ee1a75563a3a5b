@payments
Feature: Support that reaches a human
  After /support or /paysupport, what a buyer writes to the bot reaches the shop's support group
  with who they are and what they paid; an agent's reply to it there reaches the buyer. Without
  a support group the bot says where to write, and invites no message nobody would read.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars | crypto  |
      | Starter | 100     | 50    | 1.5 TON |

  Scenario: Ann's question reaches the support group and Bea's answer reaches Ann
    Given the shop's support group, where Bea answers
    And Ann has bought the Starter package with Telegram Stars
    When Ann sends /paysupport to the bot
    And Ann writes "The credits came, but I need a receipt" to the bot
    Then the support group reads Ann's "The credits came, but I need a receipt" with her Starter payment
    When Bea replies "Sent to your e-mail" to Ann's message in the support group
    Then the bot's last words to Ann begin with "Support: Sent to your e-mail"

  Scenario: Once Ann has said she is done, her messages stay with the bot
    Given the shop's support group, where Bea answers
    When Ann sends /support to the bot
    And Ann sends /done to the bot
    And Ann writes "One more thing" to the bot
    Then the support group has read nothing
    And the bot's last words to Ann begin with "Your conversation with support has ended."

  Scenario: Without a support group, /support says where to write
    When Ann sends /support to the bot
    And Ann writes "Is anyone there?" to the bot
    Then the bot's last words to Ann begin with "Need help with a payment? Contact"
