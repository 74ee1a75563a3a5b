@admin
Feature: Admins write the bot's messages
  Every message the bot sends has a text an admin can change, with placeholders the bot fills
  in. A text the bot could not fill in is refused, and the old one stays in use.

  Background:
    Given the shop sells these credit packages:
      | package | credits | stars |
      | Starter | 100     | 50    |

  Scenario: The bot confirms payments with the admin's text
    When an admin changes the "payment_success" message to "Thanks! {package_title} paid ({amount}): +{credits} credits, {balance} in total."
    And Ann buys the Starter package with Telegram Stars
    Then the bot tells Ann "Thanks! Starter paid (50 ⭐): +100 credits, 100 in total."

  Scenario: The bot shows the invoice with the admin's text
    When an admin changes the "session_ready" message to "{credits} credits for {amount} — tap Pay."
    And Ann chooses the Starter package to pay with Telegram Stars
    And Ann opens the payment link in the bot
    Then the bot tells Ann "100 credits for 50 ⭐ — tap Pay."

  Scenario Outline: A text the bot could not fill in is refused and the old text stays
    When an admin tries to change the "payment_success" message to "<text>"
    Then the edit is refused because <why>
    And the "payment_success" message still reads "Payment received: {credits} credits added. Your balance: {balance} credits."
    When Ann buys the Starter package with Telegram Stars
    Then the bot tells Ann "Payment received: 100 credits added. Your balance: 100 credits."

    Examples:
      | text                           | why                                 |
      | You got {gift} credits!        | "gift" is not a known placeholder   |
      | Your balance: {balance credits | the placeholder braces do not match |

  # Known bug: the payment confirmation is always rendered with an empty first name.

  Scenario: The payment confirmation can greet Ann by her first name
    When an admin changes the "payment_success" message to "Thanks, {first_name}! +{credits} credits."
    And Ann buys the Starter package with Telegram Stars
    Then the bot tells Ann "Thanks, Ann! +100 credits."

  Scenario: Each user reads the bot in their Telegram language, else the default language
    Given Boris's Telegram app is in "ru"
    And Dieter's Telegram app is in "de"
    When an admin changes the "payment_success" message in "ru" to "Оплачено: +{credits} кредитов, всего {balance}."
    And Boris buys the Starter package with Telegram Stars
    And Dieter buys the Starter package with Telegram Stars
    Then the bot tells Boris "Оплачено: +100 кредитов, всего 100."
    And the bot tells Dieter "Payment received: 100 credits added. Your balance: 100 credits."

  Scenario: A button label changed by the admin appears in the bot's keyboard
    Given Boris's Telegram app is in "ru"
    When an admin changes the "button_buy" message to "Top up"
    And an admin changes the "button_balance" message in "ru" to "Баланс"
    And Ann sends /start to the bot
    And Boris sends /start to the bot
    Then the bot's menu for Ann reads "Top up", "Balance" and "Support"
    And the bot's menu for Boris reads "Top up", "Баланс" and "Support"
