@jobs @payments
Feature: Reconciliation with Telegram Stars
  When Telegram takes a payment but its update never reaches us, the reconciliation finds it
  in the bot's Star transactions and credits it, once. It remembers how far it has read, so
  the next run starts after what it has already seen.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars |
      | Small   | 100     | 50    |

  Scenario: A payment whose update was lost is credited once, and not read again
    Given Ann has chosen the Small package to pay with Telegram Stars
    And Ann has opened the payment link in the bot
    When Ann pays the invoice but the update is lost
    Then Ann has 0 credits
    When the Telegram Stars reconciliation job runs
    Then Ann has 100 credits
    And the job reports 1 credited
    When the Telegram Stars reconciliation job runs
    Then Ann has 100 credits
    And the job reports 0 credited and 0 transactions

  Scenario: A payment lost after an earlier reconciliation is found from the saved cursor
    Given Ann has bought the Small package with Telegram Stars
    And Bob has chosen the Small package to pay with Telegram Stars
    And Bob has opened the payment link in the bot
    When the Telegram Stars reconciliation job runs
    Then the job reports 0 credited and 1 already_credited
    When Bob pays the invoice but the update is lost
    And the Telegram Stars reconciliation job runs
    Then Bob has 100 credits
    And Ann has 100 credits
    And the job reports 1 credited and 0 already_credited
