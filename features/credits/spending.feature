@credits
Feature: Spending credits
  The host app spends a user's credits as they use it. A spend can never take more than the
  user holds, and a spend the app retries with the same key is charged once.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars |
      | Starter | 100     | 50    |
    And Ann has bought the Starter package with Telegram Stars

  Scenario Outline: Spending up to the balance
    When the app spends <spent> of Ann's credits for "<job>"
    Then Ann has <left> credits
    And Ann's statement shows a spend of <spent> credits

    Examples:
      | spent | job        | left |
      | 30    | render #1  | 70   |
      | 100   | render all | 0    |

  Scenario: Spending more than the balance is refused and changes nothing
    When the app tries to spend 101 of Ann's credits for "render #1"
    Then the spend is refused because Ann does not hold enough credits
    And Ann has 100 credits
    And Ann's statement shows no spending

  Scenario: A spend the app retries with the same key is charged once
    When the app spends 30 of Ann's credits for "render #1"
    And the app retries spending 30 of Ann's credits for "render #1"
    Then the retry is recognised as the spend already made
    And Ann has 70 credits
    And Ann's statement shows a spend of 30 credits only once

  Scenario: The same key cannot be reused for a different spend
    When the app spends 30 of Ann's credits for "render #1"
    And the app tries to spend 50 of Ann's credits for "render #1"
    Then the spend is refused because the key was used for another spend
    And Ann has 70 credits

  Scenario: Two different spends are both charged
    When the app spends 30 of Ann's credits for "render #1"
    And the app spends 30 of Ann's credits for "render #2"
    Then Ann has 40 credits
