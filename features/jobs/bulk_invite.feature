@jobs @perks
Feature: Bulk invites
  An admin invites every patron who is not in the channel and holds no usable invitation;
  running it again invites nobody twice.

  Scenario: Every patron not yet in the channel is invited, once
    Given the shop has a patrons' channel with a join bonus of 10 credits
    And Ann is a patron
    And Ann has joined the channel with her invitation
    And Bob is a patron
    And Cleo is a patron
    And 2 days have passed
    When the bulk invite job runs
    Then the job reports 3 checked, 2 invited, 1 skipped and 0 errors
    And the bot has sent Bob 2 invitations
    And the bot has sent Cleo 2 invitations
    And the bot has sent Ann 1 invitations
    When the bulk invite job runs
    Then the job reports 0 invited and 3 skipped
    And the bot has sent Bob 2 invitations
