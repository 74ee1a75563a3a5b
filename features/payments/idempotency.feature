@payments
Feature: A payment is credited once, however often it is reported
  Providers retry their notifications, and the reconciliation may find a payment a notification
  reports too. Whatever arrives twice, the user gets the credits and the confirmation once.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars | crypto  |
      | Starter | 100     | 50    | 1.5 TON |

  Scenario Outline: The notification of a successful payment arrives twice
    Given Ann has bought the Starter package with <method>
    When the notification of Ann's payment arrives again
    Then Ann has 100 credits
    And the bot tells Ann once "Payment received: 100 credits added. Your balance: 100 credits."

    Examples:
      | method         |
      | Telegram Stars |
      | Crypto Pay     |

  @jobs
  Scenario: The lost notification turns up after the reconciliation credited the payment
    Given Ann has chosen the Starter package in the Mini App to pay with Crypto Pay
    And Ann has paid the Crypto Pay invoice but the notification was lost
    And the reconciliation with Crypto Pay has run
    When the notification of Ann's payment arrives after all
    Then Ann has 100 credits
    And the bot tells Ann once "Payment received: 100 credits added. Your balance: 100 credits."

  Scenario: A second purchase of the same package is a new payment, credited again
    Given Ann has bought the Starter package with Telegram Stars
    When Ann buys the Starter package with Telegram Stars
    Then Ann has 200 credits
