@payments
Feature: Paying by card through Telegram's payments
  Besides Stars, a package can have a price in a real currency, paid by card through Telegram's
  payments and the shop's payment provider. The invoice asks for the amount in the currency's
  smallest units (cents, or whole yen), the pre-checkout refuses any other amount, and each
  payment is credited once. Starport cannot give card payments back itself: the admin refunds
  in the payment provider's dashboard and records it.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars | card     |
      | Starter | 100     | 50    | 4.99 USD |
      | Tokyo   | 300     |       | 500 JPY  |

  Scenario: Ann pays the Starter package by card through the deep link
    Given Ann has chosen the Starter package to pay by card
    When Ann opens the payment link in the bot
    Then the bot tells Ann "Starter: 100 credits for 4.99 USD. Tap Pay to continue."
    And the bot sends Ann an invoice for 4.99 USD titled "Starter"
    When Ann pays the invoice by card
    Then Ann has 100 credits
    And the bot tells Ann "Payment received: 100 credits added. Your balance: 100 credits."
    And Ann's purchase is paid

  Scenario: Ann pays by card inside the Mini App, through its invoice link
    Given Ann has chosen the Starter package in the Mini App to pay by card
    When Ann pays by card through the invoice link
    Then Ann has 100 credits
    And the bot tells Ann "Payment received: 100 credits added. Your balance: 100 credits."
    And Ann's purchase is paid

  Scenario Outline: A card payment of another amount is refused before the card is charged
    Given Ann has chosen the Starter package to pay by card
    And Ann has opened the payment link in the bot
    When Ann pays <amount> by card for the invoice
    Then the payment is refused with "The price has changed. Please start a new purchase."
    And Ann has 0 credits
    And the bot has not confirmed any payment to Ann
    And Ann's purchase is still invoiced

    Examples:
      | amount   |
      | 1.00 USD |
      | 4.99 EUR |
      | 499 USD  |

  Scenario: The notification of a card payment arrives twice
    Given Ann has bought the Starter package by card
    When the notification of Ann's payment arrives again
    Then Ann has 100 credits
    And the bot tells Ann once "Payment received: 100 credits added. Your balance: 100 credits."

  Scenario: A price in yen, a currency without cents, is invoiced in whole yen
    Given Ann has chosen the Tokyo package to pay by card
    When Ann opens the payment link in the bot
    Then the bot tells Ann "Tokyo: 300 credits for 500 JPY. Tap Pay to continue."
    And the bot sends Ann an invoice for 500 JPY titled "Tokyo"
    And Ann's invoice totals 500 in JPY's smallest units
    When Ann pays the invoice by card
    Then Ann has 300 credits
    And Ann's purchase is paid

  Scenario: A card price ending in a zero is shown with both decimals
    Given the shop sells these credit packages:
      | package | credits | card     |
      | Plus    | 200     | 4.90 USD |
    And Ann has chosen the Plus package to pay by card
    When Ann opens the payment link in the bot
    Then the bot sends Ann an invoice for 4.90 USD titled "Plus"
    And the bot tells Ann "Plus: 200 credits for 4.90 USD. Tap Pay to continue."

  Scenario: A card the bank declines pays nothing
    Given Ann has chosen the Starter package to pay by card
    And Ann has opened the payment link in the bot
    When Ann pays the invoice with a card her bank declines
    Then the card is declined
    And Ann has 0 credits
    And the bot has not confirmed any payment to Ann
    And Ann's purchase is still invoiced

  Scenario: /buy offers the card price beside the Stars price, and either pays
    When Ann sends /buy to the bot
    Then the bot offers Ann these buttons:
      | Starter · 100 credits · 50 ⭐       |
      | Starter · 100 credits · 4.99 USD |
      | Tokyo · 300 credits · 500 JPY    |
    When Ann presses "Starter · 100 credits · 4.99 USD"
    Then the bot sends Ann an invoice for 4.99 USD titled "Starter"
    When Ann pays the invoice in the chat
    Then the bot tells Ann "Payment received: 100 credits added. Your balance: 100 credits."

  @refunds
  Scenario: Starport cannot refund a card payment and says where to do it
    Given Ann has bought the Starter package by card
    When an admin tries to refund Ann's purchase
    Then the refund is refused: "refund it in your payment provider's dashboard"
    And Ann has 100 credits
    And Ann's purchase is still paid

  @refunds
  Scenario: The admin records the refund made in the payment provider's dashboard
    Given Ann has bought the Starter package by card
    When an admin records the refund of Ann's purchase made in the payment provider's dashboard
    Then Ann has 0 credits
    And Ann owes nothing
    And the bot tells Ann "Your payment was refunded; 100 credits were removed. Balance: 0."
    And Ann's purchase is refunded

  @refunds
  Scenario: Recording the same refund twice takes the credits back once
    Given Ann has bought the Starter package with Telegram Stars
    And Ann has bought the Starter package by card
    When an admin records the refund of Ann's purchase made in the payment provider's dashboard
    And an admin records the refund of Ann's purchase made in the payment provider's dashboard
    Then the second record says the purchase was already refunded
    And Ann has 100 credits
    And the bot tells Ann once "Your payment was refunded; 100 credits were removed. Balance: 100."
