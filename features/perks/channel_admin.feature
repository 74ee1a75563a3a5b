@perks
Feature: The bot must administer the patrons' channel
  Without admin rights in the channel the bot can neither invite nor remove anyone: the admin
  is told so plainly, and nothing is left half-done (no link, no message). Once the bot is an
  administrator again, the membership check invites the patron, once.

  Scenario: Without admin rights, making a patron fails clearly and leaves nothing half-done
    Given the shop has a patrons' channel with a join bonus of 10 credits
    And the bot is not an administrator of the channel
    When an admin tries to make Ann a patron
    Then the admin is told the bot must be an administrator of the channel
    And the bot has sent Ann nothing
    When the bot is made an administrator of the channel
    And the membership check runs
    Then the bot has sent Ann 1 invitations
    When the membership check runs
    Then the bot has sent Ann 1 invitations
