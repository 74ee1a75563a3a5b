@payments
Feature: Buying credits with Telegram Stars inside the Mini App
  The Mini App starts the purchase for the Telegram user who opened it and pays it through an
  invoice link, without leaving the app.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars |
      | Starter | 100     | 50    |

  Scenario: Ann pays through the invoice link the Mini App opens
    Given Ann has chosen the Starter package in the Mini App to pay with Telegram Stars
    Then the Mini App has an invoice link for Ann's purchase
    When Ann pays through the invoice link
    Then Ann has 100 credits
    And the bot tells Ann "Payment received: 100 credits added. Your balance: 100 credits."
    And Ann's purchase is paid

  Scenario: The invoice link can only be paid by the Telegram user it was made for
    Given Ann has chosen the Starter package in the Mini App to pay with Telegram Stars
    When Bob pays through the invoice link of Ann's purchase
    Then the payment is refused with "This payment link belongs to another account."
    And Ann has 0 credits
    And Bob has 0 credits
    And Ann's purchase is invoiced
