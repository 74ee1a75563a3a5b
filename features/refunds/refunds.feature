@refunds
Feature: Refunds
  An admin can give a user their Stars back as long as the credits they bought are still
  there. Telegram may also refund a payment on its own; that is recorded whatever it does to the
  balance, and a debt it leaves is shown.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars |
      | Starter | 100     | 50    |
    And Ann has bought the Starter package with Telegram Stars

  Scenario: An admin refunds Ann's purchase
    When an admin refunds Ann's purchase
    Then Ann has 0 credits
    And Ann gets her Stars back
    And the bot tells Ann "Your payment was refunded; 100 credits were removed. Balance: 0."
    And Ann's purchase is refunded

  Scenario: Refunding the same purchase twice takes the credits back once
    Given Ann has bought the Starter package with Telegram Stars
    When an admin refunds Ann's purchase
    And an admin refunds Ann's purchase
    Then Ann has 100 credits
    And the bot tells Ann once "Your payment was refunded; 100 credits were removed. Balance: 100."

  Scenario: A refund is refused once Ann has spent the credits
    Given Ann has spent 30 credits
    When an admin tries to refund Ann's purchase
    Then the refund is refused because Ann no longer holds the credits
    And Ann has 70 credits
    And Ann does not get her Stars back
    And Ann's purchase is still paid

  Scenario: Telegram refunds a payment whose credits were partly spent
    Given Ann has spent 30 credits
    When Telegram reports that it refunded Ann's payment
    Then Ann has -30 credits
    And Ann owes 30 credits
    And the bot tells Ann "Your payment was refunded; 100 credits were removed. Balance: -30."
    And Ann's purchase is refunded

  Scenario: Telegram reports the same refund twice
    When Telegram reports that it refunded Ann's payment
    And Telegram reports that it refunded Ann's payment
    Then Ann has 0 credits
    And Ann owes nothing
    And the bot tells Ann once "Your payment was refunded; 100 credits were removed. Balance: 0."
