@perks
Feature: The patrons' channel
  Patrons are invited to a private channel with a link only they can use. The first time a
  patron joins they get a bonus; leaving and coming back never earns it again. Anyone else who
  asks to join is declined.

  Background:
    Given the shop has a patrons' channel with a join bonus of 10 credits

  Scenario: A new patron is invited with a single-use link
    When an admin makes Ann a patron
    Then the bot sends Ann an invitation with a "Join channel" button
    And Ann's invitation link admits one person only

  Scenario: A patron gets the join bonus once, even after leaving and coming back
    Given Ann is a patron
    When Ann joins the channel with her invitation
    Then Ann has 10 credits
    And the bot tells Ann "Thanks for joining the channel! 10 bonus credits added. Balance: 10."
    When Ann leaves the channel
    And an admin makes Ann a patron again
    And Ann joins the channel with her new invitation
    Then Ann has 10 credits
    And the bot tells Ann once "Thanks for joining the channel! 10 bonus credits added. Balance: 10."

  @jobs
  Scenario: A patron who left is invited again by the membership check, without a second bonus
    Given Ann is a patron
    And Ann has joined the channel with her invitation
    When Ann leaves the channel
    And the membership check runs
    Then the bot has sent Ann 2 invitations
    When Ann joins the channel with her invitation
    Then Ann has 10 credits

  Scenario: A patron's request to join is approved
    Given Ann is a patron
    When Ann asks to join the channel
    Then Ann's request is approved

  Scenario: A stranger's request to join is declined
    When Bob asks to join the channel
    Then Bob's request is declined
    And Bob has 0 credits
    And the bot has sent Bob nothing
