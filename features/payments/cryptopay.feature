@payments
Feature: Buying credits with Crypto Pay
  The Mini App sends the user to Crypto Bot to pay in TON; Crypto Pay tells us when the invoice
  is paid. Paying short is not enough, and a notification that never arrives is found later.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars | crypto  |
      | Starter | 100     | 50    | 1.5 TON |

  Scenario: Ann pays the Crypto Pay invoice in full
    Given Ann has chosen the Starter package in the Mini App to pay with Crypto Pay
    Then Ann's purchase can be paid at Crypto Bot for 1.5 TON
    When Ann pays the Crypto Pay invoice
    Then Ann has 100 credits
    And the bot tells Ann "Payment received: 100 credits added. Your balance: 100 credits."
    And Ann's purchase is paid

  Scenario Outline: What Ann pays decides whether she gets her credits
    Given Ann has chosen the Starter package in the Mini App to pay with Crypto Pay
    When Ann pays <paid> TON for the Crypto Pay invoice
    Then Ann has <credits> credits
    And Ann's purchase is <status>

    Examples:
      | paid | credits | status |
      | 1.5  | 100     | paid   |
      | 2    | 100     | paid   |
      | 1.49 | 0       | failed |

  Scenario: An underpayment is not credited and Ann is told why
    Given Ann has chosen the Starter package in the Mini App to pay with Crypto Pay
    When Ann pays 1 TON for the Crypto Pay invoice
    Then Ann has 0 credits
    And the bot tells Ann that "We could not accept this payment" because 1 TON is less than 1.5 TON
    And the bot has not confirmed any payment to Ann

  @jobs
  Scenario: A payment whose notification was lost is credited by the reconciliation, once
    Given Ann has chosen the Starter package in the Mini App to pay with Crypto Pay
    When Ann pays the Crypto Pay invoice but the notification is lost
    Then Ann has 0 credits
    When the reconciliation with Crypto Pay runs
    Then Ann has 100 credits
    And Ann's purchase is paid
    When the reconciliation with Crypto Pay runs
    Then Ann has 100 credits
    And the bot tells Ann once "Payment received: 100 credits added. Your balance: 100 credits."

  # Known bug: the reconciliation only asks Crypto Pay about purchases still open, and the expiry
  # job has already closed this one (and deleted its paid invoice), so the money is never credited.
  @jobs
  Scenario: A payment whose notification was lost is credited even after the purchase expired
    Given payment links expire after 30 minutes
    And Ann has chosen the Starter package in the Mini App to pay with Crypto Pay
    And Ann has paid the Crypto Pay invoice but the notification was lost
    And 31 minutes have passed
    When the expiry of payment links runs
    And the reconciliation with Crypto Pay runs
    Then Ann has 100 credits
