@payments
Feature: Telegram asks before taking the Stars, and we refuse what we cannot honour
  Before Telegram takes a user's Stars it asks the bot whether to go ahead. A purchase that has
  expired, belongs to someone else, or shows the wrong price is refused there, with a message
  the payer sees, and nothing is taken or credited.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars |
      | Starter | 100     | 50    |
    And payment links expire after 30 minutes
    And Ann has chosen the Starter package to pay with Telegram Stars
    And Ann has opened the payment link in the bot

  Scenario: Ann pays in time, at the price, and the payment goes ahead
    Given 29 minutes have passed
    When Ann pays the invoice
    Then the payment goes ahead
    And Ann has 100 credits

  Scenario: A purchase that has expired cannot be paid
    Given 31 minutes have passed
    When Ann pays the invoice
    Then the payment is refused with "This payment link has expired. Please start a new purchase."
    And Ann has 0 credits
    And the bot has not confirmed any payment to Ann

  Scenario: Someone else cannot pay Ann's purchase
    When Bob pays the invoice Ann received
    Then the payment is refused with "This payment link belongs to another account."
    And Ann has 0 credits
    And Bob has 0 credits
    And the bot has not confirmed any payment to Bob

  Scenario Outline: An invoice at another price than the package's is refused
    When Ann pays <stars> Stars for the invoice
    Then the payment is refused with "The price has changed. Please start a new purchase."
    And Ann has 0 credits
    And Ann's purchase is invoiced

    Examples:
      | stars |
      | 40    |
      | 60    |
