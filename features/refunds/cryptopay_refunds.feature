@refunds
Feature: Refunds of Crypto Pay payments
  Crypto Pay has no refund method: an admin's refund sends the coins back to the buyer with a
  transfer from the shop's Crypto Pay app, once, and only when the app allows transfers. A
  refund the admin sent from Crypto Bot themselves can be recorded instead.

  Background:
    Given the shop sells these credit packages:
      | package | credits | crypto  |
      | Starter | 100     | 1.5 TON |
    And Ann has bought the Starter package with Crypto Pay

  Scenario: An admin refunds Ann's Crypto Pay purchase
    Given the shop's Crypto Pay app allows transfers
    When an admin refunds Ann's purchase
    And an admin refunds Ann's purchase
    Then Ann has 0 credits
    And Crypto Pay sent Ann 1.5 TON, once
    And the bot tells Ann once "Your payment was refunded; 100 credits were removed. Balance: 0."
    And Ann's purchase is refunded

  Scenario: The refund is refused while the Crypto Pay app does not allow transfers
    Given the shop's Crypto Pay app does not allow transfers
    When an admin tries to refund Ann's purchase
    Then the refund is refused until transfers are enabled in Crypto Bot
    And Ann has 100 credits
    And Crypto Pay sent nothing
    And Ann's purchase is still paid

  Scenario: A refund the admin sent from Crypto Bot is recorded
    Given the shop's Crypto Pay app allows transfers
    When an admin records a refund of Ann's purchase sent from Crypto Bot
    And an admin refunds Ann's purchase
    Then Ann has 0 credits
    And Crypto Pay sent nothing
    And Ann's purchase is refunded
