@jobs
Feature: Expiring stale purchases
  A purchase nobody paid within its link's lifetime expires, so it can no longer be paid;
  a paid purchase is never touched.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars |
      | Small   | 100     | 50    |
    And payment links expire after 30 minutes

  Scenario: An unpaid purchase expires once its link's lifetime is over
    Given Ann has chosen the Small package to pay with Telegram Stars
    And 31 minutes have passed
    When the expiry job runs
    Then Ann's purchase is expired
    And the job reports 1 expired

  Scenario: A purchase still within its lifetime is left alone
    Given Ann has chosen the Small package to pay with Telegram Stars
    And 10 minutes have passed
    When the expiry job runs
    Then the job reports 0 expired

  Scenario: A paid purchase never expires
    Given Bob has bought the Small package with Telegram Stars
    And 31 minutes have passed
    When the expiry job runs
    Then Bob's purchase is still paid
    And the job reports 0 expired
